"""Families and stories from the pairs held as columns: one pass of numpy, no object per pair.

Why: grouping reads a handful of numbers of each pair (its ends, relation, direction, score,
coverages and the features of ``LINK_FEATURES``), and an index's grouping region can hold every
pair it has: in a streamed scan of the speed corpus one component of the grouping graph held all
of 1.6 million links at 50,000 articles. Made into one ``Pair`` each, those links were gigabytes
and most of a batch's time; as the columns of :class:`Links` they are some 200 bytes a link, and
the work per link is numpy's.

This module is the one implementation of grouping: ``build_groups``, ``families`` and ``stories``
(on lists of pairs) turn their pairs into columns, group them here and write back what grouping
changes (``Grouping.relation``, ``Grouping.direction``); ``retold.group.held`` groups the region
of a batch from the columns it holds. What it computes, and in what order (which decides float
sums and Leiden's input), is that of the per-pair rules documented in ``families.py`` and
``stories.py``:

- families: connected components of reuse links; the origin is the earliest member when every
  member is dated and one is first by a minute, else the hub that scores highest over the family's
  links (``edge_strength``, twice for the source of a directed link), none on a tie; the origin
  directs its own undirected links;
- effective dates: an undated member of a family takes the family's earliest date;
- a ``same_story`` pair whose effective dates lie further apart than a story allows is ``related``;
- stories: Leiden (CPM) on each connected component of positive same-event weight, then
  ``attach_loners``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from retold.config import EVENT_FEATURES, TOPIC_FEATURES, Settings, Thresholds
from retold.decide.direction import MIN_GAP_SECONDS
from retold.model import RELATIONS, REUSE_RELATIONS, Group, Pair

#: the features of a pair that grouping reads (families: edge strength; stories: the event
#: weight and its models; agreement: the date gap): a stored pair read for grouping only
#: (``Index.pair_links``, ``Index.link_table``) keeps these, a fraction of its evidence
LINK_FEATURES = frozenset(
    {"verbatim_a", "verbatim_b", "aligned_sim", "date_gap_days", "encoded", "doc_cos", "matched_a", "matched_b",
     "names_overlap"}
    | {k for k in TOPIC_FEATURES + EVENT_FEATURES if k != "matched_min"}
)
#: the features a link keeps, in a fixed order (the columns of ``Links.features``)
LINK_COLUMNS: tuple[str, ...] = tuple(sorted(LINK_FEATURES))
_COL = {name: c for c, name in enumerate(LINK_COLUMNS)}

#: relation codes (``Links.relation``); ``OTHER`` for a relation grouping does not know
RELATION_CODES: tuple[str | None, ...] = (None, *RELATIONS)
OTHER = 255
#: direction codes (``Links.direction``)
DIRECTION_CODES: tuple[str | None, ...] = (None, "a->b", "b->a")
_REL = {r: c for c, r in enumerate(RELATION_CODES)}
_DIR = {d: c for c, d in enumerate(DIRECTION_CODES)}
_REUSE = np.array(sorted(_REL[r] for r in REUSE_RELATIONS), dtype=np.uint8)
SAME_STORY, RELATED = _REL["same_story"], _REL["related"]
A_TO_B, B_TO_A = _DIR["a->b"], _DIR["b->a"]
#: a feature added later, read from the one it refines when a stored pair lacks it
#: (as ``retold.decide.relation.feature_vector`` reads it)
_FALLBACK = {"names_contained": "names_overlap"}
_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


def relation_code(relation: str | None) -> int:
    return _REL.get(relation, OTHER)


def direction_code(direction: str | None) -> int:
    if direction not in _DIR:
        raise ValueError(f"not a direction: {direction!r}")
    return _DIR[direction]


@dataclass
class Links:
    """Pairs as columns, over articles numbered by their place in a sorted list of ids.

    ``features`` has a column per name of ``LINK_COLUMNS``, NaN where the pair lacks it;
    a boolean feature is 1.0 or 0.0.
    """

    a: np.ndarray  # int64: position of each pair's a
    b: np.ndarray
    relation: np.ndarray  # uint8 codes of RELATION_CODES (OTHER for others)
    direction: np.ndarray  # uint8 codes of DIRECTION_CODES
    score: np.ndarray  # float64
    coverage_a: np.ndarray
    coverage_b: np.ndarray
    features: np.ndarray  # float64 (n, len(LINK_COLUMNS))

    def __len__(self) -> int:
        return len(self.a)

    def feature(self, name: str) -> np.ndarray:
        return self.features[:, _COL[name]]

    @classmethod
    def empty(cls) -> Links:
        return cls.from_pairs([], {})

    @classmethod
    def from_pairs(cls, pairs: Sequence[Pair], position: Mapping[str, int]) -> Links:
        """The columns of ``pairs``; ``position``: each article's place (every end must have one)."""
        n = len(pairs)
        feats = np.array(
            [[getattr(p.features, name) for name in LINK_COLUMNS] for p in pairs], dtype=np.float64
        ).reshape(n, len(LINK_COLUMNS))  # None is NaN, True and False 1.0 and 0.0
        return cls(
            a=np.fromiter((position[p.a] for p in pairs), dtype=np.int64, count=n),
            b=np.fromiter((position[p.b] for p in pairs), dtype=np.int64, count=n),
            relation=np.fromiter((relation_code(p.relation) for p in pairs), dtype=np.uint8, count=n),
            direction=np.fromiter((direction_code(p.direction) for p in pairs), dtype=np.uint8, count=n),
            score=np.fromiter((p.score for p in pairs), dtype=np.float64, count=n),
            coverage_a=np.fromiter((p.coverage_a for p in pairs), dtype=np.float64, count=n),
            coverage_b=np.fromiter((p.coverage_b for p in pairs), dtype=np.float64, count=n),
            features=feats,
        )

    @classmethod
    def concat(cls, parts: Sequence[Links]) -> Links:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in (
            "a", "b", "relation", "direction", "score", "coverage_a", "coverage_b", "features")))


