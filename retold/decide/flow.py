"""One flow for a candidate pair, from two Docs to a decided Pair, in two phases.

The pipeline (``retold.scan``), ``retold.compare`` and ``scripts/calibrate.py`` all call
this module, so thresholds are fitted on exactly the features a scan computes.

1. :func:`evaluate` (on the engine's workers): the evidence (``compare_docs``), the
   ``rescued`` mark for pairs only the second model proposed, and the rules. A pair that
   the second model should see comes back even when unrelated.
2. :func:`second_model_pass` (once the workers are done): the second model's opinion for
   borderline pairs, then for pairs that only the sentence rhythm proposed, within a budget;
   each decided again. With the static model (numpy, vectors read in the sign stage) the
   pairs go to a local engine's forked workers like phase 1 (on the speed bench's 9,235
   texts, 6.7 s of work that ran in this process alone). E5 runs in this process: its OpenMP
   threads spin while workers hold the cores, which made it 3-5x slower (2,000 texts on 2
   cores: 26 sentences took 3.5 s, against 0.7 s alone), and a forked worker cannot use them
   once its parent has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from retold.compare import (
    compare_docs,
    leads_match,
    names_cannot_align,
    needs_second_opinion,
    second_opinion,
)
from retold.clean.lang import same_language
from retold.sign.second import LEAD_SENTENCES, cheap, unread_sentences
from retold.config import Settings
from retold.decide import decide_pair, redecide
from retold.decide.pair import shown_passages
from retold.decide.identical import identical_classes, replay, share_plan
from retold.engines import Engine
from retold.model import REUSE_RELATIONS, Doc, Features, Pair
from retold.progress import NullProgress, Progress

#: the candidate signal of a pair the user asked about by name (``retold compare``): it
#: goes to the second model whenever names cannot align it
ASKED = "asked"


def evaluate(a: Doc, b: Doc, why: set[str], settings: Settings, keep_unrelated: bool = False) -> Pair | None:
    """Phase 1 for one pair proposed by the signals ``why``: evidence and a first decision.

    None when unrelated, unless ``keep_unrelated`` or the second model should see it.
    """
    ev = compare_docs(a, b, settings)
    f = ev.features
    if "rescue" in why:  # only the second model saw these two together: it decides
        f.rescued = True
    elif (ASKED in why or "static" in why or ("shape" in why and cheap())) and names_cannot_align(f, settings.thresholds):
        # asked about this very pair, or proposed by the static second model's neighbours, or by
        # the sentence rhythm (the mark of a name-poor translation) when the second model costs
        # next to nothing (the static one, whose vectors are there already: the budget and the
        # lead look of the rhythm's second opinion are for E5), and names cannot align it: the
        # second model does. Not every pair names cannot align: two reviews of one record that
        # share a few names (WMT22 short texts, tune) align 0.70 by the static model alone
        f.rescued = True
    keep = kept_for_later(why, f, settings, keep_unrelated)
    p = decide_pair(a, b, ev, settings, keep_unrelated=keep)
    if (
        "static" in why
        and not f.rescued
        and f.encoded is False
        and f.same_lang is False
        and settings.second_opinion
    ):
        if p is None or p.relation not in REUSE_RELATIONS:
            # the static second model placed these two together and the names found no reuse
            # (texts whose lengths differ too much for the second opinion's gate, as Chinese or
            # Japanese against an alphabetic script, or name-poor texts of like length): it aligns
            # them, each of its and the names' alignments vouched for by the contrast over its own
            # pairs (relation._classify_by_names)
            f.rescued = True
            p = decide_pair(a, b, ev, settings, keep_unrelated=True)
    return p


def kept_for_later(why: set[str], f: Features, settings: Settings, keep_unrelated: bool) -> bool:
    """Whether a pair comes back from phase 1 even if unrelated: a borderline one (the second
    opinion may change that, and so may the sentence rhythm's), or every one when asked."""
    return keep_unrelated or needs_second_opinion(f, settings) or shape_only(why, f, settings)


def shape_only(why: set[str], f: Features, settings: Settings) -> bool:
    """Proposed by the sentence rhythm alone ("shape"), in two languages, of like length
    (a translation keeps its length), and the names align little of it."""
    return (
        settings.semantic
        and settings.second_opinion
        and why == {"shape"}
        and (f.len_ratio or 0.0) >= settings.thresholds.second_min_len_ratio
        and names_cannot_align(f, settings.thresholds)
    )


def compare_candidates(
    docs: list[Doc],
    cand: dict[tuple[int, int], set[str]],
    settings: Settings,
    engine: Engine,
    progress: Progress,
    stats: dict[str, float] | None = None,
    keep_unrelated: bool = False,
) -> list[Pair]:
    """Compare and decide every candidate pair; those with a relation (all of them, with
    relation ``"unrelated"`` for the rest, when ``keep_unrelated``: calibration's view)."""
    first, why, _ = first_phase(docs, cand, settings, engine, progress, stats, keep_unrelated)
    by_id = {d.id: d for d in docs}
    return second_model_pass(
        first, why, by_id, settings, progress, stats if stats is not None else {}, keep_unrelated, engine=engine
    )


def first_phase(
    docs: list[Doc],
    cand: dict[tuple[int, int], set[str]],
    settings: Settings,
    engine: Engine,
    progress: Progress,
    stats: dict[str, float] | None = None,
    keep_unrelated: bool = False,
) -> tuple[list[Pair], list[set[str]], list[tuple[int, int]]]:
    """Phase 1 of :func:`compare_candidates`: every candidate pair compared (twins replayed) and
    decided without the second model. (the pairs kept, each one's candidate signals, each
    one's candidate pair), in the order of the sorted candidate pairs."""
    items = sorted(cand)
    # twins (one text, word for word) are compared once: the pairs of the others are replayed
    heads, of = share_plan(items, identical_classes(docs), cand)
    followed = {k for ij, k in zip(items, of) if ij != heads[k]}

    def one(k: int) -> Pair | None:
        i, j = heads[k]
        # a compared pair that others replay keeps its evidence even when unrelated: their own
        # dates can relate them (a story told by names alone holds within a few days only)
        return evaluate(docs[i], docs[j], cand[heads[k]], settings, keep_unrelated or k in followed)

    compared = list(engine.map(one, range(len(heads)), progress=progress, label="compare"))
    first: list[Pair] = []
    why: list[set[str]] = []
    kept: list[tuple[int, int]] = []
    for ij, k in zip(items, of):
        p = compared[k]
        if p is not None and k in followed:
            keep = kept_for_later(cand[ij], p.features, settings, keep_unrelated)
            if ij != heads[k]:
                i, j = ij
                i0, j0 = heads[k]
                p = replay(p, docs[i], docs[j], settings, keep, of=(docs[i0], docs[j0]))
            p = _as_decided(p, keep) if p is not None else None
        if p is not None:
            first.append(p)
            why.append(cand[ij])
            kept.append(ij)
    if stats is not None:
        stats["pairs_replayed"] = stats.get("pairs_replayed", 0.0) + float(len(items) - len(heads))
    return first, why, kept


def _as_decided(p: Pair, keep: bool) -> Pair | None:
    """A pair evaluated with ``keep_unrelated`` as :func:`evaluate` would have given it without:
    None when unrelated, and an independent report's passages cut as ``decide_pair`` cuts them
    (``shown_passages``), unless ``keep``."""
    if p.relation == "unrelated" and not keep:
        return None
    shown = shown_passages(p.relation, p.passages, keep)
    return p if shown is p.passages else replace(p, passages=shown)  # a copy: its twins replay the whole


def second_model_pass(
    pairs: list[Pair],
    why: list[set[str]],
    by_id: dict[str, Doc],
    settings: Settings,
    progress: Progress,
    stats: dict[str, float],
    keep_unrelated: bool = False,
    engine: Engine | None = None,
    lang_of: Callable[[str], str] | None = None,
) -> list[Pair]:
    """Phase 2 over the pairs of phase 1 (``why``: each one's candidate signals); ``engine``
    takes the second opinions where the second model can run on its workers. ``lang_of``: a
    doc's language by id without reading the doc (``by_id`` may read docs on demand: only
    those of the pairs the second model is asked about are needed whole)."""
    decided: list[Pair] = []
    pending: list[Pair] = []
    rhythm: list[Pair] = []
    for p, w in zip(pairs, why):
        if needs_second_opinion(p.features, settings):
            pending.append(p)
        elif shape_only(w, p.features, settings):
            rhythm.append(p)
        elif keep_unrelated or p.relation != "unrelated":
            decided.append(p)
    decided += _ask_second_model(
        pending, by_id, settings, progress, "second opinion", keep_unrelated=keep_unrelated, engine=engine
    )
    decided += _rhythm_second_opinion(rhythm, decided, by_id, settings, progress, stats, keep_unrelated, engine, lang_of)
    return decided


def _rhythm_second_opinion(
    waiting: list[Pair],
    decided: list[Pair],
    by_id: dict[str, Doc],
    settings: Settings,
    progress: Progress,
    stats: dict[str, float],
    keep_unrelated: bool,
    engine: Engine | None = None,
    lang_of: Callable[[str], str] | None = None,
) -> list[Pair]:
    """The second model's say on pairs that only the sentence rhythm proposed, for texts that
    are still without a partner in another language.

    Such a pair is the mark of a name-poor translation (WMT16 en-fi, tune and eval: a Finnish
    report sharing one company name with its original, aligned 0.08 by names and 1.0 by the
    second model). But a text that already has its translation or original has no need of it,
    and reading whole texts with the second model is slow (about 35 sentences/s): in the WMT22
    news eval, asking it about every such pair read 1,167 sentences for one translation, most of
    them for Croatian texts whose source the names had already found. So only texts without a
    reuse partner in another language are asked about, and first about their leads: a
    translation translates its headline, so one pair of the first three sentences of each must
    reach a translation's cosine (``Thresholds.lead_min_sim``) before the whole texts are read;
    all within ``settings.rescue_max_sentences`` (``stats["shape_looked"]`` pairs looked at,
    ``stats["shape_asked"]`` aligned, ``stats["shape_sentences"]`` sentences read). On the
    speed bench's 1,000 random texts that cut the sentences read from 364 to 86.
    """
    placed: set[str] = set()
    lang = lang_of or (lambda doc_id: by_id[doc_id].lang)
    for p in decided if waiting else ():
        if p.relation in REUSE_RELATIONS and not same_language(lang(p.a), lang(p.b)):
            placed.update((p.a, p.b))
    out: list[Pair] = []
    asked: list[Pair] = []
    spent, looked = 0, 0
    for p in sorted(waiting, key=lambda q: (-(q.features.len_ratio or 0.0), q.a, q.b)):
        a, b = by_id[p.a], by_id[p.b]
        lonely = [d for d in (a, b) if d.sent_vecs is None and d.id not in placed]
        if lonely and spent + LEAD_SENTENCES * 2 <= settings.rescue_max_sentences:
            before = unread_sentences(a) + unread_sentences(b)
            match = leads_match(a, b, p.features, settings.thresholds)  # reads at most the first sentences of each
            spent += before - unread_sentences(a) - unread_sentences(b)
            looked += 1
            cost = unread_sentences(a) + unread_sentences(b)
            if match and spent + cost <= settings.rescue_max_sentences:
                spent += cost
                p.features.rescued = True
                asked.append(p)
                continue
        if keep_unrelated or p.relation != "unrelated":
            out.append(p)
    stats["shape_looked"] = float(looked)
    stats["shape_asked"] = float(len(asked))
    stats["shape_sentences"] = float(spent)
    label = "second opinion (sentence rhythm)"
    return out + _ask_second_model(
        asked, by_id, settings, progress, label, leads_looked_at=True, keep_unrelated=keep_unrelated, engine=engine
    )


def _ask_second_model(
    pairs: list[Pair],
    by_id: dict[str, Doc],
    settings: Settings,
    progress: Progress,
    label: str,
    leads_looked_at: bool = False,
    keep_unrelated: bool = False,
    engine: Engine | None = None,
) -> list[Pair]:
    """Each pair with the second model's opinion added and decided again; those still related.

    The second model reads the whole texts only where their leads match as a translation's
    do (``leads_match``); a pair whose leads do not is decided without its opinion, as one
    it would not vouch for. ``leads_looked_at``: the caller kept only pairs whose leads match.
    ``engine``: a local engine's workers take the pairs when the second model is the static
    one (numpy, its vectors already on the docs); otherwise, and on a remote engine, they are
    read here.
    """
    t = settings.thresholds

    def one(k: int) -> Pair | None:
        p = pairs[k]
        a, b = by_id[p.a], by_id[p.b]
        if leads_looked_at or leads_match(a, b, p.features, t):
            p.passages = second_opinion(a, b, p.features, t, p.passages)
        again = redecide(a, b, p, t)
        if again is not None and again.relation != "unrelated":
            return again
        if keep_unrelated:
            p.relation = "unrelated"
            return p
        return None

    items = range(len(pairs))
    if engine is not None and cheap() and not getattr(engine, "remote", False):
        done = engine.map(one, items, progress=progress, label=label)
    else:
        done = (one(k) for k in progress.track(items, total=len(pairs), label=label))
    return [p for p in done if p is not None]


def compare_pair(a: Doc, b: Doc, settings: Settings) -> Pair:
    """The one pair a user asked about (``retold.compare``): the flow above for a pair of
    signal ``ASKED``, with the second model asked whenever names cannot align it."""
    p = evaluate(a, b, {ASKED}, settings, keep_unrelated=True)
    assert p is not None
    if needs_second_opinion(p.features, settings):
        return _ask_second_model([p], {a.id: a, b.id: b}, settings, NullProgress(), "", keep_unrelated=True)[0]
    return p


__all__ = ["evaluate", "compare_candidates", "first_phase", "second_model_pass", "compare_pair", "shape_only", "kept_for_later", "ASKED"]
