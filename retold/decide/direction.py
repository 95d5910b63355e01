"""Which side of a reuse pair is the source, when that can be told from the pair alone.

Dates first: when both are known and differ, the earlier article is the source.
Without dates, only containment speaks (see ``copy_direction``); otherwise the family
stage decides from structure (the origin is the family's hub), or nobody does.
"""

from __future__ import annotations

from datetime import datetime

from retold.ingest.dates import comparable
from retold.model import REUSE_RELATIONS, Doc, Features

#: publication times closer than this are not trusted to order two articles
MIN_GAP_SECONDS = 60.0


def _naive(x: datetime) -> datetime:
    """A naive UTC view of ``x``, so that aware and naive dates order together the same way on
    every machine (a naive date is taken as UTC; ``ingest.dates.comparable``)."""
    return comparable(x)


def date_direction(a: Doc, b: Doc) -> str | None:
    pa, pb = a.article.published, b.article.published
    if pa is None or pb is None:
        return None
    gap = (_naive(pa) - _naive(pb)).total_seconds()
    if abs(gap) < MIN_GAP_SECONDS:
        return None
    return "a->b" if gap < 0 else "b->a"


def pair_direction(a: Doc, b: Doc, relation: str, features: Features) -> str | None:
    if relation not in REUSE_RELATIONS:
        return None
    d = date_direction(a, b)
    if d is not None:
        return d
    if relation == "partial":
        from retold.decide.copy import copy_direction

        return copy_direction(a, b, features.verbatim_a or 0.0, features.verbatim_b or 0.0)
    return None
