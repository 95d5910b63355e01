"""candidates: the few pairs worth comparing, found without comparing all pairs.

Lexical signatures (exact hash, MinHash LSH, containment fingerprints) find copies;
article-vector neighbours and shared rare anchors find rewrites, translations and
other reports of the same story. Every source bounds its work per article.
"""

from __future__ import annotations

import numpy as np

from retold.candidates.lexical import lexical_candidates
from retold.candidates.rescue import rescue_candidates
from retold.candidates.semantic import anchor_candidates, ann_candidates, static_candidates, word_candidates
from retold.config import Settings
from retold.model import Doc
from retold.progress import Progress


def merge(*parts: dict[tuple[int, int], set[str]]) -> dict[tuple[int, int], set[str]]:
    out: dict[tuple[int, int], set[str]] = {}
    for part in parts:
        for k, tags in part.items():
            out.setdefault(k, set()).update(tags)
    return out


def find_candidates(
    docs: list[Doc],
    is_new: np.ndarray,
    settings: Settings,
    stats: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> dict[tuple[int, int], set[str]]:
    """Candidate pairs (i < j, at least one new) with the signals that proposed them.

    The cheap signals run first; texts they leave without any partner in another language
    then get one more, slower chance (``rescue.py``), when the second opinion is on.
    """
    parts = [lexical_candidates(docs, is_new, settings)]
    if settings.semantic:
        parts.append(ann_candidates(docs, is_new, settings))
        parts.append(anchor_candidates(docs, is_new, settings))
        parts.append(word_candidates(docs, is_new, settings))
        if settings.second_opinion:
            parts.append(static_candidates(docs, is_new, settings))
    found = merge(*parts)
    if settings.semantic and settings.second_opinion:
        found = merge(found, rescue_candidates(docs, is_new, found, settings, stats, progress))
    return found


__all__ = ["find_candidates", "lexical_candidates", "ann_candidates", "static_candidates", "anchor_candidates", "word_candidates", "rescue_candidates", "merge"]
