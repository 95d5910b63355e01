"""Groups kept between index adds: only the components that new pairs touch are grouped again.

Why: an index add used to rebuild every family and story from every stored pair, batch after
batch. For the service, whose batches are a few dozen articles, that fixed cost grew with the
index and was most of the grouping time (9.3 s against a batch scan's 0.3 s in the load test of
docs/benchmarks.md).

Why it is exact. A *group edge* is a pair whose relation can put two articles in one family or
one story (the reuse relations and ``same_story``). Everything ``build_groups`` computes for an
article depends only on the pairs and the dates inside its connected component of group edges:
families are components of reuse links; an undated copy takes its family's earliest date; a
``same_story`` pair's date gap is between two members of one component; ``stories`` runs Leiden on
each connected component of positive weight alone (``retold.group.stories``), and a weight is
positive only on a group edge. So a component that no new group edge and no new article touches
has the groups it had when it was last grouped; the touched components are grouped again from
their stored pairs and the new ones, in the order a full rebuild reads them; and the union,
numbered as ``build_groups`` numbers (by size, then first member), is what a full rebuild gives
(``tests/test_group_held.py`` checks it on sequences of adds).

What the stories say afterwards (``stories_say``: compared pairs relabelled by their stories,
pairs the stories imply) needs, for the stories of the new articles and the stories linked to
them, every pair that names one of their members: :meth:`HeldGroups.regroup` hands those over
instead of every stored pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from retold.config import Settings
from retold.group.build import published_of
from retold.group.columns import DIRECTION_CODES, RELATION_CODES, Links, group_links, relation_code, write_back
from retold.group.implied import _LINKS
from retold.group.links import LinkTable
from retold.model import REUSE_RELATIONS, Doc, Group, Pair

#: relations that can join two articles into one family or one story
GROUP_EDGE = REUSE_RELATIONS | {"same_story"}
_GROUP_EDGE_CODES = np.array(sorted(relation_code(r) for r in GROUP_EDGE), dtype=np.uint8)


@dataclass
class Regrouped:
    """One batch's groups, before its commit: nothing of the held state is changed yet."""

    groups: list[Group]  # every family and story of the index with the batch, numbered
    pairs: list[Pair]  # what ``stories_say`` reads: the pairs naming a member of a new article's story or a story linked to it
    touched: set[int] = field(default_factory=set)  # held components grouped again
    members: list[list[str]] = field(default_factory=list)  # the components they and the new articles make now
    families: list[list[Group]] = field(default_factory=list)  # each one's families (unnumbered)
    stories: list[list[list[str]]] = field(default_factory=list)  # each one's stories (members)


@dataclass
class _Region:
    """The articles and links a batch groups again, grouped: the held links inside it (their
    table positions, ascending), then the batch's new pairs inside it."""

    ids: list[str]
    held: np.ndarray  # positions in the link table
    links: Links  # the held links, then the new ones
    relation: np.ndarray  # codes after grouping, per link of ``links``
    direction: np.ndarray


