"""decide: a relation, a score and, where it can be told, a direction for each compared pair."""

from __future__ import annotations

from retold.compare import Evidence
from retold.config import Settings
from retold.decide.direction import pair_direction
from retold.config import Thresholds
from retold.decide.relation import classify
from retold.model import Doc, Features, Pair, Passage

#: passages kept of an independent report (same_story, related): shared facts, not reuse
STORY_PASSAGES = 50


def _coverages(f: Features) -> tuple[float, float]:
    """Share of each side covered: verbatim runs, or those plus aligned sentences (by the
    encoder, by names, by shared words within one language, or by the second model where it
    aligned the pair itself)."""
    side_a = (f.verbatim_a, f.aligned_a, f.words_aligned_a, f.second_aligned_a, f.reworded_a)
    side_b = (f.verbatim_b, f.aligned_b, f.words_aligned_b, f.second_aligned_b, f.reworded_b)
    return max(v or 0.0 for v in side_a), max(v or 0.0 for v in side_b)


def shown_passages(relation: str | None, passages: list[Passage], keep_unrelated: bool) -> list[Passage]:
    """The passages a pair shows: all of them for reuse (and for a pair kept unrelated, for a
    later pass), the first ``STORY_PASSAGES`` of an independent report (same_story, related):
    shared facts or quotes, not reuse, kept as evidence all the same (a reader wants to see what
    the two have in common)."""
    story_level = relation in (None, "same_story", "related", "unrelated")
    return passages if not story_level or keep_unrelated else passages[:STORY_PASSAGES]


def redecide(a: Doc, b: Doc, pair: Pair, thresholds: Thresholds) -> Pair | None:
    """The pair decided again from its (since extended) features; None if now unrelated."""
    relation, score = classify(pair.features, thresholds)
    if relation is None:
        return None
    pair.relation, pair.score = relation, score
    pair.coverage_a, pair.coverage_b = _coverages(pair.features)
    pair.direction = pair_direction(a, b, relation, pair.features)
    return pair


def decide_pair(
    a: Doc,
    b: Doc,
    evidence: Evidence,
    settings: Settings,
    keep_unrelated: bool = False,
) -> Pair | None:
    """The pair with its relation, or None when unrelated (unless ``keep_unrelated``)."""
    f = evidence.features
    relation, score = classify(f, settings.thresholds)
    if relation is None and not keep_unrelated:
        return None
    cov_a, cov_b = _coverages(f)
    return Pair(
        a=a.id,
        b=b.id,
        relation=relation or "unrelated",
        score=score,
        coverage_a=cov_a,
        coverage_b=cov_b,
        direction=pair_direction(a, b, relation, f) if relation else None,
        passages=shown_passages(relation, evidence.passages, keep_unrelated),
        features=f,
    )


__all__ = ["decide_pair", "redecide", "classify", "Thresholds"]
