"""The exhaustive neighbour search (``candidates.semantic.exact_neighbours``) gives the same keys
and cosines however its input is cut into chunks and however small its working memory."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from retold.candidates.semantic import exact_neighbours


def _brute(keys: np.ndarray, v: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    vn = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    c = (qn.astype(np.float64) @ vn.astype(np.float64).T).astype(np.float32)
    out_k = np.full((len(q), k), -1, dtype=np.int64)
    out_c = np.full((len(q), k), -np.inf, dtype=np.float32)
    for r in range(len(q)):
        order = sorted(range(len(v)), key=lambda j: (-c[r, j], keys[j]))[:k]
        out_k[r, : len(order)] = keys[order]
        out_c[r, : len(order)] = c[r, order]
    return out_k, out_c


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 80), st.integers(1, 30), st.integers(1, 12), st.integers(1, 80), st.integers(1, 3000),
    st.integers(0, 2**31 - 1),
)
def test_chunks_and_working_memory_do_not_change_the_neighbours(n, nq, k, step, cells, seed) -> None:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 8)).astype(np.float32)
    v[rng.integers(0, n, size=n // 3)] = v[0]  # copies: identical vectors tie, and go to the lower key
    q = np.concatenate([rng.normal(size=(nq - 1, 8)).astype(np.float32), v[:1]])
    keys = rng.permutation(n * 3)[:n].astype(np.int64)
    chunks = [(keys[lo : lo + step], v[lo : lo + step]) for lo in range(0, n, step)]
    got_k, got_c = exact_neighbours(iter(chunks), q, k, cells=cells)
    want_k, want_c = _brute(keys, v, q, k)
    assert np.array_equal(got_k, want_k)
    assert np.array_equal(got_c, want_c)
