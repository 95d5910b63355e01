"""Identical articles are compared once: the pairs of their twins are replayed, not recomputed.

Why: syndicated news is copied word for word. A wire story republished by ten sites is ten
articles of one text, and every other article that meets one of them meets all ten, so a scan
compared the same two texts ten times over (on the speed bench's 100,000 articles, nearly half
of all articles are such copies: exact ones, and ones with another site's header and footer). The evidence of a pair is a function of the two docs'
cleaned text and signatures only, with one exception: the publication dates (the date gap,
and the direction they tell). So one pair of each *class pair* is compared in full and the
others get its evidence with their own dates, decided again by the same rules.

Two docs are of one class when everything the comparison reads of them is the same: the text of
their content sentences, in order (not the lines set aside as boilerplate around them: a story
syndicated to another site with its own header and footer is still a twin), the language, the
anchors and which vectors they carry. A replayed pair's passages are moved into its docs' texts,
sentence by sentence (``offset_map``). A pair replayed keeps the candidate signals of the pair
compared (they choose the path through the flow), so pairs are grouped by those too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import fields

import numpy as np
import xxhash

from retold.config import Settings
from retold.decide.direction import pair_direction
from retold.decide.pair import _coverages
from retold.decide.relation import classify
from retold.compare.evidence import date_gap_days
from retold.model import Doc, Features, Pair, Passage

#: the features measured on each side, swapped when the sides are
_SIDED = tuple(
    (f.name, f.name[:-2] + "_b") for f in fields(Features) if f.name.endswith("_a") and hasattr(Features, f.name[:-2] + "_b")
)


def class_key(doc: Doc) -> int:
    """A 64-bit key equal for docs that any comparison sees as one: see the module docstring."""
    h = xxhash.xxh3_64()
    if doc.n_tokens == 0:  # nothing to compare: a class of its own
        h.update(b"\x02" + doc.id.encode("utf-8", "surrogatepass"))
    text = doc.article.text
    for a, b in _content_spans(doc).tolist():
        h.update(text[a:b].encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    h.update(b"\x00" + (doc.lang or "").encode() + b"\x00")
    if doc.anchors is not None:
        h.update(np.ascontiguousarray(doc.anchors).tobytes())
    has = (doc.sent_vecs is not None, doc.vec is not None, doc.second_vecs is not None, doc.minhash is not None)
    h.update(bytes(has))
    if doc.second_vecs is not None:  # filled on demand: how many sentences it covers can differ
        h.update(int(doc.second_vecs.shape[0]).to_bytes(4, "little"))
    return h.intdigest()


def _content_spans(doc: Doc) -> np.ndarray:
    return np.asarray(doc.sent_spans[~np.asarray(doc.sent_boiler, dtype=bool)], dtype=np.int64).reshape(-1, 2)


def offset_map(src: Doc, dst: Doc) -> Callable[[int, bool], int] | None:
    """Where a character offset of ``src`` falls in ``dst``, a twin of it (None: the same text,
    offsets unchanged). Twins share their content sentences, not the lines set aside around
    them (another site's header and footer), so an offset moves with its content sentence;
    ``end``: the offset ends a passage (it belongs to the sentence before it)."""
    if src.article.text == dst.article.text:
        return None
    cs, cd = _content_spans(src), _content_spans(dst)
    if not len(cs) or len(cs) != len(cd):
        return None
    starts = cs[:, 0]
    gaps_d = np.append(cd[1:, 0], len(dst.article.text)) - cd[:, 1]

    def move(o: int, end: bool) -> int:
        k = int(np.searchsorted(starts, o, side="left" if end else "right")) - 1
        if k < 0:  # before the first content sentence
            return max(0, int(cd[0, 0]) - (int(cs[0, 0]) - o))
        lo, hi = int(cs[k, 0]), int(cs[k, 1])
        if o <= hi:
            return int(cd[k, 0]) + (o - lo)
        return int(cd[k, 1]) + min(o - hi, int(gaps_d[k]))  # in the gap after it

    return move


def _moved(passages: list[Passage], ma: Callable[[int, bool], int] | None, mb: Callable[[int, bool], int] | None) -> list[Passage]:
    if ma is None and mb is None:
        return list(passages)
    out = []
    for q in passages:
        a0, a1 = (ma(q.a_start, False), ma(q.a_end, True)) if ma else (q.a_start, q.a_end)
        b0, b1 = (mb(q.b_start, False), mb(q.b_end, True)) if mb else (q.b_start, q.b_end)
        out.append(Passage(a0, a1, b0, b1, q.kind, q.similarity))
    return out


def identical_classes(docs: Sequence[Doc]) -> np.ndarray:
    """(D,) int64: the index of the first doc of each doc's class (itself when it has no twin)."""
    first: dict[int, int] = {}
    return np.fromiter((first.setdefault(class_key(d), k) for k, d in enumerate(docs)), dtype=np.int64, count=len(docs))


def share_plan(
    items: Sequence[tuple[int, int]], classes: np.ndarray, signals: dict[tuple[int, int], set[str]]
) -> tuple[list[tuple[int, int]], list[int]]:
    """(the pairs to compare, for each of ``items`` the position of its compared pair in that list).

    A pair is compared when no earlier pair joins the same two classes, in the same order
    (a's class, b's class), with the same candidate signals."""
    heads: list[tuple[int, int]] = []
    where: dict[tuple[int, int, frozenset[str]], int] = {}
    of: list[int] = []
    for i, j in items:
        key = (int(classes[i]), int(classes[j]), frozenset(signals[(i, j)]))
        k = where.get(key)
        if k is None:
            k = where[key] = len(heads)
            heads.append((i, j))
        of.append(k)
    return heads, of


def replay(pair: Pair, a: Doc, b: Doc, settings: Settings, keep_unrelated: bool, of: tuple[Doc, Doc] | None = None) -> Pair | None:
    """``pair`` (of ``of``: two docs of ``a``'s and ``b``'s classes) as the pair of ``a`` and ``b``:
    the same evidence with their own date gap, decided again (the date gap can turn a
    same_story into related, or a story told by names alone into nothing; the dates tell a
    direction), its passages moved into their texts (``offset_map``). None when now
    unrelated, unless ``keep_unrelated`` (then relation ``"unrelated"``)."""
    f = copy.copy(pair.features)
    f.extra = dict(f.extra)
    f.date_gap_days = date_gap_days(a, b)
    relation, score = classify(f, settings.thresholds)
    if relation is None and not keep_unrelated:
        return None
    cov_a, cov_b = _coverages(f)
    passages = _moved(pair.passages, *(offset_map(of[0], a), offset_map(of[1], b))) if of else list(pair.passages)
    return Pair(
        a=a.id, b=b.id, relation=relation or "unrelated", score=score, coverage_a=cov_a, coverage_b=cov_b,
        direction=pair_direction(a, b, relation, f) if relation else None, passages=passages, features=f,
    )


def swapped(p: Pair) -> Pair:
    """``p`` with its sides exchanged (b, a): coverages, passages, sided features, direction."""
    f = copy.copy(p.features)
    f.extra = dict(f.extra)
    for x, y in _SIDED:
        va, vb = getattr(f, x), getattr(f, y)
        setattr(f, x, vb)
        setattr(f, y, va)
    flip = {"a->b": "b->a", "b->a": "a->b"}
    return Pair(
        a=p.b, b=p.a, relation=p.relation, score=p.score, coverage_a=p.coverage_b, coverage_b=p.coverage_a,
        direction=flip.get(p.direction, p.direction) if p.direction else None,
        passages=[Passage(q.b_start, q.b_end, q.a_start, q.a_end, q.kind, q.similarity) for q in p.passages],
        features=f, basis=p.basis, decided=p.decided,
    )


__all__ = ["class_key", "identical_classes", "share_plan", "replay", "swapped", "offset_map"]
