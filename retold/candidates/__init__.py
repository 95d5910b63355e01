"""candidates: the few pairs worth comparing, found without comparing all pairs.

Lexical signatures (exact hash, MinHash LSH, containment fingerprints) find copies;
article-vector neighbours and shared rare anchors find rewrites, translations and
other reports of the same story. Every source bounds its work per article.
"""

from __future__ import annotations

import numpy as np

from retold.candidates.lexical import lexical_candidates
from retold.candidates.semantic import anchor_candidates, ann_candidates
from retold.config import Settings
from retold.model import Doc


def merge(*parts: dict[tuple[int, int], set[str]]) -> dict[tuple[int, int], set[str]]:
    out: dict[tuple[int, int], set[str]] = {}
    for part in parts:
        for k, tags in part.items():
            out.setdefault(k, set()).update(tags)
    return out


def find_candidates(docs: list[Doc], is_new: np.ndarray, settings: Settings) -> dict[tuple[int, int], set[str]]:
    """Candidate pairs (i < j, at least one new) with the signals that proposed them."""
    parts = [lexical_candidates(docs, is_new, settings)]
    if settings.semantic:
        parts.append(ann_candidates(docs, is_new, settings))
        parts.append(anchor_candidates(docs, is_new, settings))
    return merge(*parts)


__all__ = ["find_candidates", "lexical_candidates", "ann_candidates", "anchor_candidates", "merge"]
