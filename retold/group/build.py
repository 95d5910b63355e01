"""Families first (they settle directions and lend dates to undated copies), then stories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from retold.config import Settings
from retold.decide.direction import _naive
from retold.group.agree import agree_with_stories
from retold.group.columns import LINK_FEATURES, Links, group_links, write_back
from retold.group.implied import agree_with_pivots, implied_pairs, pivot_pairs, pivots
from retold.model import Doc, Group, Pair


def build_groups(docs: dict[str, Doc], pairs: list[Pair], settings: Settings) -> list[Group]:
    """Families first (they settle directions and lend dates to undated copies), then stories.

    A same_story pair whose (family) dates lie further apart than a story allows is
    turned into ``related`` here: only now are the family dates known. The pairs are grouped
    as columns (``retold.group.columns``) and relabelled in place.
    """
    ids = sorted(set(docs).union(*((p.a, p.b) for p in pairs)))
    links = Links.from_pairs(pairs, {x: i for i, x in enumerate(ids)})
    grouping = group_links(ids, published_of(docs, ids), np.array([x in docs for x in ids], dtype=bool), links, settings)
    write_back(pairs, links, grouping)
    return grouping.families + grouping.stories


def published_of(docs: Mapping[str, Doc], ids: Sequence[str]) -> list[datetime | None]:
    """Each article's date as a naive UTC datetime (None where undated or not in ``docs``).

    A mapping with a ``published(id)`` method (``retold.index.incremental.DatedDocs``, every
    indexed doc) answers without making a Doc per article."""
    date = getattr(docs, "published", None)
    if not callable(date):
        def date(x: str) -> datetime | None:
            return docs[x].article.published
    out: list[datetime | None] = []
    for x in ids:
        d = date(x) if x in docs else None
        out.append(_naive(d) if d is not None else None)
    return out


def stories_say(
    groups: list[Group],
    compared: list[Pair],
    all_pairs: list[Pair],
    n_tokens: Mapping[str, int],
    settings: Settings,
    new_ids: set[str] | None = None,
    langs: Mapping[str, str] | None = None,
) -> tuple[list[Pair], int]:
    """After the groups: the compared pairs take the relation their stories give (in place,
    ``agree_with_stories``), and the pairs the stories imply are made (``implied_pairs``:
    those naming a new article only, when ``new_ids`` is given), translations through a third
    text among them (``pivot_pairs``; ``langs``: each article's language, without which none are
    made). Returns (implied, agreed).

    One function for a scan and for an index export, so that an export reports what a scan
    of the same articles does.
    """
    if not settings.semantic:
        return [], 0
    story_groups = [g for g in groups if g.kind == "story"]
    agreed = agree_with_stories(compared, story_groups, settings.thresholds.max_story_gap_days)
    if not settings.implied_pairs:
        return [], agreed
    # translations through a third text first: the stories would call those pairs same_story
    pivot: list[Pair] = []
    if langs is not None:
        found = pivots(all_pairs, langs, settings.thresholds.pivot_min_coverage)
        agreed += agree_with_pivots(compared, found)
        pivot = pivot_pairs(all_pairs, langs, new_ids, found=found)
    implied = implied_pairs(story_groups, all_pairs + pivot, new_ids, n_tokens=n_tokens)
    return pivot + implied, agreed


__all__ = ["build_groups", "stories_say", "published_of", "LINK_FEATURES"]
