"""Scores for pair relations and clusterings, shared by retold and every peer.

Pure functions over plain dicts and sets (numpy only), so that retold and its peers
are scored by exactly the same arithmetic.

Conventions (they decide the numbers, so they are written down here):

* A pair is a ``frozenset({a, b})``. Gold says, for each labelled pair, the *set* of
  acceptable relations (two machine translations of one source may fairly be called
  ``rewrite`` or ``near_duplicate``). Any pair absent from gold is ``"none"``.
* A prediction is correct when it lies in the gold set. For the confusion matrix a pair's
  row ("true label") is the prediction itself when correct, else the gold set's *primary*
  label: its weakest relation in ``RELATIONS`` order (``same_story`` for "same story, or
  any reuse", ``rewrite`` for "rewrite or near-duplicate"). Wrong guesses are thus charged
  against the least demanding acceptable answer.
* Ignored pairs (gold unknown) are left out of every count.
* Macro-F1 averages the per-relation F1 over relations that occur as a true label or a
  prediction, excluding ``"none"``; a relation nobody uses cannot lift or sink it.
* Clusterings are lists of sets over a universe of items; an item in no cluster is a
  singleton; an item listed twice keeps its first cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from retold.model import RELATIONS

NONE = "none"
#: Row/column order of the confusion matrix.
LABELS: tuple[str, ...] = RELATIONS + (NONE,)

PairKey = frozenset
GoldPairs = Mapping[frozenset, Collection[str]]
PredPairs = Mapping[frozenset, str]


def primary(acceptable: Collection[str]) -> str:
    """The label a wrong guess is charged against: the weakest acceptable relation."""
    known = [r for r in LABELS if r in acceptable]
    if not known:
        raise ValueError(f"no known relation in {sorted(acceptable)!r}; expected some of {LABELS}")
    return known[-1]


@dataclass
class Confusion:
    """Counts of (true label, predicted label) over pairs, ``"none"`` included."""

    counts: Counter  # (true, pred) -> n

    def get(self, true: str, pred: str) -> int:
        return int(self.counts.get((true, pred), 0))

    def labels(self) -> list[str]:
        """Labels that occur, in ``LABELS`` order (``"none"`` last)."""
        seen = {t for t, _ in self.counts} | {p for _, p in self.counts}
        return [x for x in LABELS if x in seen]

    def matrix(self, labels: list[str] | None = None) -> tuple[list[str], np.ndarray]:
        labels = labels or self.labels()
        m = np.zeros((len(labels), len(labels)), dtype=np.int64)
        for i, t in enumerate(labels):
            for j, p in enumerate(labels):
                m[i, j] = self.get(t, p)
        return labels, m


def confusion(
    pred: PredPairs,
    gold: GoldPairs,
    n_items: int | None = None,
    ignore: Collection[frozenset] = (),
) -> Confusion:
    """Confusion over every pair that gold or the prediction names.

    With ``n_items`` the (none, none) cell is filled as all remaining pairs of the corpus,
    so the matrix sums to n(n-1)/2 minus the ignored pairs.
    """
    ignore = set(ignore)
    c: Counter = Counter()
    for key in set(gold) | set(pred):
        if key in ignore:
            continue
        p = pred.get(key, NONE)
        acceptable = gold.get(key)
        if acceptable is None or len(acceptable) == 0:
            t = NONE
        elif p in acceptable:
            t = p
        else:
            t = primary(acceptable)
        c[(t, p)] += 1
    if n_items is not None:
        total = n_items * (n_items - 1) // 2 - len(ignore)
        c[(NONE, NONE)] += max(0, total - sum(c.values()))
    return Confusion(c)


@dataclass
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # pairs whose true label is this relation
    predicted: int  # pairs predicted as this relation

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "predicted": self.predicted,
        }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def prf(tp: int, n_pred: int, n_true: int) -> PRF:
    """Precision/recall/F1 from counts; 0 where undefined (nothing predicted or nothing true)."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    return PRF(p, r, _f1(p, r), n_true, n_pred)


def per_relation(conf: Confusion) -> dict[str, PRF]:
    """P/R/F1 of each relation (not ``"none"``) that is a true label or a prediction."""
    out: dict[str, PRF] = {}
    for r in conf.labels():
        if r == NONE:
            continue
        tp = conf.get(r, r)
        n_pred = sum(n for (_, p), n in conf.counts.items() if p == r)
        n_true = sum(n for (t, _), n in conf.counts.items() if t == r)
        out[r] = prf(tp, n_pred, n_true)
    return out


def macro_f1(conf: Confusion) -> float:
    """Mean F1 over the relations present (see module docstring); 0.0 when none are."""
    per = per_relation(conf)
    return float(np.mean([x.f1 for x in per.values()])) if per else 0.0


