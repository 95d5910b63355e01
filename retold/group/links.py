"""The stored pairs that grouping reads, held as columns rather than one object per pair.

Why: a long-lived index (the service's, a streamed scan's) keeps every stored pair between adds
so that only the components a batch touches are grouped again (``retold.group.held``). As Python
objects (a ``Pair``, its ``Features``, its floats, its place in per-article lists of ints) that
was some 700 bytes a pair: at the 4 million pairs of the 100,000 articles of the speed corpus,
gigabytes. Held here as numpy columns, a link costs its ids (two int32), its
relation, direction, basis and ``decided`` (a uint8 code each), its score and coverages and the
features of ``LINK_FEATURES`` (float64, NaN where absent), plus its place in the per-article
arrays (int32): under 40% of the objects' memory (``tests/test_group_held.py`` measures both).
Values are kept exactly (float64, as the index stores them), so a pair made again from its row
equals the one a full rebuild reads from the index.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np

from retold.group.build import LINK_FEATURES
from retold.model import Features, Pair

#: the features a link keeps, in a fixed order (the columns of ``LinkTable``)
LINK_COLUMNS: tuple[str, ...] = tuple(sorted(LINK_FEATURES))


class _Codes:
    """A small vocabulary of strings (or None) and their uint8 codes."""

    def __init__(self) -> None:
        self.values: list[str | None] = []
        self._code: dict[str | None, int] = {}

    def code(self, v: str | None) -> int:
        c = self._code.get(v)
        if c is None:
            if len(self.values) >= 255:
                raise ValueError(f"too many distinct values for a link column: {v!r}")
            c = self._code[v] = len(self.values)
            self.values.append(v)
        return c


class LinkTable:
    """Light links (no passages; the features grouping reads) in columns, in the order added.

    ``pair(k)`` makes the k-th link again as a new ``Pair`` (grouping relabels pairs in place,
    so each caller gets its own); ``naming(id)`` lists the links that name an article.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._n = 0
        self._ids: list[str] = []
        self._id_no: dict[str, int] = {}
        self._by_no: list[array] = []  # per article, the positions naming it (int32, not int objects)
        self._relation, self._direction, self._basis, self._decided = _Codes(), _Codes(), _Codes(), _Codes()
        self._alloc(max(1, capacity))

    def _alloc(self, cap: int) -> None:
        def grow(old: np.ndarray | None, shape: tuple[int, ...], dtype: type, fill: float = 0) -> np.ndarray:
            new = np.full(shape, fill, dtype=dtype)
            if old is not None:
                new[: self._n] = old[: self._n]
            return new

        self._ab = grow(getattr(self, "_ab", None), (cap, 2), np.int32)
        self._codes = grow(getattr(self, "_codes", None), (cap, 4), np.uint8)
        self._nums = grow(getattr(self, "_nums", None), (cap, 3), np.float64)
        self._feat = grow(getattr(self, "_feat", None), (cap, len(LINK_COLUMNS)), np.float64, np.nan)
        self._cap = cap

    def __len__(self) -> int:
        return self._n

    def _no(self, doc_id: str) -> int:
        n = self._id_no.get(doc_id)
        if n is None:
            n = self._id_no[doc_id] = len(self._ids)
            self._ids.append(doc_id)
            self._by_no.append(array("i"))
        return n

    def extend(self, pairs: Iterable[Pair]) -> None:
        """Add light copies of ``pairs`` (their passages and other features are not kept)."""
        for p in pairs:
            if self._n == self._cap:
                self._alloc(self._cap * 2)
            k = self._n
            a, b = self._no(p.a), self._no(p.b)
            self._ab[k] = (a, b)
            self._codes[k] = (
                self._relation.code(p.relation), self._direction.code(p.direction),
                self._basis.code(p.basis), self._decided.code(p.decided),
            )
            self._nums[k] = (p.score, p.coverage_a, p.coverage_b)
            f = p.features
            row = self._feat[k]
            for c, name in enumerate(LINK_COLUMNS):
                if name in f:
                    row[c] = f[name]
            self._by_no[a].append(k)
            if b != a:
                self._by_no[b].append(k)
            self._n += 1

    def naming(self, doc_id: str) -> list[int]:
        """Positions of the links that name ``doc_id``, in the order added."""
        n = self._id_no.get(doc_id)
        return self._by_no[n].tolist() if n is not None else []

    def ends(self, k: int) -> tuple[str, str]:
        """(a, b) of the k-th link, without making its Pair."""
        a, b = self._ab[k]
        return self._ids[a], self._ids[b]

    def pair(self, k: int) -> Pair:
        """The k-th link as a new Pair."""
        if not 0 <= k < self._n:
            raise IndexError(k)
        a, b = self.ends(k)
        rel, direction, basis, decided = (
            codes.values[c] for codes, c in zip((self._relation, self._direction, self._basis, self._decided), self._codes[k])
        )
        score, ca, cb = (float(x) for x in self._nums[k])
        row = self._feat[k]
        present = ~np.isnan(row)
        features = Features.from_dict({LINK_COLUMNS[c]: float(row[c]) for c in np.flatnonzero(present)})
        return Pair(a=a, b=b, relation=rel, score=score, coverage_a=ca, coverage_b=cb, direction=direction,
                    passages=[], features=features, basis=basis, decided=decided)  # type: ignore[arg-type]


__all__ = ["LinkTable", "LINK_COLUMNS"]
