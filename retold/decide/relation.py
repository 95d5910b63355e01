"""From evidence to a relation: explicit rules over a handful of features, thresholds fitted.

Why rules and not one opaque classifier: each relation has a clear signature a person
can check in the evidence (see docs/DECISIONS.md):

- copies (duplicate / near_duplicate / partial): verbatim coverage each way (decide/copy.py);
- rewrite: most content of BOTH sides aligns sentence by sentence, in order, little verbatim;
- translation: the same, across languages;
- same_story vs related vs nothing, in two steps, each a small logistic model fitted on
  the tune split: a *topic* model (article cosine, shared rare names, sentences with a
  close match anywhere) says whether the two are related at all; an *event* model, fitted
  only on pairs of one topic, says whether they report the same event. The event model
  leaves article cosine out on purpose: cosine measures the topic, and runs higher for
  long articles, while the rare names an event brings (a village, an official, a figure)
  tell one event of a storyline from the next. Publication dates far apart make it
  ``related`` whatever the text says.

Thresholds live in ``retold/data/thresholds.json`` (written by ``scripts/calibrate.py``
from the tune split only); the defaults below are used when that file is absent.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from importlib import resources

from retold.decide.copy import copy_relation

TOPIC_FEATURES = ("doc_cos", "names_overlap", "names_jaccard", "matched_min", "best_mean", "words_overlap", "words_jaccard")
EVENT_FEATURES = ("names_contained", "names_jaccard", "matched_min", "best_mean", "words_jaccard")
#: a feature added later, read from the one it refines when a pair stored by an older
#: version lacks it (an index keeps its pairs' features)
_FALLBACK = {"names_contained": "names_overlap"}


@dataclass
class Thresholds:
    # reuse across sentences (share of content characters aligned, each side)
    rewrite_min_aligned: float = 0.5
    translation_min_aligned: float = 0.45
    #: share of order-free matches that the monotone alignment keeps: a rewrite keeps the order
    min_order: float = 0.6
    min_aligned_sim: float = 0.6
    #: cosine at which two sentences say the same thing (MRPC train, the accuracy-best cut).
    #: The sentences a rewrite aligns must reach it on average: independent reports of one
    #: event align in order too, but sentence by sentence they say similar facts, not the
    #: same thing (see ``_enough_rewording``)
    paraphrase_min_sim: float = 0.7
    #: share of words (Jaccard) the line pair of a one-line rewrite must have in common:
    #: there a single cosine is all the alignment says (see ``_enough_rewording``)
    one_line_min_words: float = 0.35
    # story level: P(related at all) over TOPIC_FEATURES, then P(same event | related) over EVENT_FEATURES
    related_weights: list[float] = field(default_factory=lambda: [6.7, 6.0, 2.2, 6.3, 10.9, 2.0, 2.0])
    related_bias: float = -8.9
    event_weights: list[float] = field(default_factory=lambda: [5.7, 5.7, 2.4, 0.4, 1.0])
    event_bias: float = -3.7
    same_story_min: float = 0.5
    related_min: float = 0.5
    #: reports published further apart than this are not about the same event: news of one
    #: event comes within days; a week later it is a new development (a prior, not fitted:
    #: no labelled data here carries dates)
    max_story_gap_days: float = 4.0
    #: CPM resolution for stories: least mean P(same event) over the pairs of a story
    story_resolution: float = 0.4
    # languages the encoder does not cover: sentences aligned by shared names and numbers
    anchor_min_aligned: float = 0.5
    anchor_min_names: float = 0.45
    anchor_story_names: float = 0.45
    anchor_related_names: float = 0.25
    #: the second model's contrast (compare/verify.py) that stands in for shared names
    second_min_contrast: float = 0.05

    @classmethod
    def from_dict(cls, d: dict) -> "Thresholds":
        names = {f.name for f in fields(cls)}
        t = cls(**{k: v for k, v in d.items() if k in names})
        for attr, keys in (("related_weights", TOPIC_FEATURES), ("event_weights", EVENT_FEATURES)):
            if len(getattr(t, attr)) != len(keys):
                raise ValueError(
                    f"thresholds: {attr} has {len(getattr(t, attr))} weights for {len(keys)} features {keys}; "
                    "re-run scripts/calibrate.py"
                )
        return t

    def to_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=1)
def default_thresholds() -> Thresholds:
    try:
        text = resources.files("retold").joinpath("data/thresholds.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return Thresholds()
    return Thresholds.from_dict(json.loads(text))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def feature_vector(f: dict[str, float], keys: tuple[str, ...]) -> list[float]:
    g = dict(f)
    g["matched_min"] = min(f.get("matched_a", 0.0), f.get("matched_b", 0.0))
    for k, old in _FALLBACK.items():
        if k not in g and old in g:
            g[k] = g[old]
    return [float(g.get(k, 0.0)) for k in keys]


def story_probabilities(f: dict[str, float], t: Thresholds) -> tuple[float, float]:
    """(P(related at all), P(same event | related))."""
    x = feature_vector(f, TOPIC_FEATURES)
    p_related = _sigmoid(sum(w * v for w, v in zip(t.related_weights, x)) + t.related_bias)
    y = feature_vector(f, EVENT_FEATURES)
    p_event = _sigmoid(sum(w * v for w, v in zip(t.event_weights, y)) + t.event_bias)
    return p_related, p_event


def classify(f: dict[str, float], t: Thresholds | None = None) -> tuple[str | None, float]:
    """(relation or None, score in [0, 1]) for one pair's features."""
    t = t or default_thresholds()
    copy = copy_relation(f["verbatim_a"], f["verbatim_b"], jaccard=f.get("jaccard"), containment=f.get("containment"))
    return decide(f, t, copy, story_probabilities(f, t))


