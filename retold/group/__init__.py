"""group: families of reuse (each with its origin, ``families.py``) and stories (articles about one
event, ``stories.py``), both computed over the pairs as columns (``columns.py``);
``build.build_groups`` makes both, ``held.HeldGroups`` keeps them between index adds."""

from retold.graphs import components  # noqa: F401 - the union-find the candidate groups are made with
from retold.group.build import build_groups, stories_say
from retold.group.families import edge_strength, families
from retold.group.stories import LONER_MIN_LINKS, attach_loners, same_event_weight, stories

__all__ = [
    "LONER_MIN_LINKS", "attach_loners", "build_groups", "stories_say", "components", "edge_strength",
    "families", "same_event_weight", "stories",
]
