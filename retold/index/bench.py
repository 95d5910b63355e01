"""Measure the index's add and load speed and its size on synthetic docs of realistic shape.

Run: ``python -m retold.index.bench [n_docs] [folder]``. Docs carry ~500 tokens, 25
sentences with 512-d float16 vectors, a 128-perm MinHash, fingerprints and anchors,
like a signed news article; the numbers tell whether a 100k-doc index loads in seconds,
and what a later load costs in a process that keeps the index in memory (the service).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from retold.index.store import Index
from retold.model import Article, Doc, Pair, Passage


def synthetic_doc(i: int, rng: np.random.Generator, n_tok: int = 500, n_sent: int = 25, dim: int = 512) -> Doc:
    """A doc shaped like a signed ~3,000-character article (contents random)."""
    text = "x" * (n_tok * 6)
    return Doc(
        article=Article(id=f"doc{i}", text=text, title=f"t{i}", url=f"https://ex.org/{i}", source="ex.org"),
        lang="en",
        sent_spans=rng.integers(0, len(text), (n_sent, 2)).astype(np.int32),
        sent_boiler=np.zeros(n_sent, bool),
        tok_hash=rng.integers(0, 2**63, n_tok, dtype=np.uint64),
        tok_spans=rng.integers(0, len(text), (n_tok, 2)).astype(np.int32),
        tok_sent=rng.integers(0, n_sent, n_tok).astype(np.int32),
        tok_quoted=np.zeros(n_tok, bool),
        exact_hash=int(rng.integers(0, 2**63)),
        minhash=rng.integers(0, 2**32, 128, dtype=np.uint32),
        fingerprints=rng.integers(0, 2**63, n_tok // 8, dtype=np.uint64),
        sent_vecs=rng.standard_normal((n_sent, dim)).astype(np.float16),
        vec=rng.standard_normal(dim).astype(np.float32),
        anchors=rng.integers(0, 2**63, 10, dtype=np.uint64),
    )


def run(n_docs: int, folder: Path) -> dict[str, float]:
    """Add ``n_docs`` in one call, reopen, load all docs and pairs; return timings and size."""
    rng = np.random.default_rng(0)
    docs = [synthetic_doc(i, rng) for i in range(n_docs)]
    pairs = [
        Pair(f"doc{i}", f"doc{i + 1}", "rewrite", 0.8, 0.7, 0.6, "a->b",
             [Passage(0, 100, 0, 90, "paraphrase", 0.8)] * 5, {"f": 0.5})
        for i in range(0, n_docs - 1, 2)
    ]
    path = folder / "bench.idx"
    for side in ("", "-wal", "-shm"):  # a fresh index each time: the add must be all new ids
        Path(str(path) + side).unlink(missing_ok=True)
    t = time.perf_counter()
    with Index.open(path) as ix:
        ix.add(docs, pairs)
    t_add = time.perf_counter() - t
    t = time.perf_counter()
    with Index.open(path) as ix:
        loaded = ix.load_docs()
        t_docs = time.perf_counter() - t
        lp = ix.load_pairs()
    t_all = time.perf_counter() - t
    assert len(loaded) == n_docs and len(lp) == len(pairs)
    # a long-lived process (the service): read once, add a batch, read again
    with Index.open(path, keep_in_memory=True) as ix:
        ix.load_docs()
        ix.load_pairs()
        ix.add([synthetic_doc(n_docs + k, rng) for k in range(10)], [])
        t = time.perf_counter()
        held = ix.load_docs()
        ix.load_pairs()
        t_held = time.perf_counter() - t
    assert len(held) == n_docs + 10
    return {
        "docs": n_docs,
        "add_s": t_add,
        "add_docs_per_s": n_docs / t_add,
        "load_docs_s": t_docs,
        "load_docs_per_s": n_docs / t_docs,
        "load_pairs_s": t_all - t_docs,
        "held_load_all_s": t_held,
        "file_mb": path.stat().st_size / 1e6,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    if len(sys.argv) > 2:
        res = run(n, Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as d:
            res = run(n, Path(d))
    for k, v in res.items():
        print(f"{k:>16}: {v:,.2f}")


if __name__ == "__main__":
    main()
