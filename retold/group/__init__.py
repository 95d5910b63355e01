"""group: families of reuse (each with its origin) and stories (articles about one event).

Families are the connected components of reuse links: copying is transitive enough
that a chain of copies is one family. Stories are not transitive in the same way (two
events of one storyline get linked by a few loose pairs), so they come from Leiden
community detection on the weighted graph of reuse and same_story links.
"""

from __future__ import annotations

from collections import defaultdict

from retold.config import Settings
from retold.decide.direction import date_direction
from retold.model import Doc, Group, Pair, REUSE_RELATIONS


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comp: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        comp[find(n)].append(n)
    return [sorted(v) for v in comp.values()]


def edge_strength(p: Pair) -> float:
    """How strongly a link ties two members, for finding a family's hub.

    Words kept verbatim weigh most: two independent rewrites of one source each keep
    some of its words, but rarely the same ones, so each is lexically closer to the
    source than to its sibling, while all of them are about equally close in meaning.
    Meaning (aligned share x similarity) only breaks ties, e.g. among translations.
    """
    f = p.features
    verbatim = 0.5 * (f.get("verbatim_a", 0.0) + f.get("verbatim_b", 0.0))
    meaning = f.get("aligned_sim", 1.0) * 0.5 * (p.coverage_a + p.coverage_b)
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
    comps = [c for c in _components(nodes, [(p.a, p.b) for p in reuse]) if len(c) > 1]
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


def stories(docs: dict[str, Doc], pairs: list[Pair], seed: int = 42) -> list[Group]:
    """Every article in exactly one story; Leiden (modularity) over reuse + same_story links."""
    import igraph as ig
    import leidenalg

    ids = sorted(docs)
    pos = {x: i for i, x in enumerate(ids)}
    edges, weights = [], []
    for p in pairs:
        if p.a not in pos or p.b not in pos:
            continue
        if p.relation in REUSE_RELATIONS:
            w = 1.0 + p.score
        elif p.relation == "same_story":
            w = p.score
        else:
            continue
        edges.append((pos[p.a], pos[p.b]))
        weights.append(w)
    g = ig.Graph(n=len(ids), edges=edges)
    g.es["weight"] = weights
    if edges:
        part = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, weights="weight", seed=seed)
        membership = list(part.membership)
    else:
        membership = list(range(len(ids)))
    clusters: dict[int, list[str]] = defaultdict(list)
    for x, c in zip(ids, membership):
        clusters[c].append(x)
    out = sorted(clusters.values(), key=lambda c: (-len(c), c[0]))
    return [Group(kind="story", id=f"S{k + 1}", members=sorted(m)) for k, m in enumerate(out)]


def build_groups(docs: dict[str, Doc], pairs: list[Pair], settings: Settings) -> list[Group]:
    """Families first (they also settle directions), then stories."""
    fams = families(docs, pairs)
    return fams + stories(docs, pairs) if settings.semantic else fams


__all__ = ["build_groups", "families", "stories", "family_origin"]
