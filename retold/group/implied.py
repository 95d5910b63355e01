"""Pairs that the groups imply but the candidate stage never compared.

Comparing every pair is what retold must never do, so two reports of one event, or of
two events of one storyline, are often never compared directly: each article looks at
its nearest neighbours only, and a topic of forty articles has 780 pairs. The groups
already carry the answer for those pairs:

- two members of one story report one event: ``same_story`` (basis ``"story"``);
- two stories joined by many observed ``related``/``same_story`` pairs form a storyline
  (README: "their two stories are joined by many compared related pairs"): their other cross pairs are
  ``related`` (basis ``"storyline"``).

"Many" has two readings, because candidates are bounded per article. In a small topic
most cross pairs get compared, so a storyline shows as a large share of all |S| x |T|
cross pairs. In a large one each article meets only a few articles of the other story,
so that share shrinks as the stories grow although the evidence does not weaken; there
a storyline shows as *coverage*: most members of each story have a link into the other,
and each story is the other's most linked story. On the ECB+ tune split with a random
60-75% of the compared cross pairs left out (what a smaller candidate budget does), the
share rule alone keeps 16-31% of the related pairs, share or coverage 69-78%, at equal or
better precision (docs/DECISIONS.md). Coverage asks for texts of news length: a 30-word
customer-service chat is not evidence of a storyline, and in the WMT22 short texts two
"stories" of such chats met every other test.

A third reading is of translations (:func:`pivot_pairs`): two texts in different languages that
are each a translation of one third text, most of which both cover, are translations of each
other (basis ``"pivot"``). A wire story translated into ten languages has 45 pairs of sister
translations, and each pair must be found by the second model alone where the encoder lacks one of
its languages (an Icelandic and a Japanese translation share no names in one script); through the
original, or any sister the encoder covers, each is found with the evidence of two strong pairs.

Such pairs carry no passages and a score that says how much observed evidence stands
behind them. Work stays bounded: stories larger than ``max_story`` imply nothing.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from retold.clean.lang import same_language
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
    min_cover: float = 0.5,
    n_tokens: Mapping[str, int] | None = None,
    min_tokens: int = 50,
) -> list[Pair]:
    """Pairs (sorted ids) implied by the stories and by storylines, not already in ``pairs``.

    A storyline joins stories S and T when at least ``min_links`` of their cross pairs were
    compared and found related or same_story, and either those links are at least
    ``min_share`` of all |S| x |T| cross pairs, or (stories of two or more) each story is
    the other's most linked one, at least ``min_cover`` of the members of each have a
    link into the other, and the median article of the two (``n_tokens``: words per
    article id; without it this reading is off) has at least ``min_tokens`` words.
    With ``new_ids`` (index mode) only pairs touching a new article are returned, as for
    compared pairs.
    """
    seen = {_key(p.a, p.b): p.relation for p in pairs if p.relation}
    members = [sorted(g.members) for g in stories if g.kind == "story"]
    story_of = {x: i for i, m in enumerate(members) for x in m}
    new = set(new_ids) if new_ids is not None else None
    out: list[Pair] = []

    def wanted(a: str, b: str) -> bool:
        return _key(a, b) not in seen and (new is None or a in new or b in new)

    support: dict[int, int] = defaultdict(int)  # observed same-event pairs inside each story
    for (a, b), rel in seen.items():
        if rel in _SAME_EVENT and a != b:
            if story_of.get(a) is not None and story_of.get(a) == story_of.get(b):
                support[story_of[a]] += 1
    for k, m in enumerate(members):
        if not 2 < len(m) <= max_story:  # a story of two is one observed pair already
            continue
        if new is None:
            todo: Iterable[tuple[int, int]] = itertools.combinations(range(len(m)), 2)
        else:  # only pairs naming a new article can be wanted: those, in the same order
            mine = [i for i, x in enumerate(m) if x in new]
            if not mine:
                continue
            todo = sorted({(min(i, j), max(i, j)) for i in mine for j in range(len(m)) if j != i})
        n_pairs = len(m) * (len(m) - 1) // 2
        for i, j in todo:
            if wanted(m[i], m[j]):
                out.append(Pair(m[i], m[j], "same_story", support[k] / n_pairs, 0.0, 0.0, basis="story"))

    links: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    for (a, b), rel in seen.items():
        if rel in _LINKS:
            sa, sb = story_of.get(a), story_of.get(b)
            if sa is not None and sb is not None and sa != sb:
                links[(min(sa, sb), max(sa, sb))].append((a, b))
    most_linked = _most_linked(links)
    for (i, j), observed in sorted(links.items()):
        si, sj = members[i], members[j]
        if len(si) > max_story or len(sj) > max_story:
            continue
        n, total = len(observed), len(si) * len(sj)
        if n < min_links:
            continue
        dense = n >= min_share * total
        if not dense and not (
            n_tokens is not None
            and min(len(si), len(sj)) >= 2
            and most_linked.get(i) == j
            and most_linked.get(j) == i
            and _covered(observed, si) >= min_cover
            and _covered(observed, sj) >= min_cover
            and statistics.median(n_tokens.get(x, 0) for x in si + sj) >= min_tokens
        ):
            continue
        for a in si:
            for b in sj:
                x, y = (a, b) if a < b else (b, a)
                if wanted(x, y):
                    out.append(Pair(x, y, "related", n / total, 0.0, 0.0, basis="storyline"))
    return out


def pivots(
    pairs: Iterable[Pair], langs: Mapping[str, str], min_cover: float = 0.6, max_partners: int = 50
) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Every pair (sorted ids) of texts in different languages that are each a compared
    ``translation`` of one third text with at least ``min_cover`` of both sides of both links:
    its (coverage of a, coverage of b, score) through the best such pivot.

    Each side's coverage is the lower of the two figures that bound it: x's share aligned to
    the pivot, and the pivot's share aligned to y (the part of x that can reach y through the
    pivot is no larger than either); the score is the lower of the two links' scores. The best
    pivot has the highest of the lower coverages, then score. A pivot of more than
    ``max_partners`` strong translations implies nothing: the work stays bounded.
    """
    strong: dict[str, list[tuple[str, float, float, float]]] = defaultdict(list)
    for p in pairs:
        if p.relation == "translation" and p.basis == "compared" and min(p.coverage_a, p.coverage_b) >= min_cover:
            strong[p.a].append((p.b, p.coverage_b, p.coverage_a, p.score))  # partner, its cover, pivot's, score
            strong[p.b].append((p.a, p.coverage_a, p.coverage_b, p.score))
    best: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    for pivot in sorted(strong):
        partners = sorted(strong[pivot])
        if len(partners) > max_partners:
            continue
        for (x, cx, pvx, sx), (y, cy, pvy, sy) in itertools.combinations(partners, 2):
            lx, ly = langs.get(x), langs.get(y)
            if not lx or not ly or same_language(lx, ly):
                continue
            a, b, ca, cb = (x, y, min(cx, pvy), min(cy, pvx)) if x < y else (y, x, min(cy, pvx), min(cx, pvy))
            cand = (min(ca, cb), min(sx, sy), ca, cb)
            if cand > best.get((a, b), (-1.0, -1.0, 0.0, 0.0)):
                best[(a, b)] = cand
    return {k: (ca, cb, score) for k, (_, score, ca, cb) in best.items()}


