"""Order-aware sentence alignment across paraphrase and translation.

A rewrite or a translation keeps the order of its source: its sentences align
*monotonically*. An independent report of the same event shares facts, but not the
order of sentences. So we align with a monotone dynamic programme (a weighted longest
common subsequence over sentence similarities) and also measure, order-free, how many
sentences have a close match anywhere: the gap between the two is evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retold.model import Doc


@dataclass
class Alignment:
    """Monotone sentence alignment of two docs (indices are sentence numbers in each doc)."""

    pairs: list[tuple[int, int, float]]  # (sentence in a, sentence in b, cosine)
    sim: np.ndarray  # (na, nb) cosine matrix over content sentences
    rows: np.ndarray  # content sentence numbers of a, in order
    cols: np.ndarray  # content sentence numbers of b, in order

    @property
    def best_a(self) -> np.ndarray:
        """Best cosine of each content sentence of a against any sentence of b."""
        return self.sim.max(axis=1) if self.sim.size else np.zeros(len(self.rows), dtype=np.float32)

    @property
    def best_b(self) -> np.ndarray:
        return self.sim.max(axis=0) if self.sim.size else np.zeros(len(self.cols), dtype=np.float32)


def similarity_matrix(a: Doc, b: Doc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosine of every content sentence of a with every content sentence of b."""
    ra = a.content_sentences()
    cb = b.content_sentences()
    if a.sent_vecs is None or b.sent_vecs is None or not len(ra) or not len(cb):
        return np.zeros((len(ra), len(cb)), dtype=np.float32), ra, cb
    va = a.sent_vecs[ra].astype(np.float32)
    vb = b.sent_vecs[cb].astype(np.float32)
    return va @ vb.T, ra, cb


def monotone_alignment(sim: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Pairs (i, j), increasing in both, that maximise the sum of (sim - threshold) > 0.

    Row-vectorised DP: D[i, j] = max(D[i, j-1], D[i-1, j], D[i-1, j-1] + w[i, j]).
    O(na * nb) in numpy, backtracking in O(na + nb) Python steps.
    """
    na, nb = sim.shape
    if na == 0 or nb == 0:
        return []
    w = sim.astype(np.float32) - np.float32(threshold)
    w[w <= 0] = -np.inf  # a pair under the threshold is never matched
    D = np.zeros((na + 1, nb + 1), dtype=np.float32)
    for i in range(1, na + 1):
        diag = D[i - 1, :-1] + w[i - 1]
        tmp = np.maximum(D[i - 1, 1:], diag)
        D[i, 1:] = np.maximum.accumulate(tmp)
    out: list[tuple[int, int]] = []
    i, j = na, nb
    while i > 0 and j > 0:
        if D[i, j] == D[i - 1, j]:
            i -= 1
        elif D[i, j] == D[i, j - 1]:
            j -= 1
        else:
            out.append((i - 1, j - 1))
            i -= 1
            j -= 1
    out.reverse()
    return out


def align(a: Doc, b: Doc, threshold: float) -> Alignment:
    """Align the content sentences of a and b; pairs carry doc sentence numbers."""
    sim, ra, cb = similarity_matrix(a, b)
    pairs = [(int(ra[i]), int(cb[j]), float(sim[i, j])) for i, j in monotone_alignment(sim, threshold)]
    return Alignment(pairs=pairs, sim=sim, rows=ra, cols=cb)
