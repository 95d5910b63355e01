"""decide: a relation, a score and, where it can be told, a direction for each compared pair.

``pair.decide_pair`` turns evidence into a Pair by the rules of ``relation.py`` (copies in
``copy.py``, direction in ``direction.py``); ``flow.py`` is the whole per-pair flow."""

from retold.decide.pair import (  # noqa: F401
    Thresholds,
    classify,
    decide_pair,
    redecide,
)

__all__ = ["Thresholds", "classify", "decide_pair", "redecide"]
