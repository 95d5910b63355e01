"""The flow, stage by stage: ingest -> clean -> sign -> candidates -> compare -> decide -> group.

This is the one place that knows the order of the stages. Each stage is a plain
function over plain data (see ``retold.model``); this module only threads them
together, reports progress and, when an index is given, merges with what the
index already holds.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from retold.candidates import find_candidates
from retold.clean import prepare
from retold.compare import compare_docs, leads_match, names_cannot_align, needs_second_opinion, second_opinion
from retold.compare.verify import encoded_count
from retold.config import Settings
from retold.decide import decide_pair, redecide
from retold.decide.relation import default_thresholds
from retold.engines import Engine, LocalEngine
from retold.group import build_groups
from retold.group.agree import agree_with_stories
from retold.group.implied import implied_pairs
from retold.ingest import read_articles
from retold.model import REUSE_RELATIONS, Article, Doc, Pair, Problem, ScanResult
from retold.progress import Progress, NullProgress
from retold.sign import Encoder, default_encoder, embed_docs, sign_lexical
from retold.sign.names import sign_names


def _as_articles(inputs: Iterable[Article] | Sequence[str | Path], problems: list[Problem]) -> list[Article]:
    items = list(inputs)
    if items and all(isinstance(x, Article) for x in items):
        return items  # type: ignore[return-value]
    articles, probs = read_articles([Path(x) for x in items])  # type: ignore[arg-type]
    problems.extend(probs)
    return articles


def prepare_docs(
    articles: list[Article],
    settings: Settings,
    encoder: Encoder | None,
    progress: Progress,
    stats: dict[str, float],
    engine: Engine | None = None,
) -> list[Doc]:
    """Clean, sign and (when semantic) embed new articles; per-article work on ``engine``."""
    t = time.perf_counter()
    docs = prepare(articles, settings, progress=progress, engine=engine)
    stats["time_clean_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sign_lexical(docs, settings)
    stats["time_sign_s"] = time.perf_counter() - t
    if settings.semantic:
        t = time.perf_counter()
        embed_docs(docs, encoder or default_encoder(settings), settings, progress=progress)
        stats["time_embed_s"] = time.perf_counter() - t
    return docs


def scan(
    inputs: Iterable[Article] | Sequence[str | Path],
    *,
    settings: Settings | None = None,
    index: "Index | str | Path | None" = None,  # noqa: F821
    encoder: Encoder | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Find every related pair among ``inputs`` (and against ``index``), and group them.

    ``inputs`` are articles or paths (files or folders). With an index, only pairs that
    involve a new article are computed; the returned groups cover everything indexed.
    """
    from retold.index import Index  # local: the index pulls in sqlite, not needed by compare()

    settings = settings or Settings()
    progress = progress or NullProgress()
    engine = engine or LocalEngine(threads=settings.threads)
    stats: dict[str, float] = {}
    problems: list[Problem] = []
    t0 = time.perf_counter()

    articles = _as_articles(inputs, problems)
    stats["time_ingest_s"] = time.perf_counter() - t0

    with ExitStack() as stack:
        idx: Index | None = None
        old_docs: list[Doc] = []
        old_pairs: list[Pair] = []
        if index is not None:
            # vectors of two models live in two spaces: an index keeps to the encoder it was built with
            if settings.semantic:
                encoder = encoder or default_encoder(settings)
            enc_name = encoder.name if encoder is not None and settings.semantic else None
            idx = index if isinstance(index, Index) else stack.enter_context(
                Index.open(index, settings=settings, encoder_name=enc_name)
            )  # an index we opened, we close; one passed in stays open for its owner
            idx.require_encoder(enc_name)  # an Index passed in open was opened without our encoder's name
            known = idx.ids()
            kept = []
            for a in articles:
                if a.id in known:
                    problems.append(
                        Problem(a.where or "?", None, "duplicate_id", f"id {a.id!r} is already in the index; skipped")
                    )
                else:
                    kept.append(a)
            articles = kept

        new_docs = prepare_docs(articles, settings, encoder, progress, stats, engine)
        if idx is not None:
            old_docs = idx.load_docs()
            old_pairs = idx.load_pairs()

        docs = old_docs + new_docs
        second_before = {id(d): encoded_count(d) for d in old_docs}
        is_new = np.zeros(len(docs), dtype=bool)
        is_new[len(old_docs) :] = True

        t = time.perf_counter()
        # names of old docs from an index too (candidates read them all; they are not stored),
        # words of new docs only (see sign_names)
        sign_names(docs, engine, progress, words_of=is_new)
        stats["time_names_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cand = find_candidates(docs, is_new, settings, stats, progress)
        stats["time_candidates_s"] = time.perf_counter() - t
        stats["candidates"] = float(len(cand))

        t = time.perf_counter()
        new_pairs = compare_candidates(docs, cand, settings, engine, progress, stats)
        stats["time_compare_s"] = time.perf_counter() - t

        by_id = {d.id: d for d in docs}
        all_pairs = old_pairs + new_pairs
        t = time.perf_counter()
        groups = build_groups(by_id, all_pairs, settings)
        stats["time_group_s"] = time.perf_counter() - t

        if idx is not None:  # the index keeps each pair's own decision, before the stories have a say
            t = time.perf_counter()
            refreshed = [d for d in old_docs if encoded_count(d) > second_before[id(d)]]
            idx.add(new_docs, new_pairs, refreshed=refreshed)
            stats["time_index_s"] = time.perf_counter() - t

        t = time.perf_counter()
        implied: list[Pair] = []
        if settings.semantic:
            stories = [g for g in groups if g.kind == "story"]
            stats["pairs_agreed"] = float(agree_with_stories(new_pairs, stories, default_thresholds().max_story_gap_days))
            if settings.implied_pairs:
                new_ids = {d.id for d in new_docs} if idx is not None else None
                implied = implied_pairs(stories, all_pairs, new_ids, n_tokens={d.id: d.n_tokens for d in docs})
        stats["time_group_s"] += time.perf_counter() - t
        stats["pairs_implied"] = float(len(implied))

        stats["articles_new"] = float(len(new_docs))
        stats["articles_total"] = float(len(docs))
        stats["pairs"] = float(len(new_pairs)) + len(implied)
        stats["time_total_s"] = time.perf_counter() - t0
        kept = [(docs[i].id, docs[j].id, tuple(sorted(why))) for (i, j), why in cand.items()] if settings.keep_candidates else []
        return ScanResult(docs=by_id, pairs=new_pairs + implied, groups=groups, problems=problems, stats=stats, candidates=kept)


def compare_candidates(
    docs: list[Doc],
    cand: dict[tuple[int, int], set[str]],
    settings: Settings,
    engine: Engine,
    progress: Progress,
    stats: dict[str, float] | None = None,
) -> list[Pair]:
    """Compare and decide every candidate pair; keep those with a relation."""
    items = sorted(cand)

    def one(ij: tuple[int, int]) -> Pair | None:
        i, j = ij
        ev = compare_docs(docs[i], docs[j], settings)
        if "rescue" in cand[ij]:  # only the second model saw these two together: it decides
            ev.features["rescued"] = 1.0
        # a borderline pair comes back even if unrelated: the second opinion may change that
        keep = needs_second_opinion(ev.features, settings) or _shape_only(cand[ij], ev.features, settings)
        return decide_pair(docs[i], docs[j], ev, settings, keep_unrelated=keep)

    by_id = {d.id: d for d in docs}
    index_of = {d.id: k for k, d in enumerate(docs)}
    pairs: list[Pair] = []
    pending: list[Pair] = []
    shape_only: list[Pair] = []
    for p in engine.map(one, items, progress=progress, label="compare"):
        if p is None:
            continue
        ij = (index_of[p.a], index_of[p.b])
        if needs_second_opinion(p.features, settings):
            pending.append(p)
        elif _shape_only(cand[ij], p.features, settings):
            shape_only.append(p)
        elif p.relation != "unrelated":
            pairs.append(p)
    # Here, in this process (see second_opinion()), and only once the workers are done:
    # the second model's OpenMP threads spin while workers hold the cores, which made it
    # 3-5x slower (2,000 texts on 2 cores: 26 sentences took 3.5 s, against 0.7 s alone).
    pairs += _ask_second_model(pending, by_id, progress, "second opinion")
    pairs += _shape_second_opinion(shape_only, pairs, by_id, settings, progress, stats if stats is not None else {})
    return pairs


def _shape_only(why: set[str], f: dict[str, float], settings: Settings) -> bool:
    """Proposed by the sentence rhythm alone ("shape"), in two languages, of like length
    (a translation keeps its length), and the names align little of it."""
    return (
        settings.semantic
        and settings.second_opinion
        and why == {"shape"}
        and f.get("len_ratio", 0.0) >= 0.7
        and names_cannot_align(f)
    )


def _shape_second_opinion(
    waiting: list[Pair],
    decided: list[Pair],
    by_id: dict[str, Doc],
    settings: Settings,
    progress: Progress,
    stats: dict[str, float],
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
    reach a translation's cosine (``TRANSLATION_SIM``) before the whole texts are read; all
    within ``settings.rescue_max_sentences`` (``stats["shape_looked"]`` pairs looked at,
    ``stats["shape_asked"]`` aligned, ``stats["shape_sentences"]`` sentences read). On the
    speed bench's 1,000 random texts that cut the sentences read from 364 to 86.
    """
    from retold.compare import same_language
    from retold.compare.verify import LEAD_SENTENCES, unread_sentences

    placed: set[str] = set()
    for p in decided:
        if p.relation in REUSE_RELATIONS and not same_language(by_id[p.a].lang, by_id[p.b].lang):
            placed.update((p.a, p.b))
    out: list[Pair] = []
    asked: list[Pair] = []
    spent, looked = 0, 0
    for p in sorted(waiting, key=lambda q: (-q.features.get("len_ratio", 0.0), q.a, q.b)):
        a, b = by_id[p.a], by_id[p.b]
        lonely = [d for d in (a, b) if d.sent_vecs is None and d.id not in placed]
        if lonely and spent + LEAD_SENTENCES * 2 <= settings.rescue_max_sentences:
            before = unread_sentences(a) + unread_sentences(b)
            match = leads_match(a, b, p.features)  # reads at most the first sentences of each
            spent += before - unread_sentences(a) - unread_sentences(b)
            looked += 1
            cost = unread_sentences(a) + unread_sentences(b)
            if match and spent + cost <= settings.rescue_max_sentences:
                spent += cost
                p.features["rescued"] = 1.0
                asked.append(p)
                continue
        if p.relation != "unrelated":
            out.append(p)
    stats["shape_looked"] = float(looked)
    stats["shape_asked"] = float(len(asked))
    stats["shape_sentences"] = float(spent)
    return out + _ask_second_model(asked, by_id, progress, "second opinion (sentence rhythm)", leads_looked_at=True)


def _ask_second_model(
    pairs: list[Pair], by_id: dict[str, Doc], progress: Progress, label: str, leads_looked_at: bool = False
) -> list[Pair]:
    """Each pair with the second model's opinion added and decided again; those still related.

    The second model reads the whole texts only where their leads match as a translation's
    do (``leads_match``); a pair whose leads do not is decided without its opinion, as one
    it would not vouch for. ``leads_looked_at``: the caller kept only pairs whose leads match.
    """
    out: list[Pair] = []
    for p in progress.track(pairs, total=len(pairs), label=label):
        a, b = by_id[p.a], by_id[p.b]
        if leads_looked_at or leads_match(a, b, p.features):
            p.passages = second_opinion(a, b, p.features, p.passages)
        again = redecide(a, b, p)
        if again is not None and again.relation != "unrelated":
            out.append(again)
    return out


def compare(a: Article | str, b: Article | str, *, settings: Settings | None = None, encoder: Encoder | None = None) -> Pair:
    """Compare two articles (or two texts) and return their pair, relation ``None`` if unrelated."""
    settings = settings or Settings()
    arts = [
        x if isinstance(x, Article) else Article(id=name, text=x)
        for x, name in ((a, "a"), (b, "b"))
    ]
    stats: dict[str, float] = {}
    docs = prepare_docs(arts, settings, encoder, NullProgress(), stats)
    ev = compare_docs(docs[0], docs[1], settings)
    f = ev.features
    if names_cannot_align(f):
        f["rescued"] = 1.0  # asked about this very pair, and names cannot align it: the second model does
    if needs_second_opinion(f, settings) and leads_match(docs[0], docs[1], f):
        ev.passages = second_opinion(docs[0], docs[1], f, ev.passages)
    pair = decide_pair(docs[0], docs[1], ev, settings, keep_unrelated=True)
    assert pair is not None
    return pair
