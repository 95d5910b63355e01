"""What the article-vector search of an add costs against an index of N: the exhaustive pass
over the ``vecs`` table (every vector read, a chunk at a time) and the graphs saved beside the
index (``retold.index.vectors``), on the same vectors and queries.

Vectors: 512-d, clustered (a centre per 25 vectors plus noise, so that a query has a handful of
close neighbours, like a copy among its relatives); written as the ``vecs`` rows an index
holds, in adds of 500, the graphs maintained after each as ``Index.add`` does. The 500 queries
are new vectors near indexed ones. Prints a JSON line per N: seconds and peak traced memory
(tracemalloc: Python and numpy allocations; the graphs' pages are mapped, not allocated) of
each way, the share of queries whose k neighbours are the same both ways, the share of the
neighbours at ``ann_min_cosine`` or more (the candidate pairs) that the graphs find, and the build time.

    python3 scripts/bench_vectors.py --sizes 5000,20000,50000 --dir /tmp/ixb/vec
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import time
import tracemalloc
from pathlib import Path

import numpy as np

from retold.candidates.semantic import exact_neighbours
from retold.index import vectors

DIM, K, BATCH = 512, 21, 500
MIN_COS = 0.35  # Settings.ann_min_cosine: the neighbours that become candidate pairs


def _vectors(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    c = centres[rng.integers(0, len(centres), n)]
    return (c + 0.7 * rng.standard_normal((n, DIM)) / math.sqrt(DIM)).astype(np.float32)


def _centres(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal((max(n // 25, 1), DIM)).astype(np.float32) / math.sqrt(DIM)


def build(path: Path, n: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """The ``vecs`` rows of ``n`` vectors, their graphs maintained add by add; the centres and the build time."""
    rng = np.random.default_rng(seed)
    centres = _centres(rng, n)
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, id TEXT)")
    db.execute("CREATE TABLE vecs (seq INTEGER PRIMARY KEY, vec BLOB NOT NULL)")
    t = time.perf_counter()
    for lo in range(0, n, BATCH):
        vs = _vectors(rng, min(BATCH, n - lo), centres)
        db.execute("BEGIN IMMEDIATE")
        for v in vs:
            seq = db.execute("INSERT INTO docs (id) VALUES ('x')").lastrowid
            db.execute("INSERT INTO vecs VALUES (?, ?)", (seq, v.tobytes()))
        vectors.sweep(db, path)
        vectors.maintain(db, path)
        db.execute("COMMIT")
    db.close()
    return centres, time.perf_counter() - t


def measure(path: Path, centres: np.ndarray, seed: int = 1) -> dict:
    """Both searches for 500 new vectors; seconds, peak MB and agreement."""
    rng = np.random.default_rng(seed)
    queries = _vectors(rng, 500, centres)
    out: dict = {}
    answers, close = {}, {}
    for way in ("exhaustive", "graphs"):
        db = sqlite3.connect(path, isolation_level=None)
        seqs = np.array([r[0] for r in db.execute("SELECT seq FROM docs ORDER BY seq")], dtype=np.int64)
        new_keys = int(seqs[-1]) + 1 + np.arange(len(queries))
        tracemalloc.start()
        t = time.perf_counter()
        if way == "exhaustive":
            chunks = [*vectors._range_rows(db, 0, None), (new_keys, queries)]
            keys, cos = exact_neighbours(iter(chunks), queries, K)
        else:
            keys, cos = vectors.neighbours(db, path, seqs, queries, new_keys, K)
        out[f"{way}_s"] = time.perf_counter() - t
        out[f"{way}_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        answers[way] = keys
        close[way] = {(q, int(x)) for q, (ks, cs) in enumerate(zip(keys, cos)) for x, c in zip(ks, cs) if c >= MIN_COS}
        db.close()
    out["same_rows"] = float((answers["exhaustive"] == answers["graphs"]).all(axis=1).mean())
    out["same_keys"] = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(answers["exhaustive"], answers["graphs"])]))
    out["close_pairs"] = len(close["exhaustive"])
    out["close_found"] = len(close["exhaustive"] & close["graphs"]) / max(len(close["exhaustive"]), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="5000,20000,50000")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/ixb/vec"))
    ap.add_argument("--reuse", action="store_true", help="search the files a run before built")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for n in [int(x) for x in args.sizes.split(",")]:
        path = args.dir / f"vecs-{n}.db"
        if args.reuse and path.is_file():  # the same vectors (seeded): only the searches again
            centres, build_s = _centres(np.random.default_rng(0), n), float("nan")
        else:
            centres, build_s = build(path, n)
        with sqlite3.connect(path) as db:
            segs = [s.n for s in vectors.segments(db)]
        row = {"n": n, "build_s": build_s, "segments": segs, **measure(path, centres)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
