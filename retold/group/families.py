"""Families: the connected components of reuse links, each with its origin.

Copying is transitive enough that a chain of copies is one family. The origin is the
earliest member when every member is dated, else the hub that the others are closest to.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from retold.decide.direction import _naive, date_direction
from retold.graphs import components
from retold.model import REUSE_RELATIONS, Doc, Group, Pair


def edge_strength(p: Pair) -> float:
    """How strongly a link ties two members, for finding a family's hub.

    Words kept verbatim weigh most: two independent rewrites of one source each keep
    some of its words, but rarely the same ones, so each is lexically closer to the
    source than to its sibling, while all of them are about equally close in meaning.
    Meaning (aligned share x similarity) only breaks ties, e.g. among translations.
    """
    f = p.features
    verbatim = 0.5 * ((f.verbatim_a or 0.0) + (f.verbatim_b or 0.0))
    meaning = (1.0 if f.aligned_sim is None else f.aligned_sim) * 0.5 * (p.coverage_a + p.coverage_b)
    return verbatim + 0.1 * meaning


def family_origin(members: list[str], pairs: list[Pair], docs: dict[str, Doc]) -> str | None:
    """The source of a family: the earliest when every member is dated, else its hub.

    The hub is the member most strongly tied to the others: each derivative is closer to
    the source than to a sibling derivative. Directed partial links vote for their source.
    """
    dated = [docs[m].article.published for m in members if m in docs]
    if len(dated) == len(members) and all(d is not None for d in dated):
        order = sorted(members, key=lambda m: (_naive(docs[m].article.published), m))  # type: ignore[union-attr]
        a, b = docs[order[0]], docs[order[1]]
        if date_direction(a, b) is not None:  # a unique earliest article
            return order[0]
    score: dict[str, float] = defaultdict(float)
    for p in pairs:
        s = edge_strength(p)
        if p.direction == "a->b":
            score[p.a] += 2 * s
        elif p.direction == "b->a":
            score[p.b] += 2 * s
        else:
            score[p.a] += s
            score[p.b] += s
    if not score:
        return None
    ranked = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 1e-6:
        return None  # a tie: two members explain the family equally well; say so
    return ranked[0][0]


def families(docs: dict[str, Doc], pairs: list[Pair]) -> list[Group]:
    reuse = [p for p in pairs if p.relation in REUSE_RELATIONS]
    nodes = sorted({x for p in reuse for x in (p.a, p.b)})
    groups: list[Group] = []
    by_member: dict[str, int] = {}
    comps = [c for c in components(nodes, [(p.a, p.b) for p in reuse]) if len(c) > 1]
    comps.sort(key=lambda c: (-len(c), c[0]))
    for k, members in enumerate(comps):
        for m in members:
            by_member[m] = k
    fam_pairs: dict[int, list[Pair]] = defaultdict(list)
    for p in reuse:
        fam_pairs[by_member[p.a]].append(p)
    for k, members in enumerate(comps):
        origin = family_origin(members, fam_pairs[k], docs)
        # structure tells the direction of the origin's own links
        if origin is not None:
            for p in fam_pairs[k]:
                if p.direction is None and origin in (p.a, p.b):
                    p.direction = "a->b" if p.a == origin else "b->a"
        groups.append(Group(kind="family", id=f"F{k + 1}", members=members, origin=origin))
    return groups


def effective_dates(docs: dict[str, Doc], fams: list[Group]) -> dict[str, datetime]:
    """Each article's date, or for an undated copy the earliest date of its family.

    A copy is published after its source, so the family's earliest date is a lower
    bound that is good enough to tell this week's event from last week's.
    """
    out: dict[str, datetime] = {}
    for i, d in docs.items():
        if d.article.published is not None:
            out[i] = _naive(d.article.published)
    for g in fams:
        known = [out[m] for m in g.members if m in out]
        if known:
            first = min(known)
            for m in g.members:
                out.setdefault(m, first)
    return out


def _gap_days(a: str, b: str, dates: dict[str, datetime]) -> float | None:
    if a in dates and b in dates:
        return abs((dates[a] - dates[b]).total_seconds()) / 86400.0
    return None
