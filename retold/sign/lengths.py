"""Sentence alignment by length, for the stretches between two anchored sentences.

A translator goes sentence by sentence, and a sentence and its translation have lengths
in a steady ratio (Gale and Church, 1993: character lengths of aligned sentences are
close to proportional across European languages). Between two sentences pinned by shared
names, a translation's remaining sentences therefore line up by their lengths alone,
while two independent reports of one event do not: their sentences follow no common
rhythm. This module aligns such a stretch with a small dynamic programme over
one-to-one, two-to-one, one-to-two and skipped sentences, and accepts the stretch only
when most of its text falls into beads of consistent length.
"""

from __future__ import annotations

import math

import numpy as np

#: characters added to both lengths so that very short sentences do not swing the ratio
SMOOTH = 12.0
#: a bead whose log length ratio strays further than this from the documents' ratio is
#: not counted as aligned (exp(0.3) = 1.35: a translation within about a third in length)
MAX_DEVIATION = 0.3
#: the same for a two-to-one bead: merging gives a free choice of sums, which can fit
#: lengths of texts that do not correspond, so merged beads must match closer
MAX_MERGED_DEVIATION = 0.15
#: cost of leaving one sentence out (a bead costs its log-ratio deviation)
SKIP_COST = 0.6
#: extra cost of merging two sentences into one bead (translators seldom split)
MERGE_COST = 0.25
#: share of the stretch's characters (on both sides) that consistent beads must hold
MIN_SHARE = 0.7
#: longest stretch aligned this way (sentences per side): longer ones are too easy to fit
MAX_STRETCH = 60

Bead = tuple[tuple[int, ...], tuple[int, ...], float]


def length_beads(la: np.ndarray, lb: np.ndarray, ratio: float) -> list[Bead]:
    """Best monotone beads over two runs of sentence lengths.

    Returns (rows, cols, deviation) for each matched bead (skips are left out); rows and
    cols index into ``la`` and ``lb``. ``ratio`` is the expected length of b per unit of a.
    """
    na, nb = len(la), len(lb)
    if na == 0 or nb == 0:
        return []
    log_r = math.log(max(ratio, 1e-6))
    inf = float("inf")
    cost = np.full((na + 1, nb + 1), inf)
    back: dict[tuple[int, int], tuple[int, int, float]] = {}
    cost[0, 0] = 0.0

    def dev(x: float, y: float) -> float:
        return abs(math.log((y + SMOOTH) / (x + SMOOTH)) - log_r)

    for i in range(na + 1):
        for j in range(nb + 1):
            c0 = cost[i, j]
            if c0 == inf:
                continue
            moves = []
            if i < na:
                moves.append((1, 0, SKIP_COST, -1.0))
            if j < nb:
                moves.append((0, 1, SKIP_COST, -1.0))
            if i < na and j < nb:
                d = dev(la[i], lb[j])
                moves.append((1, 1, d, d))
            if i + 1 < na and j < nb:
                d = dev(la[i] + la[i + 1], lb[j])
                moves.append((2, 1, d + MERGE_COST, d))
            if i < na and j + 1 < nb:
                d = dev(la[i], lb[j] + lb[j + 1])
                moves.append((1, 2, d + MERGE_COST, d))
            for di, dj, step, d in moves:
                c = c0 + step
                if c < cost[i + di, j + dj]:
                    cost[i + di, j + dj] = c
                    back[(i + di, j + dj)] = (di, dj, d)
    beads: list[Bead] = []
    i, j = na, nb
    while (i, j) != (0, 0):
        di, dj, d = back[(i, j)]
        if di and dj:
            beads.append((tuple(range(i - di, i)), tuple(range(j - dj, j)), d))
        i, j = i - di, j - dj
    beads.reverse()
    return beads


def fill_stretch(la: np.ndarray, lb: np.ndarray, ratio: float) -> list[tuple[int, int]]:
    """Sentence pairs (row, col) aligned by length in one stretch, or [] when it does not fit.

    The stretch is accepted only if consistent beads hold ``MIN_SHARE`` of its characters
    on both sides: a translation fills the gap between two anchors; a pair of independent
    texts leaves most of it unmatched.
    """
    if not len(la) or not len(lb) or max(len(la), len(lb)) > MAX_STRETCH:
        return []
    if not 0.5 <= len(la) / len(lb) <= 2.0:
        return []
    good = [
        (r, c)
        for r, c, d in length_beads(la, lb, ratio)
        if d <= (MAX_DEVIATION if len(r) == len(c) == 1 else MAX_MERGED_DEVIATION)
    ]
    held_a = sum(float(la[i]) for r, _ in good for i in r)
    held_b = sum(float(lb[j]) for _, c in good for j in c)
    if held_a < MIN_SHARE * float(la.sum()) or held_b < MIN_SHARE * float(lb.sum()):
        return []
    return [(i, j) for r, c in good for i in r for j in c]