class HeldGroups:
    """The families and stories of an index by component of group edges, and every stored pair
    (without passages, as stored: never relabelled; held as columns, ``retold.group.links``),
    kept in memory between adds.

    ``build`` groups everything once; for each batch, ``regroup`` groups again the components
    its new articles and pairs touch, and after the batch's commit ``apply`` makes that the
    held state. Held by a long-lived ``Index`` (``keep_in_memory``), dropped with its memory
    when another process commits or a removal splits components. Grouping reads the held
    columns (``retold.group.columns``): a region's links are never made into pairs, only the
    few that the stories of a batch's new articles have a say on.
    """

    def __init__(self, links: LinkTable | None = None) -> None:
        self.links = links if links is not None else LinkTable()  # every stored pair, light
        self.comp_of: dict[str, int] = {}
        self.members: dict[int, list[str]] = {}
        self.families: dict[int, list[Group]] = {}
        self.stories: dict[int, list[list[str]]] = {}
        self._next = 0

    # --- building and keeping ------------------------------------------------------
    @classmethod
    def build(cls, docs: dict[str, Doc], links: Sequence[Pair] | LinkTable, settings: Settings) -> HeldGroups:
        """Group every indexed article (``docs``: each one's id and date) from every stored pair
        (as pairs, or the table ``Index.link_table`` reads)."""
        if isinstance(links, LinkTable):
            held = cls(links)
        else:
            held = cls()
            held.links.extend(links)
        plan = held.regroup(docs, sorted(docs), [], settings, say=False)
        held.apply(plan, [])
        return held

    def apply(self, plan: Regrouped, stored: Sequence[Pair]) -> None:
        """The batch of ``plan`` is committed, with ``stored`` (its new pairs as the index keeps them)."""
        for c in plan.touched:
            for x in self.members.pop(c):
                self.comp_of.pop(x, None)
            del self.families[c], self.stories[c]
        self.links.extend(stored)  # light copies: the table keeps what grouping reads
        for members, fams, stories in zip(plan.members, plan.families, plan.stories):
            c = self._next
            self._next += 1
            self.members[c] = members
            self.families[c] = fams
            self.stories[c] = stories
            for x in members:
                self.comp_of[x] = c

    # --- one batch ---------------------------------------------------------------
    def regroup(
        self, docs: dict[str, Doc], new_ids: Sequence[str], new_pairs: Sequence[Pair], settings: Settings,
        say: bool = True, also: Iterable[str] = (),
    ) -> Regrouped:
        """Every group with the batch's new articles and pairs, grouping again only what they touch.

        ``docs``: every article's id and date (the indexed and the new); ``new_pairs`` are
        relabelled in place as ``build_groups`` relabels them (they are stored that way).
        ``say``: work out the pairs ``stories_say`` reads (``Regrouped.pairs``); ``also``: articles
        to group again besides those the batch touches (every one, where no groups are held yet).
        """
        touched_ids = set(new_ids) | set(also) | {x for p in new_pairs if p.relation in GROUP_EDGE for x in (p.a, p.b)}
        touched = {self.comp_of[x] for x in touched_ids if x in self.comp_of}
        region_set = set(touched_ids)
        for c in touched:
            region_set.update(self.members[c])
        ids = sorted(region_set)
        pos = {x: i for i, x in enumerate(ids)}
        place = self.links.places(ids)
        held = self.links.inside(place)  # the stored links inside the region, in the order stored
        fresh = [p for p in new_pairs if p.a in pos and p.b in pos]
        links = Links.concat([self.links.columns(held, place), Links.from_pairs(fresh, pos)])
        known = np.array([x in docs for x in ids], dtype=bool)
        grouping = group_links(ids, published_of(docs, ids), known, links, settings)
        region = _Region(ids, held, links, grouping.relation, grouping.direction)
        write_back(fresh, links, grouping, start=len(held))

        # the region's components of group edges (as the links were before grouping relabelled them)
        edge = np.isin(links.relation, _GROUP_EDGE_CODES)
        graph = coo_matrix((np.ones(int(edge.sum()), dtype=np.int8), (links.a[edge], links.b[edge])), shape=(len(ids),) * 2)
        _, comp_no = connected_components(graph, directed=False)
        order = np.argsort(comp_no, kind="stable")
        bounds = [0, *(np.flatnonzero(np.diff(comp_no[order])) + 1).tolist(), len(ids)] if len(ids) else [0]
        in_order = [ids[i] for i in order.tolist()]
        comps = [in_order[lo:hi] for lo, hi in zip(bounds, bounds[1:])]
        firsts = comp_no[order[bounds[:-1]]].tolist() if len(ids) else []
        number = {c: n for n, c in enumerate(firsts)}
        fams: list[list[Group]] = [[] for _ in comps]
        stories: list[list[list[str]]] = [[] for _ in comps]
        for g in grouping.families:
            fams[number[int(comp_no[pos[g.members[0]]])]].append(Group(kind="family", id="", members=g.members, origin=g.origin))
        for g in grouping.stories:
            stories[number[int(comp_no[pos[g.members[0]]])]].append(g.members)

        kept = [c for c in self.members if c not in touched]
        all_fams = [f for c in kept for f in self.families[c]] + [f for fs in fams for f in fs]
        all_stories = [s for c in kept for s in self.stories[c]] + [s for ss in stories for s in ss]
        groups = numbered(all_fams, all_stories, settings.semantic)
        plan = Regrouped(groups, [], touched, comps, fams, stories)
        if settings.semantic and say:
            plan.pairs = self._around(groups, set(new_ids), region, new_pairs)
        return plan

    def _around(self, groups: list[Group], new_ids: set[str], region: _Region, new_pairs: Sequence[Pair]) -> list[Pair]:
        """The pairs naming a member of a new article's story or of a story linked to one, in the
        order a full rebuild holds them (stored, then new): a stored link inside the region as
        grouping relabelled it, elsewhere as held (grouping relabels group edges only, all of them
        inside the region). The stored ones come without features: ``stories_say`` reads their
        ends, relations, bases, scores and coverages only (the features of the batch's own pairs,
        which it relabels, are theirs)."""
        story_of = {m: i for i, g in enumerate(x for x in groups if x.kind == "story") for m in g.members}
        story_members = [g.members for g in groups if g.kind == "story"]
        new_by_id: dict[str, list[int]] = {}
        for k, p in enumerate(new_pairs):
            new_by_id.setdefault(p.a, []).append(k)
            new_by_id.setdefault(p.b, []).append(k)

        def naming(stories: set[int]) -> tuple[np.ndarray, set[int]]:
            members = [m for s in stories for m in story_members[s]]
            fresh = {k for m in members for k in new_by_id.get(m, ())}
            return self.links.naming_any(members), fresh

        def grouped(at: np.ndarray) -> tuple[list[str | None], list[str | None]]:
            """Relations and directions of the stored links at ``at``: inside the region as grouping left them."""
            rel, dirs = self.links.relations(at), self.links.directions(at)
            if len(region.held) and len(at):
                j = np.minimum(np.searchsorted(region.held, at), len(region.held) - 1)
                inside = region.held[j] == at
                changed = inside & ((region.relation[j] != region.links.relation[j]) | (region.direction[j] != region.links.direction[j]))
                for i in np.flatnonzero(changed).tolist():
                    rel[i] = RELATION_CODES[region.relation[j[i]]]
                    dirs[i] = DIRECTION_CODES[region.direction[j[i]]]
            return rel, dirs

        first = {story_of[x] for x in new_ids if x in story_of}
        held, fresh = naming(first)
        linked = set(first)
        ends = zip(*self.links.end_ids(held), grouped(held)[0])
        for a, b, rel in itertools.chain(ends, ((p.a, p.b, p.relation) for p in (new_pairs[k] for k in fresh))):
            if rel in _LINKS:
                linked.update(story_of[x] for x in (a, b) if x in story_of)
        held, fresh = naming(linked)
        return self.links.light_pairs(held, *grouped(held)) + [new_pairs[k] for k in sorted(fresh)]


def numbered(families: Iterable[Group], stories: Iterable[list[str]], semantic: bool = True) -> list[Group]:
    """Families and stories numbered as ``build_groups`` numbers them: by size, then first member."""
    fams = sorted(families, key=lambda g: (-len(g.members), g.members[0]))
    out = [Group(kind="family", id=f"F{k + 1}", members=list(g.members), origin=g.origin) for k, g in enumerate(fams)]
    if semantic:
        ordered = sorted(stories, key=lambda m: (-len(m), m[0]))
        out += [Group(kind="story", id=f"S{k + 1}", members=list(m)) for k, m in enumerate(ordered)]
    return out


__all__ = ["GROUP_EDGE", "HeldGroups", "Regrouped", "numbered"]
