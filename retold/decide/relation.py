"""From evidence to a relation: explicit rules over a handful of features, thresholds fitted.

Why rules and not one opaque classifier: each relation has a clear signature a person
can check in the evidence (see docs/DECISIONS.md):

- copies (duplicate / near_duplicate / partial): verbatim coverage each way (decide/copy.py);
- rewrite: most content of BOTH sides aligns sentence by sentence, in order, little verbatim;
- partial, paraphrased: enough sentences of ONE side reworded from the other (same meaning
  and many of the same content words), in order (compare/reworded.py);
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
from the tune split only) and reach here as ``Settings.thresholds`` (``retold.config``).
"""

from __future__ import annotations

import math

from collections.abc import Mapping

from retold.config import EVENT_FEATURES, TOPIC_FEATURES, Thresholds
from retold.decide.copy import copy_relation
from retold.model import Features
from retold.sign.second import cuts

#: a feature added later, read from the one it refines when a pair stored by an older
#: version lacks it (an index keeps its pairs' features)
_FALLBACK = {"names_contained": "names_overlap"}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def as_features(f: Features | Mapping[str, float]) -> Features:
    """``f`` as typed evidence (a ``features`` object read back or written by hand is converted)."""
    return f if isinstance(f, Features) else Features.from_dict(f)


def feature_vector(f: Features | Mapping[str, float], keys: tuple[str, ...]) -> list[float]:
    """The named features of ``f`` in the order of ``keys`` (0.0 where not computed)."""
    f = as_features(f)
    out = []
    for k in keys:
        if k == "matched_min":
            v: float | None = f.matched_min
        else:
            v = f[k] if k in f else None
            if v is None and k in _FALLBACK and _FALLBACK[k] in f:
                v = f[_FALLBACK[k]]
        out.append(float(v) if v is not None else 0.0)
    return out


def story_probabilities(f: Features | Mapping[str, float], t: Thresholds) -> tuple[float, float]:
    """(P(related at all), P(same event | related))."""
    x = feature_vector(f, TOPIC_FEATURES)
    p_related = _sigmoid(sum(w * v for w, v in zip(t.related_weights, x)) + t.related_bias)
    y = feature_vector(f, EVENT_FEATURES)
    p_event = _sigmoid(sum(w * v for w, v in zip(t.event_weights, y)) + t.event_bias)
    return p_related, p_event


def classify(f: Features | Mapping[str, float], t: Thresholds | None = None) -> tuple[str | None, float]:
    """(relation or None, score in [0, 1]) for one pair's features, under ``t`` (the shipped
    thresholds when None; a scan passes ``Settings.thresholds``)."""
    t = t if t is not None else Thresholds.fitted()
    f = as_features(f)
    copy = copy_relation(f.verbatim_a or 0.0, f.verbatim_b or 0.0, t, jaccard=f.jaccard, containment=f.containment)
    return decide(f, t, copy, story_probabilities(f, t))


def decide(
    f: Features | Mapping[str, float], t: Thresholds, copy: tuple[str, float] | None, probs: tuple[float, float]
) -> tuple[str | None, float]:
    """The rules, given the pair's copy relation and story probabilities.

    Split from :func:`classify` so that a threshold search can compute those two once
    per pair (they do not depend on the rule thresholds) and replay only the rules.
    """
    f = as_features(f)
    if copy is not None and copy[0] != "partial":
        return copy
    if f.encoded is False:
        return _classify_by_names(f, t, copy)

    al_min = f.aligned_min
    ordered = (f.order or 0.0) >= t.min_order and (f.aligned_sim or 0.0) >= t.min_aligned_sim
    if ordered:
        if f.same_lang is False:
            if al_min >= t.translation_min_aligned:
                return "translation", min(1.0, 0.5 + 0.5 * al_min)
        elif al_min >= t.rewrite_min_aligned and _enough_rewording(f, t):
            return "rewrite", min(1.0, 0.5 + 0.5 * al_min)
    if copy is not None:  # verbatim reuse of a part, not the whole reworded
        return copy
    reworded = _reworded_partial(f, t)
    if reworded is not None:
        return reworded

    p_related, p_event = probs
    if p_related < t.related_min:
        return None, p_related
    gap = f.date_gap_days
    if p_event >= t.same_story_min and (gap is None or gap <= t.max_story_gap_days):
        return "same_story", p_related * p_event
    return "related", p_related * (1.0 - p_event) if p_event < t.same_story_min else p_related


