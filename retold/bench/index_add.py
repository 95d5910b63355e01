"""``retold bench index``: what adding k new articles to an index of N costs, for several N.

The indexes are built once and cached: the first N articles of a speed-bench corpus
(``corpora_speed.build_corpus(base, N + k)``, real texts and derived copies) are cleaned,
signed and embedded by the pipeline and added to an index; the last k (derived copies,
most of them of texts in the index) are the new articles. The pairs among the N indexed
articles are not computed (that is hours of comparing on 2 cores, and the add's cost is
what is measured); the add then compares the k new articles with all N, as a scan does.

Each add runs in a child process on a fresh copy of the cached index, so its peak memory
(``ru_maxrss``) is the add's alone. The child runs ``retold.scan(articles, index=copy)``
with the code on its ``PYTHONPATH``: the same measurement times another checkout of retold
(``--code``) on the same files, for a before/after comparison.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from retold.bench.corpora_speed import MIN_SOURCE_WORDS, BaseText, _boiler, _edit, build_corpus, load_base_texts
from retold.index.vectors import copy_beside, segment_dir
from retold.ingest import read_articles
from retold.model import Article

#: the child: reads the new articles, scans them into the index, prints its figures as JSON
_CHILD = r"""
import json, resource, sys, threading, time
t0 = time.perf_counter()
peak = {"anon": 0.0, "file": 0.0}
def sample():  # the process's own memory (RssAnon) apart from the index file's mapped pages (RssFile)
    while True:
        try:
            with open("/proc/self/status") as f:
                kb = {l.split(":")[0]: float(l.split()[1]) for l in f if l.startswith(("RssAnon", "RssFile"))}
        except OSError:
            return
        peak["anon"] = max(peak["anon"], kb.get("RssAnon", 0.0) / 1024)
        peak["file"] = max(peak["file"], kb.get("RssFile", 0.0) / 1024)
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
from retold import scan
from retold.ingest import read_articles
from retold.index import Index
arts, _ = read_articles([sys.argv[2]])
with Index.open(sys.argv[1]) as ix:
    up = getattr(ix, "upgrade", None)
    t = time.perf_counter()
    if up is not None:
        up()
    t_up = time.perf_counter() - t
t = time.perf_counter()
res = scan(arts, index=sys.argv[1])
import retold
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps({"add_s": wall, "peak_rss_mb": rss, "upgrade_s": t_up, "pairs": len(res.pairs), "code": retold.__file__,
      "peak_anon_mb": peak["anon"] or None, "peak_file_mb": peak["file"] or None,
      "stats": {k: v for k, v in res.stats.items() if k.startswith("time_") or k in ("candidates", "articles_read")}}))
