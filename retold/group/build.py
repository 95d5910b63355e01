"""Families first (they settle directions and lend dates to undated copies), then stories."""

from __future__ import annotations

from collections.abc import Mapping

from retold.config import EVENT_FEATURES, TOPIC_FEATURES, Settings
from retold.group.agree import agree_with_stories
from retold.group.families import _gap_days, effective_dates, families
from retold.group.implied import agree_with_pivots, implied_pairs, pivot_pairs, pivots
from retold.group.stories import stories
from retold.model import Doc, Group, Pair


#: the features of a pair that grouping reads (families: edge strength; stories: the event
#: weight and its models; agreement: the date gap): a stored pair read for grouping only
#: (``Index.pair_links``) keeps these, a fraction of its evidence
LINK_FEATURES = frozenset(
    {"verbatim_a", "verbatim_b", "aligned_sim", "date_gap_days", "encoded", "doc_cos", "matched_a", "matched_b",
     "names_overlap"}
    | {k for k in TOPIC_FEATURES + EVENT_FEATURES if k != "matched_min"}
)


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


__all__ = ["build_groups", "stories_say", "LINK_FEATURES"]
