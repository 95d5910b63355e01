"""group: families of reuse (each with its origin, ``families.py``) and stories (articles about one
event, ``stories.py``); ``build.build_groups`` makes both."""

from retold.graphs import components  # noqa: F401 - the union-find families are made with
from retold.group.build import build_groups, stories_say
from retold.group.families import edge_strength, effective_dates, families, family_origin
from retold.group.stories import LONER_MIN_LINKS, attach_loners, same_event_weight, stories

__all__ = [
    "LONER_MIN_LINKS", "attach_loners", "build_groups", "stories_say", "components", "edge_strength", "effective_dates",
    "families", "family_origin", "same_event_weight", "stories",
]
