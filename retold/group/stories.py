"""Stories: articles about one event, by Leiden community detection (CPM) on the graph of
reuse and same_story links weighted by P(same event).

Stories are not transitive the way copies are: two events of one storyline get linked by a
few loose pairs, so connected components would merge them. The work is done over columns
(``retold.group.columns``); these are its per-pair forms.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from retold.config import Thresholds
from retold.decide.direction import _naive
from retold.group.columns import LONER_MIN_LINKS, Links, attach_loners, gap_days, microseconds, relation_code
from retold.group.columns import same_event_weights, stories_of
from retold.model import Doc, Group, Pair


def same_event_weight(p: Pair, t: Thresholds, dates: dict[str, datetime] | None = None) -> float:
    """Probability-like weight that the two articles report one event.

    Reuse means one text, hence one event (1.0). A same_story pair weighs P(related) x
    P(same event | related) from the story models; pairs decided as another event,
    published too far apart, or unrelated, weigh nothing. A pair decided on names alone
    (no sentence vectors, or no article cosine) weighs its score.
    """
    links = Links.from_pairs([p], {p.a: 0, p.b: 1 if p.b != p.a else 0})
    gap = None
    if dates is not None:
        us, has = microseconds([dates.get(p.a), dates.get(p.b)])
        gap = gap_days(np.array([0]), np.array([1 if p.b != p.a else 0]), us, has)
    return float(same_event_weights(links, np.array([relation_code(p.relation)], dtype=np.uint8), t, gap)[0])


def stories(
    docs: dict[str, Doc],
    pairs: list[Pair],
    thresholds: Thresholds,
    dates: dict[str, datetime] | None = None,
    seed: int = 42,
) -> list[Group]:
    """Every article in exactly one story: Leiden with the Constant Potts Model.

    With edges weighted by the probability that two articles report one event, CPM at
    resolution r keeps a set of articles together only when their pairs average at
    least r of that probability (missing pairs count as 0). Unlike modularity, it does
    not merge two events of one topic that a few loose links join.

    Leiden runs on each connected component of the weighted graph alone, its articles in id
    order, with the same seed. Why: CPM never puts two unconnected parts in one story, so the
    components are independent problems; solved one by one, a component's stories depend on
    its own pairs only, not on the rest of the index (one run over the whole graph shuffles
    every node with one random stream). That is what lets an index add regroup only the
    components its new pairs touch and get what a full rebuild gets (``retold.group.held``).
    ``dates``: each article's date for pairs that do not carry their own gap.
    """
    ids = sorted(set(docs).union(*((p.a, p.b) for p in pairs)))
    links = Links.from_pairs(pairs, {x: i for i, x in enumerate(ids)})
    known = np.array([x in docs for x in ids], dtype=bool)
    gap = None
    if dates is not None:
        us, has = microseconds([_naive(dates[x]) if x in dates else None for x in ids])
        gap = gap_days(links.a, links.b, us, has)
    weights = same_event_weights(links, links.relation, thresholds, gap)
    return stories_of(ids, known, links, weights, thresholds.story_resolution, seed)


__all__ = ["LONER_MIN_LINKS", "attach_loners", "same_event_weight", "stories"]
