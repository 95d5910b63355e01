"""Make each compared pair's story-level relation agree with the stories.

A pair decides ``same_story`` or ``related`` from its own two texts; a story comes from
every pair around those two texts at once (Leiden over the whole graph). Where the two
disagree the stories are the better judge: in the ECB+ tune split, of the pairs that a
pair decided ``related`` but Leiden put in one story, 72% are one event, and of those it
decided ``same_story`` across two stories, 72% are two events. A reader who sees two
articles in one story also expects their pair to say so.

Only the two story-level relations change; reuse and translation are about the texts
themselves and stand. The pair keeps its own verdict in ``Pair.decided``.
"""

from __future__ import annotations

from retold.model import Group, Pair

#: the relations that a story settles; reuse and translation are facts about the two texts
STORY_LEVEL = frozenset({"same_story", "related"})


def agree_with_stories(pairs: list[Pair], stories: list[Group], max_gap_days: float | None = None) -> int:
    """Relabel compared same_story/related pairs by story membership; return how many changed.

    Two articles in one story are ``same_story``; in two stories, ``related``. A changed pair
    records its own decision in ``decided``. Pairs naming an article in no story are left alone,
    and so is a pair published more than ``max_gap_days`` apart: no story spans that long.
    """
    story_of = {m: g.id for g in stories if g.kind == "story" for m in g.members}
    changed = 0
    for p in pairs:
        if p.relation not in STORY_LEVEL or p.basis != "compared":
            continue
        sa, sb = story_of.get(p.a), story_of.get(p.b)
        if sa is None or sb is None:
            continue
        want = "same_story" if sa == sb else "related"
        gap = p.features.date_gap_days
        if want == "same_story" and max_gap_days is not None and gap is not None and gap > max_gap_days:
            continue
        if want != p.relation:
            p.decided = p.decided or p.relation
            p.relation = want
            changed += 1
    return changed


__all__ = ["agree_with_stories", "STORY_LEVEL"]
