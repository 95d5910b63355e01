"""candidates: the pairs worth comparing, never all pairs (``find.find_candidates``)."""

from retold.candidates.find import (  # noqa: F401
    anchor_candidates,
    ann_candidates,
    find_candidates,
    lexical_candidates,
    merge,
    rescue_candidates,
    static_candidates,
    word_candidates,
)

__all__ = ["anchor_candidates", "ann_candidates", "find_candidates", "lexical_candidates", "merge", "rescue_candidates", "static_candidates", "word_candidates"]
