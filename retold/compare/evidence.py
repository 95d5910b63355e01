"""compare: the evidence for one candidate pair: aligned passages and the numbers that decide.

Verbatim passages come from token runs (``verbatim.py``); paraphrased and translated
passages from the monotone sentence alignment (``align.py``). Coverage is measured in
characters of content (boilerplate excluded) on each side, over the union of passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from retold.clean.lang import NO_WORD_SPACES, same_language, written_language
from retold.compare.align import Alignment, align
from retold.compare.anchors import anchor_align, word_alignment
from retold.compare.reworded import meaning_matrix, reworded_pairs
from retold.compare.verbatim import verbatim_passages
from retold.compare.verify import cuts, e5_alignment, lead_match, translation_contrast
from retold.config import Settings, Thresholds
from retold.ingest.dates import comparable
from retold.model import Doc, Features, Passage, content_length
from retold.sign.minhash import jaccard_estimate, shingle_overlap
from retold.sign.names import names_contained, names_overlap, words_overlap
from retold.sign.second import cheap

#: verbatim coverage of both sides from which the shingle Jaccard is counted, not estimated:
#: there it decides duplicate vs near_duplicate (decide/copy.py), and the pairs are few
EXACT_JACCARD_COVERAGE = 0.9


@dataclass
class Evidence:
    passages: list[Passage]
    features: Features = field(default_factory=Features)
    alignment: Alignment | None = None


def _span(doc: Doc, i: int) -> tuple[int, int]:
    """Character span of sentence ``i`` of ``doc``."""
    return int(doc.sent_spans[i, 0]), int(doc.sent_spans[i, 1])


def _spans(a: Doc, b: Doc, pairs: Sequence[tuple[int, int, float]]) -> list[tuple[tuple[int, int], tuple[int, int], float]]:
    """Aligned sentence pairs (sentence numbers, similarity) as character spans of each side."""
    return [(_span(a, i), _span(b, j), s) for i, j, s in pairs]


def union_length(intervals: list[tuple[int, int]]) -> int:
    """Total length covered by a set of [start, end) intervals."""
    if not intervals:
        return 0
    total = 0
    cur_s, cur_e = None, None
    for s, e in sorted(intervals):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    total += cur_e - cur_s
    return total


def coverage(doc: Doc, intervals: list[tuple[int, int]]) -> float:
    n = content_length(doc)
    return min(1.0, union_length(intervals) / n) if n else 0.0


def quote_share(doc: Doc) -> np.ndarray:
    """Per sentence: share of its tokens inside quotation marks; cached on the doc."""
    cached = doc.__dict__.get("_quote_share")
    if cached is not None:
        return cached
    n = len(doc.sent_spans)
    if not doc.n_tokens:
        out = np.zeros(n, dtype=np.float32)
    else:
        tot = np.bincount(doc.tok_sent, minlength=n).astype(np.float32)
        q = np.bincount(doc.tok_sent, weights=doc.tok_quoted.astype(np.float32), minlength=n)
        out = np.divide(q, tot, out=np.zeros(n, dtype=np.float32), where=tot > 0)
    doc.__dict__["_quote_share"] = out
    return out


def _overlap(x: np.ndarray | None, y: np.ndarray | None) -> tuple[float, float]:
    """(overlap coefficient, Jaccard) of two sets of hashes."""
    if x is None or y is None or not len(x) or not len(y):
        return 0.0, 0.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / min(len(x), len(y)), inter / (len(x) + len(y) - inter)


def sentence_words(doc: Doc, i: int) -> np.ndarray:
    """The distinct word hashes of sentence ``i`` (tokens are stored in text order)."""
    lo, hi = np.searchsorted(doc.tok_sent, [i, i + 1])
    return np.unique(doc.tok_hash[lo:hi])


def shared_words(a: Doc, b: Doc, i: int, j: int) -> float:
    """Jaccard of the word sets of sentence ``i`` of ``a`` and sentence ``j`` of ``b``.

    Why: where two texts align on one line pair, the alignment is a single cosine, and two
    independent briefs of one fact ("Smith named the next Doctor" / "Matt Smith, 26, to play
    the Doctor") reach paraphrase cosine while sharing few words; a line reworded from
    another (a spin, another machine translation of one source) keeps many of its words.
    """
    return _overlap(sentence_words(a, i), sentence_words(b, j))[1]


def _inside(span: tuple[int, int], covered: list[tuple[int, int]], share: float = 0.6) -> bool:
    s, e = span
    if e <= s:
        return True
    got = sum(max(0, min(e, ce) - max(s, cs)) for cs, ce in covered)
    return got >= share * (e - s)


def names_cannot_align(f: Features, t: Thresholds) -> bool:
    """A pair in two languages, without sentence vectors, whose shared names align little of
    either side: only the second model can say whether one translates the other.

    ``retold compare`` asks it for any such pair (the user named the pair); a scan asks it
    for the pairs that the sentence-length rhythm proposed (signal "shape", the mark of a
    name-poor translation) as well as the rescued ones. WMT16 en-fi tune and eval held such
    a pair: a Finnish translation of a short report that shares one company name with its
    original, aligned 0.08 by names and 1.0 by the second model.
    """
    return (
        f.encoded is False
        and f.same_lang is False
        and f.aligned_min < t.names_min_aligned
    )


def needs_second_opinion(f: Features, settings: Settings) -> bool:
    """A names-path pair in two languages, aligned in order over much of both texts, yet
    sharing few names: the only pairs worth the second model's time (``verify.py``), when
    the settings allow it. Two texts in one language have their shared words to go by.
    A pair that only the second model proposed (``rescued``) always goes back to it."""
    if not (settings.semantic and settings.second_opinion) or f.second_contrast is not None:
        return False  # asked already
    if f.encoded is not False:
        return False
    t = settings.thresholds
    if f.same_lang is not False:
        return cheap() and names_align_words_do_not(f, t)
    if f.rescued:
        return True
    return (
        (f.len_ratio or 0.0) >= t.second_min_len_ratio  # a translation between such languages keeps its length
        and f.aligned_min >= t.second_min_aligned
        and (f.order or 0.0) >= t.second_min_order
        and (f.names_overlap or 0.0) < t.second_max_names
        and max(f.verbatim_a or 0.0, f.verbatim_b or 0.0) < t.second_max_verbatim
    )


def names_align_words_do_not(f: Features, t: Thresholds) -> bool:
    """A pair in one language without sentence vectors whose names align most of both sides in
    order while their content words do not: a rewording whose words were changed (a machine
    translation against a human one of the same source, in a language that inflects: WMT24
    tune, Ukrainian and Icelandic, names aligning 0.74-0.93 and words 0.17-0.30), or two texts
    on one product or event that repeat its names. The rewording still keeps some of its words
    (``anchor_min_words_changed``: 0.14-0.29 there, where texts on other events of one language
    that repeat a few names keep 0.00-0.01: Croatian news of WMT22, Urdu stories of COUNTER, on
    tune); past that, only the meaning of the aligned sentences tells them apart: the static
    second model's contrast over the names' pairs (``relation._classify_by_names``). Asked only
    where that model is the cheap one."""
    words_a, words_b = f.words_aligned_a, f.words_aligned_b
    return (
        words_a is not None
        and words_b is not None
        and t.anchor_min_words_changed <= min(words_a, words_b) < t.anchor_min_aligned
        and f.aligned_min >= t.anchor_min_aligned
        and (f.order or 0.0) >= t.min_order
    )


def leads_match(a: Doc, b: Doc, f: Features, t: Thresholds) -> bool:
    """Whether the two texts' leads match as a translation's do (``verify.lead_match`` ≥
    ``cuts(t).lead_min_sim``, the second model's own cut), read before the second model reads two whole texts; the best
    lead cosine goes to ``f.second_lead``. True when the second model is not installed.

    A translation translates its headline and lead. On the tune split every translation that
    the second opinion vouched for (89, in WMT16, WMT22 news and short texts) had leads at 0.877
    or more, while about half of the other pairs it was asked about fell below 0.85; on 3,000
    random texts of the speed bench those took 14 of its 34 whole-text reads.
    """
    best = lead_match(a, b)
    if best is None:
        return True
    f.second_lead = best
    return best >= cuts(t).lead_min_sim


def second_opinion(
    a: Doc, b: Doc, f: Features, t: Thresholds, passages: Sequence[Passage] = ()
) -> list[Passage]:
    """Add ``second_contrast`` to a borderline pair's features (see ``verify.py``); return
    the pair's ``passages`` with any the second model aligned, in order.

    A ``rescued`` pair, which shares too few names for them to pin an alignment, is
    aligned by the second model itself: its coverage of each side goes to
    ``second_aligned_a``/``_b`` and its matched sentences come back as passages; the
    contrast over the pairs the names aligned, if any, goes to ``names_contrast``.

    Kept out of :func:`compare_docs` on purpose: the second model runs OpenMP threads,
    which a forked worker cannot use once its parent has (it hangs), so the pipeline
    calls this in its own process, after the workers, for the few pairs that need it.
    """
    out = list(passages)
    if f.rescued:
        # the names' own pairs get their own contrast: the contrast over the pairs the second
        # model chose itself is inflated by that choice and vouches for its own alignment only
        named = anchor_align(a, b, t.anchor_min_sim)[0].pairs
        if named:
            f.names_contrast = translation_contrast(a, b, named)
        pairs = e5_alignment(a, b, cuts(t).align_margin)
        spans = _spans(a, b, pairs)
        f.second_aligned_a = coverage(a, [x for x, _, _ in spans])
        f.second_aligned_b = coverage(b, [y for _, y, _ in spans])
        out += [Passage(x[0], x[1], y[0], y[1], "translation", s) for x, y, s in spans]
        out.sort(key=lambda p: (p.a_start, p.b_start))
    else:
        pairs = anchor_align(a, b, t.anchor_min_sim)[0].pairs
    contrast = translation_contrast(a, b, pairs)
    if contrast is not None:
        f.second_contrast = contrast
    return out


def date_gap_days(a: Doc, b: Doc) -> float | None:
    """Days between the two publication dates (None unless both are known), in UTC: one aware
    and one naive date compare too (a naive one is taken as UTC)."""
    pa, pb = a.article.published, b.article.published
    if pa is None or pb is None:
        return None
    return abs((comparable(pa) - comparable(pb)).total_seconds()) / 86400.0


def compare_docs(a: Doc, b: Doc, settings: Settings) -> Evidence:
    """All evidence for the pair (a, b); cheap when they share nothing."""
    t = settings.thresholds
    verb = verbatim_passages(a, b, settings)
    va = [(p.a_start, p.a_end) for p in verb]
    vb = [(p.b_start, p.b_end) for p in verb]
    f = Features(verbatim_a=coverage(a, va), verbatim_b=coverage(b, vb), same_lang=same_language(a.lang, b.lang))
    # where a copy relation rests on them, the k-gram shares are counted, not estimated:
    # the Jaccard decides duplicate or not, the containment partial or not
    counted = None
    if max(f.verbatim_a, f.verbatim_b) >= t.partial_min_coverage:
        counted = shingle_overlap(a.tok_hash, b.tok_hash, settings.shingle_size)
        f.containment = counted.containment
    if counted is not None and min(f.verbatim_a, f.verbatim_b) >= EXACT_JACCARD_COVERAGE:
        f.jaccard = counted.jaccard
    elif a.minhash is not None and b.minhash is not None:
        f.jaccard = jaccard_estimate(a.minhash, b.minhash)
    len_a, len_b = content_length(a), content_length(b)
    f.len_ratio = min(len_a, len_b) / max(len_a, len_b, 1)

    passages = list(verb)
    al: Alignment | None = None
    encoded = a.sent_vecs is not None and b.sent_vecs is not None
    f.encoded = encoded
    worded_spans: list[tuple[tuple[int, int], tuple[int, int], float]] = []
    if encoded:
        al = align(a, b, t.align_min_sim)
        threshold = t.align_min_sim
    elif settings.semantic:
        # a language the encoder does not cover: align by shared names and numbers instead
        al, f.anchored_n = anchor_align(a, b, t.anchor_min_sim)
        threshold = t.anchor_min_sim
        if f.same_lang:  # and within one such language, by shared content words too
            qa, qb = quote_share(a), quote_share(b)  # a quotation both report is not reuse
            worded = [
                (i, j, s) for i, j, s in word_alignment(a, b, t.anchor_min_sim) if qa[i] < t.quote_share or qb[j] < t.quote_share
            ]
            worded_spans = _spans(a, b, worded)
            f.words_aligned_a = coverage(a, [x for x, _, _ in worded_spans])
            f.words_aligned_b = coverage(b, [y for _, y, _ in worded_spans])
    if al is not None:
        qa, qb = quote_share(a), quote_share(b)
        kind = "paraphrase" if f.same_lang else "translation"
        aligned_a, aligned_b = list(va), list(vb)
        sims: list[float] = []
        kept: list[tuple[int, int]] = []
        quotes = 0
        for i, j, s in al.pairs:
            sa, sb = _span(a, i), _span(b, j)
            if qa[i] >= t.quote_share and qb[j] >= t.quote_share:
                quotes += 1  # both sides quote someone: shared quotation, not reuse
                continue
            sims.append(s)
            kept.append((i, j))
            aligned_a.append(sa)
            aligned_b.append(sb)
            if _inside(sa, va) and _inside(sb, vb):
                continue  # already shown as a verbatim passage
            passages.append(Passage(sa[0], sa[1], sb[0], sb[1], kind, s))
        f.aligned_a = coverage(a, aligned_a)
        f.aligned_b = coverage(b, aligned_b)
        f.aligned_n = float(len(sims))
        f.aligned_sim = float(np.mean(sims)) if sims else 0.0
        # one line pair: no order to keep, so its words must show the reuse (decide/relation.py)
        if len(kept) == 1 and f.same_lang and written_language(a.lang) not in NO_WORD_SPACES:
            f.aligned_words = shared_words(a, b, *kept[0])
        f.quote_matches = float(quotes)
        # order-free: how much of each side has a close match anywhere in the other
        ba, bb = al.best_a, al.best_b
        la = (a.sent_spans[al.rows, 1] - a.sent_spans[al.rows, 0]).astype(np.float32)
        lb = (b.sent_spans[al.cols, 1] - b.sent_spans[al.cols, 0]).astype(np.float32)
        f.matched_a = float(la[ba >= threshold].sum() / max(la.sum(), 1))
        f.matched_b = float(lb[bb >= threshold].sum() / max(lb.sum(), 1))
        n_best = min(int((ba >= threshold).sum()), int((bb >= threshold).sum()))
        n_kept = f.anchored_n if f.anchored_n is not None else float(len(al.pairs))
        f.order = min(1.0, n_kept / n_best) if n_best else 0.0
        f.best_mean = float(0.5 * (ba.mean() + bb.mean())) if ba.size and bb.size else 0.0
    else:
        f.aligned_a, f.aligned_b = f.verbatim_a, f.verbatim_b
    reworded_spans: list[tuple[tuple[int, int], tuple[int, int], float]] = []
    # a copy both ways (verbatim coverage at the near-duplicate cut on each side) is decided by
    # its verbatim text alone: looking for reworded sentences there would cost without telling
    both_ways = min(f.verbatim_a or 0.0, f.verbatim_b or 0.0) >= t.near_duplicate_min_coverage
    if f.same_lang and settings.semantic and not both_ways:
        # sentences of one side reworded from the other: the evidence of paraphrased partial reuse
        meaning = meaning_matrix(a, b, al if encoded else None)
        if meaning is not None:
            rew = reworded_pairs(
                a, b, meaning, t.reworded_min_sim, t.reworded_min_words, (quote_share(a), quote_share(b)), t.quote_share
            )
            # a sentence half inside verbatim runs (on either side) is copy evidence, not a
            # rewording: copied text is weighed by the partial rule's own 5-gram test, so that
            # short shared runs (quotations, stock phrases) do not add up to reuse here either
            reworded_spans = [
                (x, y, sim) for x, y, sim in _spans(a, b, rew) if not (_inside(x, va, 0.5) or _inside(y, vb, 0.5))
            ]
            f.reworded_n = float(len(reworded_spans))
            f.reworded_a = coverage(a, va + [x for x, _, _ in reworded_spans])
            f.reworded_b = coverage(b, vb + [y for _, y, _ in reworded_spans])
    shown = {(p.a_start, p.b_start) for p in passages}
    for x, y, sim in worded_spans + reworded_spans:
        if (x[0], y[0]) not in shown and not (_inside(x, va) and _inside(y, vb)):
            shown.add((x[0], y[0]))
            passages.append(Passage(x[0], x[1], y[0], y[1], "paraphrase", sim))
    if a.vec is not None and b.vec is not None:
        f.doc_cos = float(np.dot(a.vec, b.vec))
    f.anchor_overlap, f.anchor_jaccard = _overlap(a.anchors, b.anchors)
    f.names_overlap, f.names_jaccard = names_overlap(a, b)
    f.names_contained = names_contained(a, b)
    f.words_overlap, f.words_jaccard = words_overlap(a, b)
    f.date_gap_days = date_gap_days(a, b)
    passages.sort(key=lambda p: (p.a_start, p.b_start))
    return Evidence(passages=passages, features=f, alignment=al)


__all__ = ["Evidence", "compare_docs", "date_gap_days", "needs_second_opinion", "second_opinion", "coverage", "content_length"]
