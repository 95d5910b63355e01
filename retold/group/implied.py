"""Pairs that the groups imply but the candidate stage never compared.

Comparing every pair is what retold must never do, so two reports of one event, or of
two events of one storyline, are often never compared directly: each article looks at
its nearest neighbours only, and a topic of forty articles has 780 pairs. The groups
already carry the answer for those pairs:

- two members of one story report one event: ``same_story`` (basis ``"story"``);
- two stories joined by many observed ``related``/``same_story`` pairs form a storyline
  (DESIGN: "stories linked by related form a storyline"): their other cross pairs are
  ``related`` (basis ``"storyline"``).

Such pairs carry no passages and a score that says how much observed evidence stands
behind them. Work stays bounded: stories larger than ``max_story`` imply nothing.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection

from retold.model import REUSE_RELATIONS, Group, Pair

#: relations that say "the same event or one storyline" between two stories
_LINKS = frozenset({"same_story", "related"})
#: relations that join two articles into one story
_SAME_EVENT = REUSE_RELATIONS | {"same_story"}


def implied_pairs(
    stories: list[Group],
    pairs: list[Pair],
    new_ids: Collection[str] | None = None,
    min_links: int = 3,
    min_share: float = 0.5,
    max_story: int = 200,
) -> list[Pair]:
    """Pairs (sorted ids) implied by the stories and by storylines, not already in ``pairs``.

    A storyline joins stories S and T when at least ``min_links`` of their cross pairs,
    and at least ``min_share`` of all |S| x |T| of them, were compared and found related
    or same_story. With ``new_ids`` (index mode) only pairs touching a new article are
    returned, as for compared pairs.
    """
    seen = {frozenset((p.a, p.b)): p.relation for p in pairs if p.relation}
    members = [sorted(g.members) for g in stories if g.kind == "story"]
    story_of = {x: i for i, m in enumerate(members) for x in m}
    new = set(new_ids) if new_ids is not None else None
    out: list[Pair] = []

    def wanted(a: str, b: str) -> bool:
        return frozenset((a, b)) not in seen and (new is None or a in new or b in new)

    for m in members:
        if not 2 < len(m) <= max_story:  # a story of two is one observed pair already
            continue
        n_pairs = len(m) * (len(m) - 1) // 2
        support = sum(1 for a, b in itertools.combinations(m, 2) if seen.get(frozenset((a, b))) in _SAME_EVENT)
        for a, b in itertools.combinations(m, 2):
            if wanted(a, b):
                out.append(Pair(a, b, "same_story", support / n_pairs, 0.0, 0.0, basis="story"))

    links: Counter = Counter()
    for key, rel in seen.items():
        if rel in _LINKS:
            a, b = tuple(key)
            sa, sb = story_of.get(a), story_of.get(b)
            if sa is not None and sb is not None and sa != sb:
                links[(min(sa, sb), max(sa, sb))] += 1
    for (i, j), n in sorted(links.items()):
        si, sj = members[i], members[j]
        if len(si) > max_story or len(sj) > max_story:
            continue
        total = len(si) * len(sj)
        if n < min_links or n < min_share * total:
            continue
        for a in si:
            for b in sj:
                x, y = (a, b) if a < b else (b, a)
                if wanted(x, y):
                    out.append(Pair(x, y, "related", n / total, 0.0, 0.0, basis="storyline"))
    return out