@dataclass
class Grouping:
    """What grouping gives: the groups, and each link's relation and direction afterwards."""

    families: list[Group]  # numbered F1.. by size, then first member
    stories: list[Group]  # numbered S1.. (none without semantic grouping)
    relation: np.ndarray  # codes: a same_story pair dated too far apart became related
    direction: np.ndarray  # codes: a family's origin directs its own undirected links


def write_back(pairs: Sequence[Pair], links: Links, grouping: Grouping, start: int = 0) -> None:
    """Relabel ``pairs`` (the pairs the links from ``start`` on were made of, in order) as grouping did."""
    changed = (grouping.relation[start:] != links.relation[start:]) | (grouping.direction[start:] != links.direction[start:])
    for j in np.flatnonzero(changed).tolist():
        k = start + j
        p = pairs[j]
        p.relation = RELATION_CODES[grouping.relation[k]]  # type: ignore[assignment]
        p.direction = DIRECTION_CODES[grouping.direction[k]]


def microseconds(published: Sequence[datetime | None]) -> tuple[np.ndarray, np.ndarray]:
    """(each naive date as int64 microseconds since 1970, which have one)."""
    has = np.array([d is not None for d in published], dtype=bool)
    us = np.array([(d - _EPOCH) // _US if d is not None else 0 for d in published], dtype=np.int64)
    return us, has


def group_links(
    ids: Sequence[str], published: Sequence[datetime | None], known: np.ndarray, links: Links, settings: Settings
) -> Grouping:
    """Families, then (with semantic grouping) dates, story gaps and stories, of ``links``.

    ``ids``: every article, sorted, the ends of ``links`` among them; ``published``: each one's
    naive date or None; ``known``: the articles that are in the grouped corpus (every one is in
    exactly one story; the others only join families through their links).
    """
    us, has = microseconds(published)
    has &= known
    fams, family_of, origin = families_of(ids, us, has, known, links)
    direction = origin_directions(links, family_of, origin)
    relation = links.relation.copy()
    if not settings.semantic:
        return Grouping(fams, [], relation, direction)
    t = settings.thresholds
    us, has = effective_dates(us, has, family_of, len(fams))
    gap = gap_days(links.a, links.b, us, has)
    relation[(relation == SAME_STORY) & (gap > t.max_story_gap_days)] = RELATED
    weights = same_event_weights(links, relation, t, gap)
    return Grouping(fams, stories_of(ids, known, links, weights, t.story_resolution), relation, direction)


# --- families ------------------------------------------------------------------------------
def edge_strengths(links: Links) -> np.ndarray:
    """``families.edge_strength`` of every link: verbatim share first, meaning breaks ties."""
    va, vb = np.nan_to_num(links.feature("verbatim_a")), np.nan_to_num(links.feature("verbatim_b"))
    sim = links.feature("aligned_sim")
    verbatim = 0.5 * (va + vb)
    meaning = np.where(np.isnan(sim), 1.0, sim) * 0.5 * (links.coverage_a + links.coverage_b)  # left to right, as edge_strength
    return verbatim + 0.1 * meaning


def families_of(
    ids: Sequence[str], us: np.ndarray, has: np.ndarray, known: np.ndarray, links: Links
) -> tuple[list[Group], np.ndarray, np.ndarray]:
    """(families numbered by size then first member, each article's family or -1, each family's
    origin position or -1)."""
    n = len(ids)
    family_of = np.full(n, -1, dtype=np.int64)
    reuse = np.flatnonzero(np.isin(links.relation, _REUSE))
    if not len(reuse):
        return [], family_of, np.zeros(0, dtype=np.int64)
    ra, rb = links.a[reuse], links.b[reuse]
    graph = coo_matrix((np.ones(len(reuse), dtype=np.int8), (ra, rb)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    size = np.bincount(label)
    multi = np.flatnonzero(size[label] > 1)  # articles in a family, in id order
    order = multi[np.argsort(label[multi], kind="stable")]
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    comps = sorted(np.split(order, cuts), key=lambda m: (-len(m), m[0]))
    for k, members in enumerate(comps):
        family_of[members] = k

    # the hub scores: each link adds its strength to both ends, twice to the source of a directed one;
    # ends interleaved (a, b, a, b, ...) so that each article's sum is in the order of its links
    s = edge_strengths(links)[reuse]
    d = links.direction[reuse]
    wa = np.where(d == A_TO_B, 2 * s, np.where(d == B_TO_A, 0.0, s))
    wb = np.where(d == B_TO_A, 2 * s, np.where(d == A_TO_B, 0.0, s))
    ends = np.column_stack([ra, rb]).ravel()
    score = np.bincount(ends, weights=np.column_stack([wa, wb]).ravel(), minlength=n)
    scored = np.bincount(ends, weights=np.column_stack([d != B_TO_A, d != A_TO_B]).ravel().astype(float), minlength=n) > 0

    origin = np.full(len(comps), -1, dtype=np.int64)
    groups = []
    for k, members in enumerate(comps):
        o = _earliest(members, us, has, known)
        if o is None:
            o = _hub(members, score, scored)
        origin[k] = -1 if o is None else o
        groups.append(Group(kind="family", id=f"F{k + 1}", members=[ids[m] for m in members],
                            origin=None if o is None else ids[o]))
    return groups, family_of, origin


def _earliest(members: np.ndarray, us: np.ndarray, has: np.ndarray, known: np.ndarray) -> int | None:
    """The member published first by at least a minute, when every member is dated."""
    if not (has[members].all() and known[members].all()):
        return None
    t = us[members]
    first = np.lexsort((members, t))[:2]  # by date, then id
    gap_s = (int(t[first[1]]) - int(t[first[0]])) / 1e6
    return int(members[first[0]]) if gap_s >= MIN_GAP_SECONDS else None


def _hub(members: np.ndarray, score: np.ndarray, scored: np.ndarray) -> int | None:
    """The member most strongly tied to the others; None when two are tied."""
    cand = members[scored[members]]
    if not len(cand):
        return None
    sc = score[cand]
    best = int(np.argmax(sc))  # the first of the highest, in id order
    if len(cand) > 1 and sc[best] - np.max(np.delete(sc, best)) < 1e-6:
        return None
    return int(cand[best])


def origin_directions(links: Links, family_of: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Each link's direction, the undirected reuse links of an origin pointing away from it."""
    direction = links.direction.copy()
    if not len(origin):
        return direction
    fam = family_of[links.a]
    o = np.where(fam >= 0, origin[np.maximum(fam, 0)], -1)
    free = np.isin(links.relation, _REUSE) & (direction == _DIR[None]) & (o >= 0)
    direction[free & (links.a == o)] = A_TO_B
    direction[free & (links.a != o) & (links.b == o)] = B_TO_A
    return direction


def effective_dates(us: np.ndarray, has: np.ndarray, family_of: np.ndarray, n_families: int) -> tuple[np.ndarray, np.ndarray]:
    """Each article's date, an undated member of a family taking the family's earliest."""
    us, has = us.copy(), has.copy()
    if not n_families:
        return us, has
    in_fam = family_of >= 0
    first = np.full(n_families, np.iinfo(np.int64).max, dtype=np.int64)
    dated = in_fam & has
    np.minimum.at(first, family_of[dated], us[dated])
    lend = in_fam & ~has & (first[np.maximum(family_of, 0)] != np.iinfo(np.int64).max)
    us[lend] = first[family_of[lend]]
    has |= lend
    return us, has


def gap_days(a: np.ndarray, b: np.ndarray, us: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Days between the dates of each (a, b); NaN where one is undated."""
    gap = np.abs(us[a] - us[b]) / 1e6 / 86400.0
    return np.where(has[a] & has[b], gap, np.nan)


# --- stories ---------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    """As ``retold.decide.relation._sigmoid``, by ``math.exp`` (numpy's exp may differ in the last bit)."""
    return np.array([1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, v)))) for v in x.tolist()], dtype=np.float64)


def _model_input(links: Links, rows: np.ndarray, key: str) -> np.ndarray:
    """One feature of ``feature_vector`` for ``rows``: 0.0 where not computed."""
    if key == "matched_min":
        return np.minimum(np.nan_to_num(links.feature("matched_a")[rows]), np.nan_to_num(links.feature("matched_b")[rows]))
    v = links.feature(key)[rows]
    if key in _FALLBACK:
        v = np.where(np.isnan(v), links.feature(_FALLBACK[key])[rows], v)
    return np.nan_to_num(v, nan=0.0)


def _logit(links: Links, rows: np.ndarray, keys: tuple[str, ...], weights: Sequence[float], bias: float) -> np.ndarray:
    acc = np.zeros(len(rows), dtype=np.float64)
    for w, k in zip(weights, keys):  # in the order of the weights, as a sum over them adds
        acc = acc + float(w) * _model_input(links, rows, k)
    return acc + bias


def same_event_weights(links: Links, relation: np.ndarray, t: Thresholds, gap: np.ndarray | None = None) -> np.ndarray:
    """``stories.same_event_weight`` of every link: 1 for reuse, P(related) x P(same event) for a
    same_story pair compared with vectors, its score for one decided on names alone, else 0."""
    w = np.zeros(len(links), dtype=np.float64)
    story = relation == SAME_STORY
    own_gap = links.feature("date_gap_days")
    if gap is not None:
        own_gap = np.where(np.isnan(own_gap), gap, own_gap)
    in_time = ~(own_gap > t.max_story_gap_days)
    encoded = links.feature("encoded")
    names_only = (encoded < 0.5) | np.isnan(links.feature("doc_cos"))  # NaN < 0.5 is False: unknown counts as encoded
    w[story & in_time & names_only] = links.score[story & in_time & names_only]
    modelled = np.flatnonzero(story & in_time & ~names_only)
    if len(modelled):
        p_related = _sigmoid(_logit(links, modelled, TOPIC_FEATURES, t.related_weights, t.related_bias))
        p_event = _sigmoid(_logit(links, modelled, EVENT_FEATURES, t.event_weights, t.event_bias))
        w[modelled] = p_related * p_event
    w[np.isin(relation, _REUSE)] = 1.0
    return w


def stories_of(
    ids: Sequence[str], known: np.ndarray, links: Links, weights: np.ndarray, resolution: float, seed: int = 42
) -> list[Group]:
    """Every known article in exactly one story: Leiden (CPM) on each connected component of
    positive weight, its articles in id order, then ``attach_loners``."""
    n = len(ids)
    keep = np.flatnonzero((weights > 0) & known[links.a] & known[links.b])
    ea, eb, ew = links.a[keep], links.b[keep], weights[keep]
    membership = np.arange(n)  # an article without links is a story of its own
    if len(keep):
        graph = coo_matrix((np.ones(len(keep), dtype=np.int8), (ea, eb)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        by_comp = np.argsort(label[ea], kind="stable")  # each component's edges, in the order of the links
        cuts = np.flatnonzero(np.diff(label[ea][by_comp])) + 1
        for ks in np.split(by_comp, cuts):
            nodes = np.unique(np.concatenate([ea[ks], eb[ks]]))
            la, lb = np.searchsorted(nodes, ea[ks]), np.searchsorted(nodes, eb[ks])
            sub_edges = list(zip(la.tolist(), lb.tolist()))
            sub_weights = ew[ks].tolist()
            part = cpm(len(nodes), sub_edges, sub_weights, resolution, seed)
            part = attach_loners(part, sub_edges, sub_weights)
            label_of: dict[int, int] = {}
            for i, c in enumerate(part):  # a cluster is named by its first node: unique over all components
                membership[nodes[i]] = label_of.setdefault(c, int(nodes[i]))
    clusters: dict[int, list[str]] = defaultdict(list)
    for x in np.flatnonzero(known).tolist():
        clusters[int(membership[x])].append(ids[x])
    out = sorted(clusters.values(), key=lambda c: (-len(c), c[0]))
    return [Group(kind="story", id=f"S{k + 1}", members=m) for k, m in enumerate(out)]


def cpm(n: int, edges: list[tuple[int, int]], weights: list[float], resolution: float, seed: int) -> list[int]:
    """Leiden (CPM at ``resolution``) on one connected graph of ``n`` nodes: a cluster per node."""
    import igraph as ig
    import leidenalg

    g = ig.Graph(n=n, edges=edges)
    g.es["weight"] = weights
    part = leidenalg.find_partition(
        g, leidenalg.CPMVertexPartition, weights="weight", resolution_parameter=resolution, seed=seed
    )
    return list(part.membership)


#: same-event links into one story that an article Leiden left alone needs to join it
LONER_MIN_LINKS = 2


def attach_loners(membership: list[int], edges: Sequence[tuple[int, int]], weights: Sequence[float]) -> list[int]:
    """An article Leiden left alone joins the one story its own pairs put it in.

    Why: CPM asks an article to average the resolution over *every* member of a story,
    uncompared ones counting as 0, and candidates are bounded per article: a report
    compared with a few members of a story of fourteen, and found the same event by two
    of them, cannot pass that bar however sure the two are (the argument of the storyline
    rule in group/implied.py). Here the evidence must only be unambiguous: at least
    ``LONER_MIN_LINKS`` members vouch for it (one pair's mistake moves nothing), and that
    story holds at least twice the same-event weight of the next one. Only articles alone
    in their story move, and only into stories of two or more, so the order of moves does
    not matter.
    """
    size = Counter(membership)
    loners = {i for i, c in enumerate(membership) if size[c] == 1}
    if not loners:
        return list(membership)
    pull: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (i, j), w in zip(edges, weights):
        if i not in loners and j not in loners:
            continue
        for x, y in ((i, j), (j, i)):
            if x in loners and size[membership[y]] > 1:
                pull[x][membership[y]].append(w)
    out = list(membership)
    for x, by_story in pull.items():
        ranked = sorted(((sum(ws), len(ws), c) for c, ws in by_story.items()), reverse=True)
        total, n_links, best = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if n_links >= LONER_MIN_LINKS and total >= 2 * runner_up:
            out[x] = best
    return out


__all__ = [
    "LINK_COLUMNS", "LINK_FEATURES", "Grouping", "Links", "attach_loners", "edge_strengths", "group_links",
    "same_event_weights", "stories_of", "write_back",
]