def _enough_rewording(f: Features, t: Thresholds) -> bool:
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
    if (f.aligned_sim or 0.0) < t.paraphrase_min_sim:
        return False
    return f.aligned_words is None or f.aligned_words >= t.one_line_min_words


def _reworded_partial(f: Features, t: Thresholds) -> tuple[str, float] | None:
    """``partial`` for paraphrased partial reuse (compare/reworded.py): within one language,
    enough sentences of one side reworded from the other, in order, to cover
    ``reworded_min_coverage`` of it with its verbatim passages. One side suffices, as for a
    verbatim partial: a newspaper story that rewrites three paragraphs of a wire story and adds
    its own, or a roundup that paraphrases one paragraph of a report.

    Independent reports of one event are kept out by what a reworded sentence must keep: its
    meaning (a cosine well above the rewrite's MRPC cut) *and* its content words.
    """
    if f.same_lang is False or f.reworded_n is None or f.reworded_n < t.reworded_min_pairs:
        return None
    hi = max(f.reworded_a or 0.0, f.reworded_b or 0.0)
    if hi < t.reworded_min_coverage:
        return None
    return "partial", min(1.0, hi)


def _classify_by_names(f: Features, t: Thresholds, copy: tuple[str, float] | None) -> tuple[str | None, float]:
    """The same decisions from names and numbers only, for languages the encoder lacks."""
    names = f.names_overlap or 0.0
    al_min = f.aligned_min
    # few shared names, but the second model finds the aligned sentences say the same
    vouched = (f.second_contrast or 0.0) >= cuts(t).min_contrast
    # a pair that only the second model proposed shares too little for names to vouch for it
    named = names >= t.anchor_min_names and not f.rescued
    same_lang = f.same_lang is not False
    # within one language the alignment by names AND content words (compare/anchors.word_alignment)
    # must reach the names path's own bar too: one name repeated in two reviews of one product,
    # with the gaps filled by length, aligned 0.76 of texts whose words align 0.12 (WMT22 short
    # texts tune: 39 false rewrites, none of the 495 true ones in three corpora lost)
    words_min = min(f.words_aligned_a or 0.0, f.words_aligned_b or 0.0)
    words_agree = not same_lang or f.words_aligned_a is None or words_min >= t.anchor_min_aligned
    # the names' alignment vouched for by the second model's contrast over the names' own
    # pairs: for a rescued pair ``second_contrast`` is over the pairs the second model chose
    # itself, which that choice inflates for any two texts on one topic (the bundled sample:
    # a follow-up whose names align 0.35 of its source's Croatian translation scores 0.29 over
    # the second model's pairs, 0.12 over the names'), so there ``names_contrast`` is read
    names_vouched = ((f.names_contrast if f.rescued else f.second_contrast) or 0.0) >= cuts(t).min_contrast
    # within one language, words that do not agree may still be a rewording whose words changed
    # (a machine translation against a human one, in a language that inflects): then the second
    # model must find the names' aligned sentences alike in meaning (evidence.names_align_words_do_not)
    reworded_meaning = (
        same_lang
        and not words_agree
        and words_min >= t.anchor_min_words_changed
        and f.second_contrast is not None
        and names_vouched
    )
    if (f.order or 0.0) >= t.min_order and al_min >= t.anchor_min_aligned and (
        ((named or names_vouched) and words_agree) or reworded_meaning
    ):
        rel = "rewrite" if same_lang else "translation"
        return rel, min(1.0, 0.5 + 0.25 * (al_min + names))
    # within one language: most sentences of both sides share their content words, in order,
    # as a rewrite's sentences align by meaning
    if words_min >= t.rewrite_min_aligned and same_lang:
        return "rewrite", min(1.0, 0.5 + 0.5 * words_min)
    # no names to pin an alignment on: the second model aligned the texts itself; with no
    # other evidence, "most sentences of both sides align" must hold, as for a rewrite
    second_min = min(f.second_aligned_a or 0.0, f.second_aligned_b or 0.0)
    if second_min >= t.rewrite_min_aligned and vouched and not same_lang:
        return "translation", min(1.0, 0.5 + 0.5 * second_min)
    if copy is not None:
        return copy
    reworded = _reworded_partial(f, t)
    if reworded is not None:
        return reworded
    gap = f.date_gap_days
    if names >= t.anchor_story_names and (gap is None or gap <= t.max_story_gap_days):
        return "same_story", min(1.0, names)
    if names >= t.anchor_related_names:
        return "related", names
    return None, names
