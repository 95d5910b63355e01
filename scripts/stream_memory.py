"""Memory of a streamed scan batch after batch:
``python3 scripts/stream_memory.py N BATCH [--part-docs P] [--trim] [--trace]``.

Writes N articles of the speed bench's corpus (``build_corpus``, seed 7, shuffled) to /tmp/stream-memory,
scans them with ``retold.stream.scan_in_batches`` BATCH at a time into a fresh index there, and prints
after each batch the pairs so far, the elapsed time, RSS and peak RSS, the process's own memory
(RssAnon) apart from the index file's mapped pages (RssFile), the batch's counts (indexed articles
read, parts they were read in, candidates, replayed pairs) and its stage seconds. ``--part-docs``:
``Settings.index_part_docs``; ``--trim``: give freed heap back to the system after each batch and
print RSS after; ``--trace``: also the Python and numpy memory traced by tracemalloc and the lines
whose allocations grew most since the batch before; ``--where``: sample RSS every 20 ms and print, per batch, the highest and the retold frames the
main thread was in at that moment; ``--keep``: go on with the index a run before
left (as running ``retold scan --batch-size`` again does: the articles it holds are skipped). Needs ../shared/data (the speed bench's texts).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import shutil
import time
import tracemalloc
from pathlib import Path

from retold.bench.corpora_speed import build_corpus, load_base_texts
from retold.stream import StreamRun, scan_in_batches

WORK = Path("/tmp/stream-memory")


def _rss_mb() -> int:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) // 1024


def _status() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("RssAnon", "RssFile"):
            out[k] = int(v.split()[0]) // 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("batch", type=int)
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--part-docs", type=int, default=0, help="Settings.index_part_docs (0: the default)")
    ap.add_argument("--trim", action="store_true", help="give freed heap back to the system after each batch (glibc malloc_trim)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--where", action="store_true",
                    help="sample RSS every 20 ms and print where in retold the batch's peak was reached")
    ap.add_argument("--keep", action="store_true",
                    help="go on with the index a run before left (its articles are skipped), rather than a fresh one")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / f"c{args.n}.jsonl"
    if not corpus.exists():
        arts = list(build_corpus(load_base_texts(args.data), args.n, seed=7).articles)
        random.Random(7).shuffle(arts)
        with corpus.open("w", encoding="utf-8") as f:
            for a in arts:
                f.write(json.dumps({"id": a.id, "text": a.text}, ensure_ascii=False) + "\n")
    idx = WORK / f"i{args.n}.idx"
    if not args.keep:
        for side in ("", "-wal", "-shm"):
            Path(str(idx) + side).unlink(missing_ok=True)
        shutil.rmtree(str(idx) + ".vectors", ignore_errors=True)
    t0 = time.perf_counter()
    prev: list[tracemalloc.Snapshot] = []
    last: dict[str, float] = {}
    if args.trace:
        tracemalloc.start(1)

    at_peak = {"rss": 0, "where": ""}
    if args.where:
        import sys
        import threading
        import traceback

        main_id = threading.get_ident()

        def sample() -> None:
            while True:
                time.sleep(0.02)
                rss = _rss_mb()
                if rss > at_peak["rss"]:
                    frame = sys._current_frames().get(main_id)
                    stack = traceback.extract_stack(frame) if frame is not None else []
                    mine = [f"{Path(f.filename).name}:{f.name}:{f.lineno}" for f in stack if "/retold/" in f.filename]
                    at_peak.update(rss=rss, where=" < ".join(reversed(mine[-4:])))

        threading.Thread(target=sample, daemon=True).start()

    def on_batch(run: StreamRun) -> None:
        gc.collect()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        line = f"batch {run.batches} pairs {run.pairs} t {time.perf_counter() - t0:.0f}s rss {_rss_mb()} MB maxrss {peak} MB"
        stages = {k: v - last.get(k, 0.0) for k, v in run.stats.items() if k.startswith("time_") and k.endswith("_s")}
        counts = {k: run.stats.get(k, 0.0) - last.get(k, 0.0) for k in ("articles_read", "index_parts", "candidates", "pairs_replayed", "pairs_from_indexed_twins")}
        line += " | " + " ".join(f"{k} {v:,.0f}" for k, v in counts.items())
        last.update(run.stats)
        if args.trim:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
            line += f" rss after malloc_trim {_rss_mb()} MB"
        st = _status()
        line += f" anon {st['RssAnon']} file {st['RssFile']} MB"
        line += " | " + " ".join(f"{k[5:-2]} {v:.1f}" for k, v in stages.items() if v >= 0.5)
        if args.trace:
            snap = tracemalloc.take_snapshot()
            line += f" traced {sum(s.size for s in snap.statistics('filename')) / 1e6:.0f} MB"
            if prev:
                line += "".join(f"\n    {st}" for st in snap.compare_to(prev[0], "lineno")[:8])
            prev[:] = [snap]
        if args.where:
            line += f"\n    peak {at_peak['rss']} MB at {at_peak['where']}"
            at_peak.update(rss=0, where="")
        print(line, flush=True)

    from retold.config import Settings

    settings = Settings(index_part_docs=args.part_docs) if args.part_docs else Settings()
    scan_in_batches([corpus], idx, batch_size=args.batch, settings=settings, on_batch=on_batch)


if __name__ == "__main__":
    main()
