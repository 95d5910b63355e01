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
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from retold.group.columns import LINK_COLUMNS, Links, direction_code, relation_code
from retold.model import Features, Pair


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
            self.append(p.a, p.b, p.relation, p.direction, p.basis, p.decided, p.score, p.coverage_a, p.coverage_b,
                        p.features)

    def append(
        self, a_id: str, b_id: str, relation: str | None, direction: str | None, basis: str, decided: str | None,
        score: float, coverage_a: float, coverage_b: float, features: Mapping[str, float],
    ) -> None:
        """Add one link from its fields (a stored row read without making its Pair)."""
        if self._n == self._cap:
            self._alloc(self._cap * 2)
        k = self._n
        a, b = self._no(a_id), self._no(b_id)
        self._ab[k] = (a, b)
        self._codes[k] = (
            self._relation.code(relation), self._direction.code(direction),
            self._basis.code(basis), self._decided.code(decided),
        )
        self._nums[k] = (score, coverage_a, coverage_b)
        row = self._feat[k]
        for c, name in enumerate(LINK_COLUMNS):
            if name in features:
                row[c] = features[name]
        self._by_no[a].append(k)
        if b != a:
            self._by_no[b].append(k)
        self._n += 1

    # --- the columns of a region, for grouping (retold.group.columns) -----------------------
    def numbers(self, ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(the table's numbers of those of ``ids`` it names, their places in ``ids``)."""
        nos, places = [], []
        for i, x in enumerate(ids):
            n = self._id_no.get(x)
            if n is not None:
                nos.append(n)
                places.append(i)
        return np.array(nos, dtype=np.int64), np.array(places, dtype=np.int64)

    def inside(self, place: np.ndarray) -> np.ndarray:
        """Positions (ascending) of the links whose two ends both have a place (``place``: per
        article number of the table, its place in a region, or -1)."""
        ab = self._ab[: self._n]
        members = np.flatnonzero(place >= 0)
        if len(members) * 64 < self._n:  # a small region: the links naming its members only
            named = [a for n in members.tolist() if len(a := np.frombuffer(self._by_no[n], dtype=np.int32))]
            cand = np.unique(np.concatenate(named)).astype(np.int64) if named else np.zeros(0, dtype=np.int64)
            ends = ab[cand]
            return cand[(place[ends[:, 0]] >= 0) & (place[ends[:, 1]] >= 0)].astype(np.int64)
        return np.flatnonzero((place[ab[:, 0]] >= 0) & (place[ab[:, 1]] >= 0))

    def columns(self, positions: np.ndarray, place: np.ndarray) -> Links:
        """The links at ``positions`` as grouping's columns, their ends numbered by ``place``."""
        rel = np.array([relation_code(v) for v in self._relation.values] or [0], dtype=np.uint8)
        dirs = np.array([direction_code(v) for v in self._direction.values] or [0], dtype=np.uint8)
        ab, codes, nums = self._ab[positions], self._codes[positions], self._nums[positions]
        return Links(
            a=place[ab[:, 0]], b=place[ab[:, 1]], relation=rel[codes[:, 0]], direction=dirs[codes[:, 1]],
            score=nums[:, 0].copy(), coverage_a=nums[:, 1].copy(), coverage_b=nums[:, 2].copy(),
            features=self._feat[positions],
        )

    def places(self, ids: list[str]) -> np.ndarray:
        """Per article number of the table, its place in the sorted ``ids`` (or -1)."""
        place = np.full(len(self._ids), -1, dtype=np.int64)
        nos, where = self.numbers(ids)
        place[nos] = where
        return place

    def naming(self, doc_id: str) -> list[int]:
        """Positions of the links that name ``doc_id``, in the order added."""
        n = self._id_no.get(doc_id)
        return self._by_no[n].tolist() if n is not None else []

    def naming_any(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Positions (ascending, each once) of the links that name any of ``doc_ids``."""
        named = [np.frombuffer(self._by_no[n], dtype=np.int32) for x in doc_ids if (n := self._id_no.get(x)) is not None]
        named = [a for a in named if len(a)]
        return np.unique(np.concatenate(named)).astype(np.int64) if named else np.zeros(0, dtype=np.int64)

    def end_ids(self, positions: np.ndarray) -> tuple[list[str], list[str]]:
        """The ids of the ends (a, b) of the links at ``positions``."""
        ab = self._ab[positions]
        ids = self._ids
        return [ids[n] for n in ab[:, 0].tolist()], [ids[n] for n in ab[:, 1].tolist()]

    def ends(self, k: int) -> tuple[str, str]:
        """(a, b) of the k-th link, without making its Pair."""
        a, b = self._ab[k]
        return self._ids[a], self._ids[b]

    def relations(self, positions: np.ndarray) -> list[str | None]:
        return [self._relation.values[c] for c in self._codes[positions, 0].tolist()]

    def directions(self, positions: np.ndarray) -> list[str | None]:
        return [self._direction.values[c] for c in self._codes[positions, 1].tolist()]

    def light_pairs(self, positions: Sequence[int], relation: Sequence[str | None], direction: Sequence[str | None]) -> list[Pair]:
        """The links at ``positions`` as read-only Pairs without evidence (their relations and
        directions given): what a reader of ends, relations, bases, scores and coverages needs
        (``stories_say``), at a fifth of :meth:`pair`'s memory. They share one empty ``Features``
        and an empty tuple of passages (which no one can append to): views, not pairs to change."""
        at = np.asarray(positions, dtype=np.int64)
        a_ids, b_ids = self.end_ids(at)  # column by column: a row list per link would be most of the memory
        basis = [self._basis.values[c] for c in self._codes[at, 2].tolist()]
        decided = [self._decided.values[c] for c in self._codes[at, 3].tolist()]
        nums = self._nums[at]
        none, no_passages = Features(), ()
        return [
            Pair(a, b, rel, s, ca, cb, d, no_passages, none, bs, dc)  # type: ignore[arg-type]
            for a, b, rel, s, ca, cb, d, bs, dc in zip(
                a_ids, b_ids, relation, nums[:, 0].tolist(), nums[:, 1].tolist(), nums[:, 2].tolist(), direction, basis, decided
            )
        ]

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
