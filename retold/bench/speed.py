"""Speed benchmark of retold's copy engine against datasketch MinHash + MinHashLSH.

Both run in one process on the same corpus (real texts plus derived copies with known
truth, see ``corpora_speed``), one after the other at each size, so machine load hits
both alike. Retold's stages are timed separately: tokenise -> sign -> lexical
candidates -> verbatim verification + copy_relation. Memory is the peak resident set
size (RSS) above the RSS at the start of each run, sampled every 5 ms from
``/proc/self/statm`` by a background thread (RSS, not tracemalloc: tracemalloc slows
Python-heavy code several-fold and would distort the timings it sits next to).
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
import platform
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retold.bench.corpora_speed import DERIVED_SHARE, EXPECTED, KINDS, Corpus, build_corpus, load_base_texts, quick_docs
from retold.candidates.lexical import candidate_pairs
from retold.config import Settings
from retold.decide.copy import copy_relations
from retold.model import Article
from retold.sign.embed import encoder_label
from retold.sign.lexical import sign_lexical

START = "<!-- retold:bench-speed:start -->"
END = "<!-- retold:bench-speed:end -->"


def markers(section: str = "") -> tuple[str, str]:
    """Start and end markers of a speed section; a named one (``gpu``) sits beside the main one."""
    if not section:
        return START, END
    return f"<!-- retold:bench-speed-{section}:start -->", f"<!-- retold:bench-speed-{section}:end -->"


_WORD = re.compile(r"\w+")


class _RSSPeak:
    """Peak RSS above the value at entry, sampled by a thread (Linux /proc only)."""

    def __init__(self, every_s: float = 0.005) -> None:
        self.every_s = every_s
        self.peak = 0
        self.start = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def _rss(self) -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * self._page
        except OSError:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.every_s)

    def __enter__(self) -> "_RSSPeak":
        gc.collect()
        self.start = self.peak = self._rss()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self._rss())

    @property
    def delta_mb(self) -> float:
        return (self.peak - self.start) / 2**20


@dataclass
class RunResult:
    name: str
    n: int
    seconds: float
    stages: dict[str, float]
    peak_mb: float
    pairs: dict[tuple[int, int], str]  # reported pair -> relation (or "similar")
    candidates: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else float("inf")


def run_retold(corpus: Corpus, settings: Settings) -> RunResult:
    """The copy engine end to end; relations reported for pairs with a copy relation.

    Verification is ``copy_relations`` (bulk: one verification per pair of exact-hash
    classes, a skip for pairs far below any copy relation, array-wide run finding).
    """
    stages: dict[str, float] = {}
    with _RSSPeak() as mem:
        t0 = time.perf_counter()
        docs = quick_docs(corpus.articles)
        stages["tokenise"] = time.perf_counter() - t0
        t = time.perf_counter()
        sign_lexical(docs, settings)
        stages["sign"] = time.perf_counter() - t
        t = time.perf_counter()
        cand, _tags = candidate_pairs(docs, np.ones(len(docs), dtype=bool), settings)
        stages["candidates"] = time.perf_counter() - t
        t = time.perf_counter()
        rels, _, info = copy_relations(docs, cand, settings)
        pairs = {(i, j): r[0] for (i, j), r in zip(cand.tolist(), rels) if r is not None}
        stages["verify"] = time.perf_counter() - t
        total = time.perf_counter() - t0
    extra = {"verified": float(info["verified"]), "skipped": float(info["skipped"])}
    return RunResult("retold", len(docs), total, stages, mem.delta_mb, pairs, candidates=len(cand), extra=extra)


def signing_seconds(r: RunResult) -> float:
    """Retold's share comparable to datasketch's work: tokens -> signatures -> candidate pairs."""
    if r.name == "datasketch":
        return r.seconds
    return sum(r.stages.get(k, 0.0) for k in ("tokenise", "sign", "candidates"))


def run_full_pipeline(articles: list[Article], settings: Settings | None = None, encoder=None) -> dict:
    """``retold.pipeline.scan`` on real articles (semantic layer on): per-stage seconds from
    ``result.stats``, articles/s and peak RSS above the start. ``encoder``: None for the default."""
    from retold.pipeline import scan

    with _RSSPeak() as mem:
        t0 = time.perf_counter()
        res = scan(articles, settings=settings or Settings(), encoder=encoder)
        total = time.perf_counter() - t0
    stages = {k[len("time_") : -len("_s")]: float(v) for k, v in res.stats.items() if k.startswith("time_") and k.endswith("_s") and k != "time_total_s"}
    return {
        "n": len(articles),
        "seconds": total,
        "rate": len(articles) / total if total else float("inf"),
        "stages": stages,
        "peak_mb": mem.delta_mb,
        "pairs": len(res.pairs),
        "candidates": int(res.stats.get("candidates", 0)),
    }


def run_datasketch(corpus: Corpus, threshold: float = 0.5, num_perm: int = 128) -> RunResult:
    """datasketch as people use it: word 5-gram shingles, ``update_batch``, MinHashLSH.

    Its hash function is xxhash (the fastest option measured in NOTES-deps), so the
    peer is compared at its best. Every LSH hit is a reported pair.
    """
    import xxhash
    from datasketch import MinHash, MinHashLSH

    stages: dict[str, float] = {}
    with _RSSPeak() as mem:
        t0 = time.perf_counter()
        sigs = []
        for a in corpus.articles:
            w = _WORD.findall(a.text.lower())
            sh = [" ".join(w[i : i + 5]).encode() for i in range(len(w) - 4)] or [" ".join(w).encode()]
            m = MinHash(num_perm=num_perm, seed=1, hashfunc=xxhash.xxh32_intdigest)
            m.update_batch(sh)
            sigs.append(m)
        stages["minhash"] = time.perf_counter() - t0
        t = time.perf_counter()
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        for k, m in enumerate(sigs):
            lsh.insert(k, m)
        pairs: dict[tuple[int, int], str] = {}
        for k, m in enumerate(sigs):
            for r in lsh.query(m):
                if r != k:
                    pairs[(min(k, r), max(k, r))] = "similar"
        stages["lsh"] = time.perf_counter() - t
        total = time.perf_counter() - t0
    return RunResult("datasketch", len(sigs), total, stages, mem.delta_mb, pairs, candidates=len(pairs))


def quality(corpus: Corpus, res: RunResult) -> dict[str, float]:
    """Recall per kind of derived copy (pair reported at all, and with the expected
    label), and precision of reported pairs (unjudged WMT sibling pairs left out)."""
    out: dict[str, float] = {}
    tot, found, right = Counter(), Counter(), Counter()
    for src, d, kind in corpus.truth:
        tot[kind] += 1
        rel = res.pairs.get((min(src, d), max(src, d)))
        if rel is not None:
            found[kind] += 1
            right[kind] += rel == EXPECTED[kind]
    for k in KINDS:
        out[f"recall_{k}"] = found[k] / tot[k] if tot[k] else float("nan")
        out[f"label_{k}"] = right[k] / tot[k] if tot[k] else float("nan")
    verdict = Counter(corpus.judge(i, j) for i, j in res.pairs)
    judged = verdict["right"] + verdict["wrong"]
    out["precision"] = verdict["right"] / judged if judged else float("nan")
    out["unjudged"] = float(verdict["unjudged"])
    out["reported"] = float(len(res.pairs))
    return out


def scaling_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(time) against log(N): 1.0 is linear."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def machine(encoder=None) -> dict[str, str]:
    """What the numbers were measured on (with the GPU, when the encoder runs on one)."""
    import datasketch
    import sys

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "datasketch": getattr(datasketch, "__version__", "?"),
        "os": platform.platform(),
        "load": load,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "encoder": encoder_label(encoder),
        "gpu": _gpu_name(encoder),
    }


def _gpu_name(encoder) -> str:
    device = getattr(encoder, "device", None)
    if device is None or getattr(device, "type", "cpu") == "cpu":
        return ""
    import torch

    return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"


def warm_up() -> float:
    """Build the per-process lookup tables (word, upper-case and digit characters over all
    of Unicode) before anything is timed; returns the seconds it took.

    Why outside the timings: it is a fixed cost per process, paid once whatever the
    corpus size, like importing a library (datasketch's import is not timed either). The
    report states it.
    """
    from retold.clean.tokens import char_flags, tokenize

    t = time.perf_counter()
    tokenize("Warm up 1")
    char_flags("A1", "upper")
    char_flags("A1", "digit")
    return time.perf_counter() - t


def run_speed_bench(
    sizes: list[int],
    data: Path,
    settings: Settings | None = None,
    seed: int = 7,
    log=print,
    after=None,
    full_sizes: list[int] | None = None,
    encoder=None,
) -> dict:
    """Time the whole pipeline at ``full_sizes`` (first: it is the short part), then both
    engines at each of ``sizes``; returns the raw results for the report. ``encoder`` is the
    whole pipeline's (None: the default).

    ``after(res)`` is called after each size, so a long run leaves partial results behind.
    """
    settings = settings or Settings()
    base = load_base_texts(Path(data))
    setup_s = warm_up()
    rows: list[dict] = []
    full: list[dict] = []
    for n in full_sizes or []:
        import random

        pick = random.Random(seed).sample(range(len(base)), min(n, len(base)))
        arts = [Article(id=f"r{k}", text=base[i].text) for k, i in enumerate(pick)]
        f = run_full_pipeline(arts, settings, encoder)
        gc.collect()
        full.append(f)
        log(f"full pipeline N={f['n']}: {f['rate']:,.1f} art/s ({f['seconds']:.1f} s), peak {f['peak_mb']:.0f} MB")
        if after is not None:
            after({"rows": rows, "full": full, "machine": machine(encoder), "base_texts": len(base), "setup_s": setup_s})
    for n in sizes:
        corpus = build_corpus(base, n, seed=seed)
        r = run_retold(corpus, settings)
        gc.collect()
        p = run_datasketch(corpus)
        gc.collect()
        rows.append({"n": n, "retold": r, "datasketch": p, "q_retold": quality(corpus, r), "q_peer": quality(corpus, p), "n_base": n - len(corpus.truth)})
        log(
            f"N={n}: retold {r.rate:,.0f} art/s ({r.seconds:.1f} s, {r.candidates:,} candidates, "
            f"signing+candidates {signing_seconds(r):.1f} s), datasketch {p.rate:,.0f} art/s ({p.seconds:.1f} s)"
        )
        if after is not None:
            after({"rows": rows, "full": full, "machine": machine(encoder), "base_texts": len(base), "setup_s": setup_s})
    return {"rows": rows, "full": full, "machine": machine(encoder), "base_texts": len(base), "setup_s": setup_s}


def render_markdown(res: dict, command: str, png: str | None, section: str = "") -> str:
    """The report section (between the markers) for docs/benchmarks.md."""
    m = res["machine"]
    rows = res["rows"]
    full = res.get("full") or []
    start, end = markers(section)
    title = "Speed: the copy engine vs datasketch MinHash LSH" if rows else "Speed of the whole pipeline"
    if m.get("gpu"):
        title += f", on a GPU machine ({m['gpu'].split(',')[0]})"
    L = [start, f"## {title}", ""]
    L.append(f"Command: `{command}`  ")
    L.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}; load average at the end {m['load']}  ")
    if m.get("gpu"):
        L.append(f"GPU: {m['gpu']}; sentence encoder {m['encoder']}  ")
    L.append(f"Versions: Python {m['python']}, numpy {m['numpy']}, datasketch {m['datasketch']}; date {m['date']}")
    L.append("")
    if rows:
        L.append(
            f"Corpus: {res['base_texts']:,} distinct real texts are available (ECB+, WMT16, WMT22; >= 15 words); each corpus "
            f"holds {1 - DERIVED_SHARE:.0%} of its N as distinct texts (or as many as exist: "
            + ", ".join(f"{row['n_base']:,} at {row['n']:,}" for row in rows)
            + "), the rest derived copies in equal shares of four kinds (exact, "
            "boilerplate header/footer changed, ~5% words changed + a sentence dropped, a 30-60% excerpt inserted "
            "into an unrelated article), fixed seed. The share of copies is the same at every size so the "
            "timings scale comparably; it is high because the real texts are few. Both engines run in one "
            "process, back to back on the same corpus."
        )
        L.append("")
        L.append("### (a) Signing + candidate pairs: the same job on both sides")
        L.append("")
        L.append(
            "retold: tokenise (hashes and character spans) -> sign (exact hash, one-permutation MinHash, "
            "fingerprints, anchors) -> lexical candidates (exact, LSH bands, shared fingerprints; `candidate_pairs`, arrays). "
            "datasketch: word 5-gram shingles -> `MinHash.update_batch` (xxhash) -> `MinHashLSH` insert + query."
        )
        L.append("")
        L.append("| N | retold s (stages) | datasketch s (stages) | retold articles/s | datasketch articles/s | speed-up |")
        L.append("|---|---|---|---|---|---|")
        for row in rows:
            r, p = row["retold"], row["datasketch"]
            rs, ps = signing_seconds(r), p.seconds
            st = ", ".join(f"{k} {r.stages[k]:.2f}" for k in ("tokenise", "sign", "candidates"))
            pst = ", ".join(f"{k} {v:.2f}" for k, v in p.stages.items())
            L.append(f"| {row['n']:,} | {rs:.2f} ({st}) | {ps:.2f} ({pst}) | {row['n'] / rs:,.0f} | {p.rate:,.0f} | {ps / rs:.1f}x |")
        L.append("")
        L.append("### (b) End to end: retold also verifies every candidate and names a relation")
        L.append("")
        L.append(
            "retold adds verification (verbatim runs of every candidate pair, coverage of each side, "
            "`copy_relation`) to (a); datasketch's figure is the same as in (a), since it returns candidate "
            "pairs only. Verified = distinct pairs of token streams actually verified (docs with one exact hash "
            "share a verification); skipped = pairs whose MinHash Jaccard and fingerprint containment are both "
            "far below any copy relation."
        )
        L.append("")
        L.append("| N | engine | articles/s | total s | stages (s) | candidates (verified, skipped) | peak RSS delta MB | reported pairs | precision |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            for key, q in (("retold", "q_retold"), ("datasketch", "q_peer")):
                r = row[key]
                st = ", ".join(f"{k} {v:.2f}" for k, v in r.stages.items())
                cv = f"{r.candidates:,}"
                if r.extra:
                    cv += f" ({int(r.extra.get('verified', 0)):,}, {int(r.extra.get('skipped', 0)):,})"
                L.append(
                    f"| {row['n']:,} | {key} | {r.rate:,.0f} | {r.seconds:.2f} | {st} | {cv} | {r.peak_mb:.0f} | "
                    f"{int(row[q]['reported']):,} | {row[q]['precision']:.3f} |"
                )
        L.append("")
        L.append("Recall of each kind of derived copy (pair reported at all; for retold, in brackets: with the expected relation):")
        L.append("")
        L.append("| N | engine | " + " | ".join(f"{k} ({EXPECTED[k]})" for k in KINDS) + " |")
        L.append("|---|---|" + "---|" * len(KINDS))
        for row in rows:
            qa, qb = row["q_retold"], row["q_peer"]
            L.append(f"| {row['n']:,} | retold | " + " | ".join(f"{qa['recall_' + k]:.3f} ({qa['label_' + k]:.3f})" for k in KINDS) + " |")
            L.append(f"| {row['n']:,} | datasketch | " + " | ".join(f"{qb['recall_' + k]:.3f}" for k in KINDS) + " |")
        sizes = [row["n"] for row in rows]
        er = scaling_exponent(sizes, [row["retold"].seconds for row in rows])
        ea = scaling_exponent(sizes, [signing_seconds(row["retold"]) for row in rows])
        ep = scaling_exponent(sizes, [row["datasketch"].seconds for row in rows])
        L.append("")
        L.append(
            f"Scaling exponent (slope of log time vs log N over {', '.join(f'{s:,}' for s in sizes)}): retold end to end "
            f"{er:.2f}, retold signing + candidates {ea:.2f}, datasketch {ep:.2f} (1.0 = linear)."
        )
        ra = [row["datasketch"].seconds / signing_seconds(row["retold"]) for row in rows]
        rb = [row["retold"].rate / row["datasketch"].rate for row in rows]
        L.append("")
        recall_ok = all(row["q_retold"]["recall_" + k] >= row["q_peer"]["recall_" + k] for row in rows for k in KINDS)
        L.append(
            "**Against the 5x target:** (a) signing + candidates, retold / datasketch throughput: "
            + ", ".join(f"{x:.1f}x at {s:,}" for x, s in zip(ra, sizes))
            + f" ({'meets' if min(ra) >= 5 else 'does not meet'} 5x at every size); (b) end to end: "
            + ", ".join(f"{x:.2f}x at {s:,}" for x, s in zip(rb, sizes))
            + f" ({'meets' if min(rb) >= 5 else 'does not meet'} 5x). Retold's recall is "
            + ("equal or higher for every kind at every size." if recall_ok else "LOWER than datasketch's for some kind (see above).")
        )
        L.append("")
        L.append(
            f"Notes: precision counts a pair right when both articles share a base text; pairs of texts from one "
            "WMT document (source, references, MT outputs) are unjudged. Memory is peak RSS above the RSS at the "
            "start of each run, sampled every 5 ms. Not timed: building retold's character tables "
            f"once per process ({res.get('setup_s', float('nan')):.2f} s, whatever N). The copies are 90% of each corpus, so retold verifies many "
            "true pairs (a family of ten copies is 45 pairs); on a corpus with fewer copies the verify stage shrinks. "
            "The copy engine here reads each text as it is, without the cleaning stage, so the other site's header "
            "and footer of a boiler copy count as added lines and make most of them near_duplicate; in a scan, "
            "whose cleaning sets such furniture aside, they are duplicates "
            "(tests/test_copy_engine.py::test_exact_and_boilerplate_copies_are_duplicates)."
        )
        if png:
            L.append("")
            L.append(f"![articles/s and time vs N]({png})")
    if full:
        L.append("")
        L.append("### The whole pipeline (`retold.pipeline.scan`, semantic layer on)")
        L.append("")
        L.append(
            "Real texts only (a fixed random sample of the base texts, no derived copies): ingest, clean, sign, "
            "sentence embeddings, candidates (lexical + semantic), compare (verbatim + alignment), decide, groups. "
            "Seconds per stage from `result.stats` (`time_*_s`)."
        )
        L.append("")
        names = sorted({k for f in full for k in f["stages"]}, key=lambda k: list(full[0]["stages"]).index(k) if k in full[0]["stages"] else 99)
        L.append("| N | articles/s | total s | " + " | ".join(f"{k} s" for k in names) + " | candidate pairs | related pairs | peak RSS delta MB |")
        L.append("|---|---|---|" + "---|" * len(names) + "---|---|---|")
        for f in full:
            L.append(
                f"| {f['n']:,} | {f['rate']:,.1f} | {f['seconds']:.1f} | "
                + " | ".join(f"{f['stages'].get(k, float('nan')):.2f}" for k in names)
                + f" | {f['candidates']:,} | {f['pairs']:,} | {f['peak_mb']:.0f} |"
            )
        if len(full) >= 2:
            sizes = [f["n"] for f in full]
            L.append("")
            L.append(
                f"Scaling exponent of the whole pipeline (slope of log time vs log N over {', '.join(f'{n:,}' for n in sizes)}): "
                f"{scaling_exponent(sizes, [f['seconds'] for f in full]):.2f} (1.0 = linear)."
            )
    L.append(end)
    return "\n".join(L) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace only our section of the file (create it if missing); other sections stay.

    The section's own first line says which markers it has (see ``markers``)."""
    path = Path(path)
    start = section.split("\n", 1)[0].strip()
    end = start.replace(":start -->", ":end -->")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in old and end in old:
        a = old.index(start)
        b = old.index(end) + len(end)
        rest = old[b:]
        new = old[:a] + section.rstrip("\n") + (rest if rest.startswith("\n") else "\n" + rest)
    else:
        new = (old.rstrip("\n") + "\n\n" if old.strip() else "# Benchmarks\n\n") + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def plot(res: dict, png: Path) -> None:
    """Articles/s and total time vs N for both engines (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = res["rows"]
    if not rows:
        return
    sizes = [row["n"] for row in rows]
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for key, style in (("retold", "o-"), ("datasketch", "s--")):
        ax[0].plot(sizes, [row[key].rate for row in rows], style, label=f"{key} end to end" if key == "retold" else key)
        ax[1].plot(sizes, [row[key].seconds for row in rows], style, label=f"{key} end to end" if key == "retold" else key)
    sig = [signing_seconds(row["retold"]) for row in rows]
    ax[0].plot(sizes, [n / t for n, t in zip(sizes, sig)], "^:", label="retold signing + candidates")
    ax[1].plot(sizes, sig, "^:", label="retold signing + candidates")
    for a, title in zip(ax, ("articles / s (wall)", "total time (s)")):
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("articles (N)")
        a.set_title(title)
        a.grid(True, which="both", alpha=0.3)
        a.legend()
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def bench_speed(
    sizes: list[int],
    data: Path,
    out: Path,
    png: Path | None = None,
    command: str = "",
    log=print,
    full_sizes: list[int] | None = None,
    encoder=None,
    section: str = "",
) -> str:
    """The whole command: run, write the markdown section and the plot; returns the section.

    ``section`` names a section of its own (``gpu``: a run on another machine), so that one
    run does not overwrite the other's figures."""
    command = command or f"retold bench speed --sizes {','.join(map(str, sizes))}"
    written: list[str] = []

    def write(res: dict) -> None:
        png_rel = None
        if png is not None and res["rows"]:
            plot(res, png)
            try:
                png_rel = os.path.relpath(png, Path(out).parent)
            except ValueError:
                png_rel = str(png)
        md = render_markdown(res, command, png_rel, section)
        write_section(out, md)
        written.append(md)

    run_speed_bench(sizes, data, log=log, after=write, full_sizes=full_sizes, encoder=encoder)
    return written[-1] if written else ""
