"""De-duplication bench: ``retold dedup --copies-only`` against datasketch MinHash + LSH and the
filtering a user writes around it, on the speed bench's corpus, side by side.

The corpus is ``corpora_speed.build_corpus`` (real texts plus derived copies of four kinds:
exact, boilerplate header/footer, light edit, excerpt inserted into another article), written
as one JSONL file. Both tools run as the commands a user runs, each in its own process, from
reading that file to writing the de-duplicated file, one after the other, ``repeat`` times in
turn, so that the load of the machine falls on both alike:

- retold: ``retold dedup IN --out DIR --drop duplicate,near_duplicate --copies-only --quiet``;
- datasketch: :func:`peer_dedup` (``python -m retold.bench.dedup peer IN OUT``): word 5-gram
  shingles, ``MinHash.update_batch`` with xxhash (the fastest hash, as in the speed bench),
  ``MinHashLSH`` (threshold 0.5, 128 permutations) insert and query, union-find over the hits,
  the first article of each cluster kept, its line written unchanged.

What each removed is read back from the files written: the derived copies removed, by kind
(the corpus knows which texts are derived and from what), and the real texts removed.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

START = "<!-- retold:bench-dedup:start -->"
END = "<!-- retold:bench-dedup:end -->"
DROP = "duplicate,near_duplicate"
_WORD = re.compile(r"\w+")


def peer_dedup(src: Path, dst: Path, threshold: float = 0.5, num_perm: int = 128) -> dict[str, int]:
    """De-duplicate a JSONL file with datasketch as a user would: MinHash LSH, union-find, keep the first.

    Parameters
    ----------
    src:
        JSONL file of records with ``id`` and ``text``.
    dst:
        Where the kept lines go, unchanged.
    threshold, num_perm:
        ``MinHashLSH``'s Jaccard threshold and the number of permutations.

    Returns
    -------
    ``{"articles": N, "kept": K}``.
    """
    import xxhash
    from datasketch import MinHash, MinHashLSH

    lines = Path(src).read_bytes().splitlines(keepends=True)
    sigs = []
    for line in lines:
        w = _WORD.findall(json.loads(line)["text"].lower())
        sh = [" ".join(w[i : i + 5]).encode() for i in range(len(w) - 4)] or [" ".join(w).encode()]
        m = MinHash(num_perm=num_perm, seed=1, hashfunc=xxhash.xxh32_intdigest)
        m.update_batch(sh)
        sigs.append(m)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for k, m in enumerate(sigs):
        lsh.insert(k, m)
    parent = list(range(len(sigs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k, m in enumerate(sigs):
        for r in lsh.query(m):
            a, b = find(k), find(r)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the earlier article is the root: it stays
    kept = [line for k, line in enumerate(lines) if find(k) == k]
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_bytes(b"".join(kept))
    return {"articles": len(lines), "kept": len(kept)}


def _ids(path: Path) -> list[str]:
    return [json.loads(x)["id"] for x in Path(path).read_bytes().splitlines() if x.strip()]


def _kind(aid: str) -> str:
    return aid.rsplit("-", 1)[1] if aid.startswith("d") and "-" in aid else "real"


def removed_by_kind(all_ids: list[str], kept_ids: list[str]) -> dict[str, int]:
    """What a tool removed, by the kind of article, read back from the file it wrote.

    Parameters
    ----------
    all_ids:
        The corpus's ids (a derived copy's id ends with its kind).
    kept_ids:
        The ids in the tool's output.

    Returns
    -------
    ``{kind: removed}`` for exact, boiler, edit, excerpt and real.
    """
    kept = set(kept_ids)
    return dict(Counter(_kind(i) for i in all_ids if i not in kept))


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one command."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {err.read()[-2000:].decode(errors='replace')}")
    return dt, usage.ru_utime + usage.ru_stime


def run_dedup_bench(data: Path, size: int = 10000, repeat: int = 3, seed: int = 7, log=print, workdir: Path | None = None) -> dict:
    """Build the corpus, run both tools ``repeat`` times in turn, read back what each removed.

    Parameters
    ----------
    data:
        The shared data folder (ecbplus/, wmt16_enfi_docs/, wmt22_general_docs/).
    size:
        Articles in the corpus.
    repeat:
        Runs of each tool (alternating); the medians are compared.
    seed:
        The corpus seed.
    log:
        Progress lines.
    workdir:
        Folder for the corpus and outputs (default: a temporary one).

    Returns
    -------
    Times of every run, medians, the ratio retold / datasketch, and removals by kind.
    """
    from retold.bench.corpora_speed import build_corpus, load_base_texts
    from retold.bench.speed import machine

    corpus = build_corpus(load_base_texts(Path(data)), size, seed=seed)
    tmp = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="retold-bench-dedup-"))
    src = tmp / "corpus.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for a in corpus.articles:
            f.write(json.dumps({"id": a.id, "text": a.text}, ensure_ascii=False) + "\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    ours = [sys.executable, "-m", "retold", "dedup", str(src), "--out", str(tmp / "retold"), "--drop", DROP, "--copies-only", "--quiet"]
    peer = [sys.executable, "-m", "retold.bench.dedup", "peer", str(src), str(tmp / "datasketch" / "corpus.jsonl")]
    times: dict[str, list[float]] = {"retold": [], "datasketch": []}
    cpu: dict[str, list[float]] = {"retold": [], "datasketch": []}
    for k in range(repeat):
        for name, cmd in (("retold", ours), ("datasketch", peer)) if k % 2 == 0 else (("datasketch", peer), ("retold", ours)):
            wall, used = _run(cmd, env)
            times[name].append(wall)
            cpu[name].append(used)
            log(f"run {k + 1}/{repeat} {name}: {wall:.2f} s wall, {used:.2f} s CPU")
    # where retold's time goes: the same dedup once more, in this process, by stage (not in the ratio)
    from retold.config import Settings
    from retold.pipeline import dedup

    stages = dedup([src], tmp / "stages", drop=DROP, settings=Settings(semantic=False)).stats
    all_ids = [a.id for a in corpus.articles]
    rem = {
        "retold": removed_by_kind(all_ids, _ids(tmp / "retold" / "corpus.jsonl")),
        "datasketch": removed_by_kind(all_ids, _ids(tmp / "datasketch" / "corpus.jsonl")),
    }
    med = {k: statistics.median(v) for k, v in times.items()}
    # each round runs both back to back, so the load of the moment falls on both: their ratio
    # per round is steadier than the ratio of medians when the load drifts during the bench
    paired = [a / b for a, b in zip(times["retold"], times["datasketch"])]
    kinds = Counter(_kind(i) for i in all_ids)
    return {
        "size": size,
        "repeat": repeat,
        "times": times,
        "median": med,
        "ratio": statistics.median(paired),
        "paired": paired,
        "ratio_of_medians": med["retold"] / med["datasketch"],
        "cpu": cpu,
        "removed": rem,
        "kinds": dict(kinds),
        "stages": {k[5:-2]: v for k, v in stages.items() if k.startswith("time_") and k.endswith("_s")},
        "verified": stages.get("verified", 0.0),
        "candidates": stages.get("candidates", 0.0),
        "machine": machine(),
        "commands": {"retold": "retold dedup corpus.jsonl --out OUT --drop duplicate,near_duplicate --copies-only --quiet",
                     "datasketch": "python -m retold.bench.dedup peer corpus.jsonl OUT/corpus.jsonl"},
    }


KINDS = ("exact", "boiler", "edit", "excerpt")


def render_markdown(res: dict, command: str) -> str:
    """The de-duplication section of docs/benchmarks.md.

    Parameters
    ----------
    res:
        :func:`run_dedup_bench`'s result.
    command:
        The command that produced it, quoted in the section.

    Returns
    -------
    Markdown between ``START`` and ``END``.
    """
    m = res["machine"]
    med, t = res["median"], res["times"]
    rem, kinds = res["removed"], res["kinds"]
    derived = sum(kinds.get(k, 0) for k in KINDS)
    L = [START, "## De-duplication: `retold dedup --copies-only` vs datasketch MinHash LSH + union-find", ""]
    L.append(f"Command: `{command}`  ")
    L.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}; load average at the end {m['load']}  ")
    L.append(f"Versions: Python {m['python']}, numpy {m['numpy']}, datasketch {m['datasketch']}; date {m['date']}")
    L.append("")
    L.append(
        f"Corpus: the speed bench's {res['size']:,} articles (`corpora_speed.build_corpus`, seed 7): "
        f"{kinds.get('real', 0):,} real texts and {derived:,} derived copies "
        + ", ".join(f"{kinds.get(k, 0):,} {k}" for k in KINDS)
        + ", as one JSONL file. Each tool runs as a user runs it, in its own process, from reading the file to "
        f"writing the de-duplicated one; {res['repeat']} runs each, in turn (retold first, then datasketch first, ...)."
    )
    L.append("")
    L.append(f"- retold: `{res['commands']['retold']}`")
    L.append(
        "- datasketch: `" + res["commands"]["datasketch"] + "`: word 5-gram shingles, `MinHash.update_batch` (xxhash), "
        "`MinHashLSH(threshold=0.5, num_perm=128)` insert + query, union-find over the hits, the first article of each "
        "cluster kept, its line written unchanged (`retold/bench/dedup.py`, `peer_dedup`)."
    )
    L.append("")
    cpu = res.get("cpu") or {}
    L.append("| tool | wall s (median) | runs, wall s | CPU s (median) | articles kept | derived copies removed | " + " | ".join(f"{k} removed" for k in KINDS) + " | real texts removed |")
    L.append("|---|---|---|---|---|---|" + "---|" * len(KINDS) + "---|")
    for name in ("retold", "datasketch"):
        r = rem[name]
        gone = sum(r.get(k, 0) for k in KINDS)
        kept = res["size"] - sum(r.values())
        L.append(
            f"| {name} | {med[name]:.2f} | {', '.join(f'{x:.2f}' for x in t[name])} | "
            f"{statistics.median(cpu[name]) if cpu.get(name) else float('nan'):.2f} | {kept:,} | {gone:,} of {derived:,} | "
            + " | ".join(f"{r.get(k, 0):,} of {kinds.get(k, 0):,}" for k in KINDS)
            + f" | {r.get('real', 0):,} |"
        )
    L.append("")
    ratio = res["ratio"]
    more = sum(rem["retold"].get(k, 0) for k in KINDS) - sum(rem["datasketch"].get(k, 0) for k in KINDS)
    paired = res.get("paired") or []
    L.append(
        f"**Wall time, retold / datasketch: {ratio:.2f}x** (median of the {len(paired)} rounds' ratios "
        f"{', '.join(f'{x:.2f}' for x in paired)}; ratio of the medians {res.get('ratio_of_medians', ratio):.2f}; target: within 1.5x, "
        f"{'met' if ratio <= 1.5 else 'NOT met'}); retold removes {more:+,} derived copies against datasketch."
    )
    st = res.get("stages") or {}
    if st:
        L.append("")
        L.append(
            "Where retold's time goes (the same dedup once more in the bench's process, by stage, s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in st.items() if k != "total")
            + f"; total {st.get('total', float('nan')):.2f}, without the interpreter's start and imports. "
            f"Of {int(res.get('candidates', 0)):,} candidate pairs, {int(res.get('verified', 0)):,} were verified."
        )
    L.append("")
    L.append(
        "Notes: `--drop duplicate,near_duplicate` leaves partial copies in, so an excerpt stays unless it is a near "
        "duplicate of the article it was inserted into (it is where the host is most of it); datasketch's LSH at 0.5 "
        "removes most of those, and misses light edits whose 5-gram Jaccard falls below its threshold. A real text "
        "removed is one of the WMT siblings (two machine translations of one source that differ in a few words) or "
        "a host that gave way to its excerpt copy. The exact and boilerplate copies retold keeps are copies of a "
        "text whose every line the cleaning sets aside as boilerplate (on this corpus: one 70-word text of 51 short "
        "lines, which recur in excerpts inserted into many other articles), so no tokens are left to match; a scan "
        "does the same. retold's run includes its cleaning (tokens and boilerplate, as a scan's), signatures, "
        "lexical candidates and the verification of every candidate pair that could still join two clusters "
        "(`retold/show/dedup.py`, `copy_links`)."
    )
    L.append(END)
    return "\n".join(L) + "\n"


def bench_dedup(data: Path, out: Path, size: int = 10000, repeat: int = 3, command: str = "", log=print) -> str:
    """The whole ``retold bench dedup``: run, then replace only this section of ``out``.

    Parameters
    ----------
    data:
        The shared data folder.
    out:
        The markdown file (other sections stay).
    size, repeat:
        Corpus size and runs of each tool.
    command:
        The command quoted in the section.
    log:
        Progress lines.

    Returns
    -------
    The section written.
    """
    from retold.bench.speed import write_section

    res = run_dedup_bench(data, size=size, repeat=repeat, log=log)
    md = render_markdown(res, command or f"retold bench dedup --size {size} --repeat {repeat}")
    write_section(out, md)
    return md


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "peer":
        peer_dedup(Path(argv[1]), Path(argv[2]))
        return 0
    print("usage: python -m retold.bench.dedup peer IN.jsonl OUT.jsonl", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