def detection(pred: PredPairs, gold: GoldPairs, kinds: Collection[str], ignore: Collection[frozenset] = ()) -> PRF:
    """Were the pairs found at all? A pair is *true* when its gold set meets ``kinds`` and
    *predicted* when its predicted relation is in ``kinds``; the exact label is not checked.

    ``kinds={"translation"}`` gives translation recall/precision; the reuse relations give
    family-link detection whatever the label.
    """
    ignore = set(ignore)
    kinds = set(kinds)
    true = {k for k, v in gold.items() if k not in ignore and kinds & set(v)}
    found = {k for k, v in pred.items() if k not in ignore and v in kinds}
    return prf(len(true & found), len(found), len(true))


# --- clusterings -----------------------------------------------------------


def labels_of(clusters: Iterable[Collection[str]], universe: Iterable[str]) -> dict[str, int]:
    """Cluster number of each item of ``universe``; items in no cluster get their own number."""
    lab: dict[str, int] = {}
    n = 0
    for c in clusters:
        for x in c:
            if x not in lab:
                lab[x] = n
        n += 1
    for x in universe:
        if x not in lab:
            lab[x] = n
            n += 1
    return lab


def _comb2(x: np.ndarray | int) -> np.ndarray | float:
    return x * (x - 1) / 2


def adjusted_rand_index(pred: Iterable[Collection[str]], gold: Iterable[Collection[str]], universe: Iterable[str]) -> float:
    """Hubert-Arabie ARI over ``universe`` (items outside it are ignored).

    1.0 for identical partitions, about 0 for chance agreement. When both partitions are
    the same trivial one (all singletons, or one block) the formula is 0/0: 1.0 is returned.
    """
    items = list(dict.fromkeys(universe))
    pl = labels_of(pred, items)
    gl = labels_of(gold, items)
    cont = Counter((gl[x], pl[x]) for x in items)
    a = Counter(gl[x] for x in items)
    b = Counter(pl[x] for x in items)
    n = len(items)
    if n < 2:
        return 1.0
    sum_ij = float(sum(_comb2(v) for v in cont.values()))
    sum_a = float(sum(_comb2(v) for v in a.values()))
    sum_b = float(sum(_comb2(v) for v in b.values()))
    expected = sum_a * sum_b / _comb2(n)
    max_index = (sum_a + sum_b) / 2
    if max_index == expected:
        return 1.0
    return (sum_ij - expected) / (max_index - expected)


def bcubed(pred: Iterable[Collection[str]], gold: Iterable[Collection[str]], universe: Iterable[str]) -> PRF:
    """B-cubed precision/recall/F1 (Bagga & Baldwin), averaged over the items of ``universe``.

    F1 is the harmonic mean of the averaged precision and recall. ``support`` is the
    number of items; ``predicted`` the number of predicted clusters of two or more.
    """
    items = list(dict.fromkeys(universe))
    if not items:
        return PRF(0.0, 0.0, 0.0, 0, 0)
    pl = labels_of(pred, items)
    gl = labels_of(gold, items)
    cont = Counter((gl[x], pl[x]) for x in items)
    psize = Counter(pl[x] for x in items)
    gsize = Counter(gl[x] for x in items)
    p = r = 0.0
    for x in items:
        both = cont[(gl[x], pl[x])]
        p += both / psize[pl[x]]
        r += both / gsize[gl[x]]
    p /= len(items)
    r /= len(items)
    return PRF(p, r, _f1(p, r), len(items), sum(1 for v in psize.values() if v > 1))


# --- sentence-level scores --------------------------------------------------


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (as Spearman needs)."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (Pearson on average ranks); nan when a side is constant."""
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    den = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


def binary_scores(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of boolean predictions (positive class = True)."""
    pred = np.asarray(pred, dtype=bool)
    gold = np.asarray(gold, dtype=bool)
    tp = int((pred & gold).sum())
    s = prf(tp, int(pred.sum()), int(gold.sum()))
    acc = float((pred == gold).mean()) if len(gold) else 0.0
    return {"accuracy": acc, "precision": s.precision, "recall": s.recall, "f1": s.f1}


def best_threshold(scores: np.ndarray, gold: np.ndarray, objective: str = "accuracy") -> float:
    """Threshold t maximising ``objective`` of ``scores >= t`` (fit on tune, apply on eval).

    Candidates are midpoints between consecutive distinct scores, so the result does not
    sit exactly on a training example.
    """
    s = np.unique(np.asarray(scores, dtype=np.float64))
    if len(s) == 0:
        return 0.5
    cands = np.concatenate([[s[0] - 1e-6], (s[1:] + s[:-1]) / 2, [s[-1] + 1e-6]])
    best_t, best_v = float(cands[0]), -1.0
    for t in cands:
        v = binary_scores(scores >= t, gold)[objective]
        if v > best_v:
            best_t, best_v = float(t), v
    return best_t