def pivot_pairs(
    pairs: list[Pair],
    langs: Mapping[str, str],
    new_ids: Collection[str] | None = None,
    min_cover: float = 0.6,
    max_partners: int = 50,
    found: Mapping[tuple[str, str], tuple[float, float, float]] | None = None,
) -> list[Pair]:
    """Translations implied through a third text (:func:`pivots`, or ``found`` as it gave), for
    pairs not compared into a relation themselves (those keep their own evidence, unless
    :func:`agree_with_pivots` speaks for them). ``langs``: language per id (same-language sisters
    are rewordings, not translations). With ``new_ids`` only pairs naming a new article are returned.
    """
    seen = {_key(p.a, p.b) for p in pairs if p.relation and p.basis == "compared"}
    new = set(new_ids) if new_ids is not None else None
    found = found if found is not None else pivots(pairs, langs, min_cover, max_partners)
    return [
        Pair(a, b, "translation", score, ca, cb, basis="pivot")
        for (a, b), (ca, cb, score) in sorted(found.items())
        if _key(a, b) not in seen and (new is None or a in new or b in new)
    ]


def agree_with_pivots(compared: list[Pair], found: Mapping[tuple[str, str], tuple[float, float, float]]) -> int:
    """A compared ``same_story`` or ``related`` pair of two sister translations (``found``: from
    :func:`pivots`) is a ``translation``, its own verdict kept in ``decided``, its passages and
    coverages its own; how many changed.

    Why: two translations of one story that each cover most of it report that story in the
    same sentences, whatever their own comparison could align (German and Japanese sisters of
    WMT24 tune aligned 0.16-0.25 by USE, both strong translations of their English source).
    """
    changed = 0
    for p in compared:
        if p.basis != "compared" or p.relation not in _LINKS:
            continue
        if (min(p.a, p.b), max(p.a, p.b)) in found:
            p.decided = p.decided or p.relation
            p.relation = "translation"
            changed += 1
    return changed


def _key(a: str, b: str) -> tuple[str, str]:
    """A pair's ids in order: one key whichever way round it was stored (a tuple is a quarter of a
    frozenset's memory, and an index's stories read every pair around them)."""
    return (a, b) if a <= b else (b, a)


def _most_linked(links: Mapping[tuple[int, int], list]) -> dict[int, int]:
    """Each story's most linked other story (ties go to the lower story number)."""
    best: dict[int, tuple[int, int]] = {}
    for (i, j), observed in sorted(links.items()):
        for x, y in ((i, j), (j, i)):
            if len(observed) > best.get(x, (0, -1))[0]:
                best[x] = (len(observed), y)
    return {x: y for x, (_, y) in best.items()}


def _covered(observed: list[tuple[str, str]], members: list[str]) -> float:
    """Share of a story's members that take part in at least one of the observed links."""
    inside = set(members)
    return len({x for pair in observed for x in pair if x in inside}) / len(members)
