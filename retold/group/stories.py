"""Stories: articles about one event, by Leiden community detection (CPM) on the graph of
reuse and same_story links weighted by P(same event).

Stories are not transitive the way copies are: two events of one storyline get linked by a
few loose pairs, so connected components would merge them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from retold.config import Thresholds
from retold.decide.relation import story_probabilities
from retold.graphs import components
from retold.group.families import _gap_days
from retold.model import REUSE_RELATIONS, Doc, Group, Pair


def same_event_weight(p: Pair, t: Thresholds, dates: dict[str, datetime] | None = None) -> float:
    """Probability-like weight that the two articles report one event.

    Reuse means one text, hence one event (1.0). A same_story pair weighs P(related) x
    P(same event | related) from the story models; pairs decided as another event,
    published too far apart, or unrelated, weigh nothing.
    """
    if p.relation in REUSE_RELATIONS:
        return 1.0
    gap = p.features.date_gap_days
    if gap is None and dates is not None:
        gap = _gap_days(p.a, p.b, dates)
    if gap is not None and gap > t.max_story_gap_days:
        return 0.0
    if p.features.encoded is False:  # names-only evidence: trust the decision
        return float(p.score) if p.relation == "same_story" else 0.0
    if p.features.doc_cos is None:
        return float(p.score) if p.relation == "same_story" else 0.0
    if p.relation != "same_story":
        return 0.0  # decided as another event (or unrelated): no pull towards one story
    p_related, p_event = story_probabilities(p.features, t)
    return p_related * p_event


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
    """
    t = thresholds
    ids = sorted(docs)
    pos = {x: i for i, x in enumerate(ids)}
    edges, weights = [], []
    for p in pairs:
        if p.a not in pos or p.b not in pos:
            continue
        w = same_event_weight(p, t, dates)
        if w > 0:
            edges.append((pos[p.a], pos[p.b]))
            weights.append(w)
    membership = list(range(len(ids)))  # an article without links is a story of its own
    by_comp: dict[int, list[int]] = defaultdict(list)  # edges by component (its smallest node)
    linked = sorted({x for e in edges for x in e})
    comp_of = {n: c[0] for c in components(linked, edges) for n in c}
    for k, (a, _) in enumerate(edges):
        by_comp[comp_of[a]].append(k)
    for first, ks in by_comp.items():
        nodes = sorted({x for k in ks for x in edges[k]})
        local = {x: i for i, x in enumerate(nodes)}
        sub_edges = [(local[edges[k][0]], local[edges[k][1]]) for k in ks]
        sub_weights = [weights[k] for k in ks]
        part = _cpm(len(nodes), sub_edges, sub_weights, t.story_resolution, seed)
        part = attach_loners(part, sub_edges, sub_weights)
        label: dict[int, int] = {}
        for i, c in enumerate(part):  # a cluster is named by its first node: unique over all components
            membership[nodes[i]] = label.setdefault(c, nodes[i])
    clusters: dict[int, list[str]] = defaultdict(list)
    for x, c in zip(ids, membership):
        clusters[c].append(x)
    out = sorted(clusters.values(), key=lambda c: (-len(c), c[0]))
    return [Group(kind="story", id=f"S{k + 1}", members=sorted(m)) for k, m in enumerate(out)]


def _cpm(n: int, edges: list[tuple[int, int]], weights: list[float], resolution: float, seed: int) -> list[int]:
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
    pull: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (i, j), w in zip(edges, weights):
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