"""


def _write_jsonl(articles: list[Article], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps({"id": a.id, "text": a.text}) + "\n")
    tmp.replace(path)


def planted_corpus(base: list[BaseText], n: int, k: int, seed: int = 5) -> tuple[list[Article], list[Article]]:
    """(the ``n`` indexed articles, the ``k`` new ones) where every new article has the same
    relatives in the index whatever ``n``: so that the cost of an add against a larger index
    measures the index, not more true pairs to compare.

    ``k // 2`` long base texts are held out (with every text of their source documents:
    translations of one WMT document are one group) and planted in the index, first, as they
    are; the new articles are two derived copies (an edited copy and one with boilerplate)
    of each. The rest of the index is ``build_corpus`` over the other base texts (real texts,
    10% distinct, the rest copies among themselves), so it shares no text with the new ones.
    """
    rng = random.Random(seed)
    long = [i for i, b in enumerate(base) if len(b.text.split()) >= MIN_SOURCE_WORDS]
    rng.shuffle(long)
    held: list[int] = []
    groups: set[str] = set()
    for i in long:
        if len(held) >= max(k // 2, 1):
            break
        if base[i].group not in groups:
            held.append(i)
            groups.add(base[i].group)
    rest = [b for b in base if b.group not in groups]
    planted = [Article(id=f"h{j}", text=base[i].text) for j, i in enumerate(held)]
    body = build_corpus(rest, max(n - len(planted), 0)).articles
    vocab = ["indeed", "reportedly", "however", "lately", "officials", "sources", "major", "new", "several", "local"]
    fresh = []
    for j, a in enumerate(planted):
        fresh.append(Article(id=f"n{j}-edit", text=_edit(a.text, rng, vocab)))
        fresh.append(Article(id=f"n{j}-boiler", text=_boiler(a.text, rng)))
    return planted + body, fresh[:k]


def build_base(
    n: int, k: int, data: Path, cache: Path, log: Callable[[str], None] = lambda m: None, design: str = "corpus"
) -> tuple[Path, Path]:
    """The cached index of ``n`` articles and the file of ``k`` new ones (built when missing).
    ``design``: ``corpus`` (the last k of ``build_corpus(base, n + k)``: copies whose indexed
    relatives grow with n) or ``planted`` (``planted_corpus``: the same relatives at every n)."""
    from retold.config import Settings
    from retold.index import Index
    from retold.pipeline import prepare_docs
    from retold.progress import NullProgress
    from retold.sign import default_encoder

    cache.mkdir(parents=True, exist_ok=True)
    tag = "" if design == "corpus" else f"{design}-"
    idx, new = cache / f"base-{tag}{n}-{k}.idx", cache / f"new-{tag}{n}-{k}.jsonl"
    if idx.exists() and new.exists():
        if not segment_dir(idx).is_dir():  # cached before the graphs existed: build them once, here
            with Index.open(idx) as ix:
                ix.build_vectors()
        return idx, new
    if design == "planted":
        old, fresh = planted_corpus(load_base_texts(data), n, k)
    else:
        corpus = build_corpus(load_base_texts(data), n + k)
        old, fresh = corpus.articles[:n], corpus.articles[n:]
    settings = Settings()
    encoder = default_encoder(settings)
    part = idx.with_name(idx.name + ".part")
    for side in ("", "-wal", "-shm"):
        Path(str(part) + side).unlink(missing_ok=True)
    shutil.rmtree(segment_dir(part), ignore_errors=True)
    t = time.perf_counter()
    with Index.open(part, settings, encoder_name=encoder.name) as ix:
        for i in range(0, n, 500):
            docs = prepare_docs(old[i : i + 500], settings, encoder, NullProgress(), {})
            ix.add(docs, [])
            log(f"  index of {n}: {min(i + 500, n)} articles ({time.perf_counter() - t:.0f} s)")
    shutil.rmtree(segment_dir(idx), ignore_errors=True)
    if segment_dir(part).is_dir():
        segment_dir(part).replace(segment_dir(idx))
    part.replace(idx)
    _write_jsonl(fresh, new)
    return idx, new


def time_add(base: Path, new: Path, code: Path | None = None, timeout: float = 3600.0) -> dict:
    """Scan the articles of ``new`` into a copy of ``base`` in a child process; its figures."""
    with tempfile.TemporaryDirectory(prefix="retold-bench-index-") as d:
        copy = Path(d) / "index.idx"
        shutil.copyfile(base, copy)
        copy_beside(base, copy)  # its article-vector graphs
        env = dict(os.environ)
        root = str(code) if code is not None else str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(copy), str(new)], env=env, capture_output=True, text=True, timeout=timeout,
            cwd=d,  # not the caller's folder: ``python -c`` puts it first on sys.path, before PYTHONPATH
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the add failed ({proc.returncode}): {proc.stderr[-2000:]}")
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
        return json.loads(line[len("RESULT ") :])


def index_side(base: Path, new: Path) -> dict:
    """The part of an add that reads the index, both ways, in this process on a copy of ``base``:
    ``full`` loads every indexed doc and pair and finds the candidates over all of them (how a
    scan worked before the candidate tables), ``tables`` reads the candidate tables
    (``retold.index.incremental``); each then builds the groups. Seconds and peak traced memory
    (``tracemalloc``: Python and numpy allocations) of each; the new docs are prepared first,
    once, and are not counted."""
    import tracemalloc

    import numpy as np

    from retold.candidates import find_candidates
    from retold.config import Settings
    from retold.group import build_groups
    from retold.index import Index
    from retold.index.incremental import dated, indexed_candidates
    from retold.pipeline import prepare_docs
    from retold.progress import NullProgress
    from retold.sign.names import sign_names

    settings = Settings()
    arts, _ = read_articles([new])
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="retold-bench-index-") as d:
        copy = Path(d) / "index.idx"
        shutil.copyfile(base, copy)
        copy_beside(base, copy)  # its article-vector graphs
        with Index.open(copy) as ix:
            ix.upgrade()
            new_docs = prepare_docs(arts, settings, None, NullProgress(), {})
        sign_names(new_docs)
        # warm up: imports (scipy, igraph, leidenalg) and what the new docs cache, paid by neither way
        find_candidates(new_docs, np.ones(len(new_docs), dtype=bool), settings, {})
        build_groups({x.id: x for x in new_docs}, [], settings)
        for mode in ("full", "tables"):
            with Index.open(copy) as ix:
                tracemalloc.start()
                t = time.perf_counter()
                if mode == "full":
                    old = ix.load_docs()
                    pairs = ix.load_pairs()
                    docs = old + new_docs
                    is_new = np.zeros(len(docs), dtype=bool)
                    is_new[len(old) :] = True
                    sign_names(docs, words_of=is_new)
                    cand = find_candidates(docs, is_new, settings, {})
                    build_groups({x.id: x for x in docs}, pairs, settings)
                else:
                    found = indexed_candidates(ix, new_docs, settings, {})
                    cand = found.cand
                    group_docs = dated(found.light)
                    group_docs.update({x.id: x for x in found.docs})
                    build_groups(group_docs, ix.pair_links(), settings)
                wall = time.perf_counter() - t
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            out[mode] = {"s": wall, "peak_mb": peak, "candidates": len(cand)}
    return out


def slope(ns: list[int], ys: list[float]) -> float:
    """Least-squares slope of log y against log N: 1 is linear growth, 0 flat."""
    xs = [math.log(x) for x in ns]
    ls = [math.log(max(y, 1e-9)) for y in ys]
    mx, my = sum(xs) / len(xs), sum(ls) / len(ls)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ls)) / den if den else 0.0


def bench_index(
    sizes: list[int],
    k: int,
    data: Path,
    cache: Path,
    code: Path | None = None,
    log: Callable[[str], None] = lambda m: None,
    side: bool = True,
    design: str = "corpus",
    on_row: Callable[[dict], None] = lambda res: None,
) -> dict:
    """Time an add of ``k`` to an index of each size; rows plus the slopes of time and memory.
    ``on_row``: called with the figures so far after each size (a long run keeps what it measured)."""
    rows = []
    for n in sizes:
        base, new = build_base(n, k, data, cache, log, design)
        log(f"adding {k} to {n} ...")
        r = time_add(base, new, code)
        if side:
            r["index_side"] = index_side(base, new)
        r["n"] = n
        r["k"] = len(read_articles([new])[0])
        rows.append(r)
        log(f"  {n}: {r['add_s']:.1f} s, peak {r['peak_rss_mb']:.0f} MB")
        on_row(_summary(rows, design))
    return _summary(rows, design)


def _summary(rows: list[dict], design: str) -> dict:
    """The rows and, past one size, the slopes of log time and log peak memory against log N."""
    out = {"rows": rows, "design": design}
    if len(rows) > 1:
        out["slope_time"] = slope([r["n"] for r in rows], [r["add_s"] for r in rows])
        out["slope_memory"] = slope([r["n"] for r in rows], [r["peak_rss_mb"] for r in rows])
        if all(r.get("peak_anon_mb") for r in rows):
            out["slope_anon_memory"] = slope([r["n"] for r in rows], [r["peak_anon_mb"] for r in rows])
    return out


def render(res: dict, command: str) -> str:
    """The figures as a Markdown table, with the command that made them."""
    lines = [f"`{command}`", "", "| indexed N | new k | add (s) | peak RSS (MB) | of which own, peak (MB) | index file mapped, peak (MB) | candidate pairs | of which: candidates, compare, groups (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]

    def mb(v: float | None) -> str:
        return f"{v:.0f}" if v else "-"

    for r in res["rows"]:
        st = r.get("stats", {})
        parts = ", ".join(f"{st.get(key, 0.0):.1f}" for key in ("time_candidates_s", "time_compare_s", "time_group_s"))
        n_cand = f"{st['candidates']:,.0f}" if "candidates" in st else "-"
        lines.append(
            f"| {r['n']:,} | {r['k']} | {r['add_s']:.1f} | {r['peak_rss_mb']:.0f} | {mb(r.get('peak_anon_mb'))} | "
            f"{mb(r.get('peak_file_mb'))} | {n_cand} | {parts} |"
        )
    if "slope_time" in res:
        own = f"; of log peak own memory: {res['slope_anon_memory']:.2f}" if "slope_anon_memory" in res else ""
        lines += ["", f"slope of log time vs log N: {res['slope_time']:.2f}; of log peak memory: {res['slope_memory']:.2f}{own}"]
    sides = [r for r in res["rows"] if "index_side" in r]
    if sides:
        lines += ["", "The part that reads the index (candidates and groups; the new docs prepared beforehand), in one process:", "",
                  "| indexed N | full load: s | full load: peak MB | candidate tables: s | candidate tables: peak MB | same candidates |",
                  "|---:|---:|---:|---:|---:|---|"]
        for r in sides:
            f, t = r["index_side"]["full"], r["index_side"]["tables"]
            same = "yes" if f["candidates"] == t["candidates"] else f"{f['candidates']} vs {t['candidates']}"
            lines.append(f"| {r['n']:,} | {f['s']:.2f} | {f['peak_mb']:.0f} | {t['s']:.2f} | {t['peak_mb']:.0f} | {same} |")
    return "\n".join(lines)
