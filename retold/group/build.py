"""Families first (they settle directions and lend dates to undated copies), then stories."""

from __future__ import annotations

from retold.config import Settings
from retold.group.families import _gap_days, effective_dates, families
from retold.group.stories import stories
from retold.model import Doc, Group, Pair


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


__all__ = ["build_groups"]
