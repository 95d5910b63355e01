"""Families: the connected components of reuse links, each with its origin.

Copying is transitive enough that a chain of copies is one family. The origin is the
earliest member when every member is dated, else the hub that the others are closest to.
The work is done over columns (``retold.group.columns``); these are its per-pair forms.
"""

from __future__ import annotations

import numpy as np

from retold.decide.direction import _naive
from retold.group.columns import Grouping, Links, families_of, microseconds, origin_directions, write_back
from retold.model import Doc, Group, Pair


def edge_strength(p: Pair) -> float:
    """How strongly a link ties two members, for finding a family's hub.

    Words kept verbatim weigh most: two independent rewrites of one source each keep
    some of its words, but rarely the same ones, so each is lexically closer to the
    source than to its sibling, while all of them are about equally close in meaning.
    Meaning (aligned share x similarity) only breaks ties, e.g. among translations.
    (``columns.edge_strengths`` is the same for every link at once.)
    """
    f = p.features
    verbatim = 0.5 * ((f.verbatim_a or 0.0) + (f.verbatim_b or 0.0))
    meaning = (1.0 if f.aligned_sim is None else f.aligned_sim) * 0.5 * (p.coverage_a + p.coverage_b)
    return verbatim + 0.1 * meaning


def _columns(docs: dict[str, Doc], pairs: list[Pair]) -> tuple[list[str], Links, np.ndarray, np.ndarray, np.ndarray]:
    ids = sorted(set(docs).union(*((p.a, p.b) for p in pairs)))
    published = [
        _naive(docs[x].article.published) if x in docs and docs[x].article.published is not None else None for x in ids
    ]
    us, has = microseconds(published)
    known = np.array([x in docs for x in ids], dtype=bool)
    return ids, Links.from_pairs(pairs, {x: i for i, x in enumerate(ids)}), us, has & known, known


def families(docs: dict[str, Doc], pairs: list[Pair]) -> list[Group]:
    """The families of ``pairs``, numbered by size then first member.

    The origin is the earliest member when every member is dated and one is first by a
    minute; else the hub, the member most strongly tied to the others (each derivative is
    closer to the source than to a sibling derivative; a directed link votes twice for its
    source), or None when two are tied. The origin directs its own undirected links (in place).
    """
    ids, links, us, has, known = _columns(docs, pairs)
    fams, family_of, origin = families_of(ids, us, has, known, links)
    write_back(pairs, links, Grouping(fams, [], links.relation, origin_directions(links, family_of, origin)))
    return fams