def decide(
    f: dict[str, float], t: Thresholds, copy: tuple[str, float] | None, probs: tuple[float, float]
) -> tuple[str | None, float]:
    """The rules, given the pair's copy relation and story probabilities.

    Split from :func:`classify` so that a threshold search can compute those two once
    per pair (they do not depend on the rule thresholds) and replay only the rules.
    """
    if copy is not None and copy[0] != "partial":
        return copy
    if f.get("encoded", 1.0) < 0.5:
        return _classify_by_names(f, t, copy)

    al_a, al_b = f.get("aligned_a", 0.0), f.get("aligned_b", 0.0)
    al_min = min(al_a, al_b)
    ordered = f.get("order", 0.0) >= t.min_order and f.get("aligned_sim", 0.0) >= t.min_aligned_sim
    if ordered:
        if f.get("same_lang", 1.0) < 0.5:
            if al_min >= t.translation_min_aligned:
                return "translation", min(1.0, 0.5 + 0.5 * al_min)
        elif al_min >= t.rewrite_min_aligned and _enough_rewording(f, t):
            return "rewrite", min(1.0, 0.5 + 0.5 * al_min)
    if copy is not None:  # verbatim reuse of a part, not the whole reworded
        return copy

    p_related, p_event = probs
    if p_related < t.related_min:
        return None, p_related
    gap = f.get("date_gap_days")
    if p_event >= t.same_story_min and (gap is None or gap <= t.max_story_gap_days):
        return "same_story", p_related * p_event
    return "related", p_related * (1.0 - p_event) if p_event < t.same_story_min else p_related


def _enough_rewording(f: dict[str, float], t: Thresholds) -> bool:
    """Whether the aligned sentences are evidence enough of one text reworded from another:
    on average they must be paraphrases of each other (cosine ≥ ``paraphrase_min_sim``, the
    MRPC cut), not just sentences about the same facts.

    Order alone is not enough. Independent reports of one event written in the same
    inverted-pyramid order align four or five sentences in order at cosine 0.65-0.72 and
    share no verbatim text (ECB+ tune: 6 of 18 false rewrites); machine translations of one
    source, or a spun copy, align at 0.74-0.95 (WMT22 tune, 5th-95th percentile). A single
    aligned pair (one-line texts) is the extreme case: it has no order to keep at all.

    There the words must show the reuse too. Two briefs of one fact written apart ("Matt
    Smith named the new Doctor" / "Smith, 26, will play the Time Lord") align at cosine
    0.73-0.93 while sharing a quarter of their words; a line spun or machine-translated
    from another keeps half or more (ECB+ briefs and WMT22 short texts, tune). Only such
    pairs carry ``aligned_words`` (``compare_docs``); the others (longer alignments,
    unspaced scripts, pairs stored by an older version) are judged on the cosine alone.
    """
    if f.get("aligned_sim", 0.0) < t.paraphrase_min_sim:
        return False
    return f.get("aligned_words", 1.0) >= t.one_line_min_words


def _classify_by_names(f: dict[str, float], t: Thresholds, copy: tuple[str, float] | None) -> tuple[str | None, float]:
    """The same decisions from names and numbers only, for languages the encoder lacks."""
    names = f.get("names_overlap", 0.0)
    al_min = min(f.get("aligned_a", 0.0), f.get("aligned_b", 0.0))
    # few shared names, but the second model finds the aligned sentences say the same
    vouched = f.get("second_contrast", 0.0) >= t.second_min_contrast
    # a pair that only the second model proposed shares too little for names to vouch for it
    named = names >= t.anchor_min_names and f.get("rescued", 0.0) < 0.5
    same_lang = f.get("same_lang", 1.0) >= 0.5
    # within one language the alignment by names AND content words (compare/anchors.word_alignment)
    # must reach the names path's own bar too: one name repeated in two reviews of one product,
    # with the gaps filled by length, aligned 0.76 of texts whose words align 0.12 (WMT22 short
    # texts tune: 39 false rewrites, none of the 495 true ones in three corpora lost)
    words_min = min(f.get("words_aligned_a", 0.0), f.get("words_aligned_b", 0.0))
    words_agree = not same_lang or "words_aligned_a" not in f or words_min >= t.anchor_min_aligned
    if f.get("order", 0.0) >= t.min_order and al_min >= t.anchor_min_aligned and (named or vouched) and words_agree:
        rel = "rewrite" if same_lang else "translation"
        return rel, min(1.0, 0.5 + 0.25 * (al_min + names))
    # within one language: most sentences of both sides share their content words, in order,
    # as a rewrite's sentences align by meaning
    if words_min >= t.rewrite_min_aligned and same_lang:
        return "rewrite", min(1.0, 0.5 + 0.5 * words_min)
    # no names to pin an alignment on: the second model aligned the texts itself; with no
    # other evidence, "most sentences of both sides align" must hold, as for a rewrite
    second_min = min(f.get("second_aligned_a", 0.0), f.get("second_aligned_b", 0.0))
    if second_min >= t.rewrite_min_aligned and vouched and not same_lang:
        return "translation", min(1.0, 0.5 + 0.5 * second_min)
    if copy is not None:
        return copy
    gap = f.get("date_gap_days")
    if names >= t.anchor_story_names and (gap is None or gap <= t.max_story_gap_days):
        return "same_story", min(1.0, names)
    if names >= t.anchor_related_names:
        return "related", names
    return None, names
