"""group: families of reuse (each with its origin) and stories (articles about one event).

Families are the connected components of reuse links: copying is transitive enough
that a chain of copies is one family. Stories are not transitive in the same way (two
events of one storyline get linked by a few loose pairs), so they come from Leiden
community detection on the weighted graph of reuse and same_story links.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from retold.config import Settings
from retold.decide.direction import _naive, date_direction
from retold.config import Thresholds
from retold.graphs import components
from retold.decide.relation import story_probabilities
from retold.model import Doc, Group, Pair, REUSE_RELATIONS




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
        order = sorted(members, key=lambda m: (docs[m].article.published.replace(tzinfo=None), m))  # type: ignore[union-attr]
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
    """
    import igraph as ig
    import leidenalg

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
    if edges:
        g = ig.Graph(n=len(ids), edges=edges)
        g.es["weight"] = weights
        part = leidenalg.find_partition(
            g, leidenalg.CPMVertexPartition, weights="weight", resolution_parameter=t.story_resolution, seed=seed
        )
        membership = attach_loners(list(part.membership), edges, weights)
    else:
        membership = list(range(len(ids)))
    clusters: dict[int, list[str]] = defaultdict(list)
    for x, c in zip(ids, membership):
        clusters[c].append(x)
    out = sorted(clusters.values(), key=lambda c: (-len(c), c[0]))
    return [Group(kind="story", id=f"S{k + 1}", members=sorted(m)) for k, m in enumerate(out)]


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


def build_groups(docs: dict[str, Doc], pairs: list[Pair], settings: Settings) -> list[Group]:
    """Families first (they settle directions and lend dates to undated copies), then stories.

    A same_story pair whose (family) dates lie further apart than a story allows is
    turned into ``related`` here: only now are the family dates known.
    """
    fams = families(docs, pairs)
    if not settings.semantic:
        return fams
    t = settings.thresholds
    dates = effective_dates(docs, fams)
    for p in pairs:
        if p.relation == "same_story":
            gap = _gap_days(p.a, p.b, dates)
            if gap is not None and gap > t.max_story_gap_days:
                p.relation = "related"
    return fams + stories(docs, pairs, t, dates)


__all__ = ["build_groups", "families", "stories", "family_origin", "components", "attach_loners"]
