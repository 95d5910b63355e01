"""The flow, stage by stage: ingest -> clean -> sign -> candidates -> compare -> decide -> group.

This is the one place that knows the order of the stages. Each stage is a plain
function over plain data (see ``retold.model``); this module only threads them
together, reports progress and, when an index is given, merges with what the
index already holds.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retold.candidates import find_candidates
from retold.clean import prepare
from retold.clean.boiler import BoilerModel
from retold.sign.second import sign_second
from retold.config import Settings
from retold.decide.flow import compare_candidates, compare_pair
from retold.engines import Engine, LocalEngine
from retold.group import build_groups, stories_say
from retold.ingest import read_articles
from retold.model import Article, Doc, Pair, Problem, ScanResult
from retold.progress import Progress, NullProgress
from retold.sign import Encoder, default_encoder, embed_docs, sign_lexical
from retold.sign.names import known_names, sign_indexed_names, sign_names

if TYPE_CHECKING:
    from retold.index import WriteHooks

log = logging.getLogger("retold")


def _as_articles(inputs: Iterable[Article] | Sequence[str | Path], problems: list[Problem]) -> list[Article]:
    """Articles from what ``scan`` was given, the problems of skipped records added to ``problems``.

    ``inputs``: Articles; paths of files or folders (or one path); records held in memory
    (an iterable of dicts, a pandas DataFrame, a pyarrow Table, any object exporting an
    Arrow stream), read by the rules of a JSONL record (``retold.ingest.tables``).
    """
    from collections.abc import Mapping
    from os import PathLike

    from retold.ingest.tables import is_table, read_records

    if is_table(inputs):
        articles, probs = read_records(inputs)
        problems.extend(probs)
        return articles
    if isinstance(inputs, (str, PathLike)):
        inputs = [inputs]
    items = list(inputs)
    if items and all(isinstance(x, Article) for x in items):
        return items  # type: ignore[return-value]
    if items and all(isinstance(x, Mapping) for x in items):
        articles, probs = read_records(items)
        problems.extend(probs)
        return articles
    odd = [x for x in items if not isinstance(x, (str, PathLike))]
    if odd:
        raise TypeError(
            "scan() takes Articles, paths, records (dicts) or a table (pandas, pyarrow), one kind at a time; "
            f"got a {type(odd[0]).__name__} among {len(items)} inputs"
        )
    articles, probs = read_articles([Path(x) for x in items])  # type: ignore[arg-type]
    problems.extend(probs)
    return articles


def dedup(
    inputs,
    out: str | Path | None = None,
    *,
    drop: str | Iterable[str] = ("duplicate", "near_duplicate", "rewrite"),
    keep: str = "origin",
    settings: Settings | None = None,
    index: "Index | str | Path | None" = None,  # noqa: F821
    encoder: Encoder | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
    format: str = "jsonl",
):
    """The corpus without the articles that reuse another: one article of every reuse cluster stays.

    Parameters
    ----------
    inputs:
        Paths (files or folders), records (dicts), a pandas DataFrame, a pyarrow Table, or Articles.
    out:
        Folder for the corpus in its own format (same files, same names, kept records
        unchanged), ``removed.<format>`` and ``problems.<format>``; None writes nothing.
    drop:
        The relations that make a copy (of duplicate, near_duplicate, partial, rewrite, translation).
    keep:
        Which member of a cluster stays: ``origin``, ``earliest``, ``longest`` or ``first``.
    settings, index, encoder, engine, progress:
        As for :func:`scan`; ``Settings(semantic=False)`` finds copies only, much faster.
    format:
        ``jsonl`` or ``parquet``, for ``removed`` and ``problems``.

    Returns
    -------
    A :class:`retold.show.dedup.DedupResult` (ids kept and removed, each removal's survivor,
    relation and coverage; ``data``: in-memory input without the removed rows). The rules
    are :func:`retold.show.dedup.run_dedup`'s.
    """
    from retold.show.dedup import run_dedup

    return run_dedup(
        inputs, out, scan=scan, drop=drop, keep=keep, settings=settings, index=index, encoder=encoder,
        engine=engine, progress=progress, format=format,
    )


def _not_indexed(articles: list[Article], known: set[str], problems: list[Problem]) -> list[Article]:
    """The articles whose id the index does not hold; a ``duplicate_id`` problem for each other."""
    kept = []
    for a in articles:
        if a.id in known:
            problems.append(Problem(a.where or "?", None, "duplicate_id", f"id {a.id!r} is already in the index; skipped"))
        else:
            kept.append(a)
    return kept


def prepare_docs(
    articles: list[Article],
    settings: Settings,
    encoder: Encoder | None,
    progress: Progress,
    stats: dict[str, float],
    engine: Engine | None = None,
    boilerplate: BoilerModel | None = None,
    borrow: Callable[[list[Doc]], int] | None = None,
) -> list[Doc]:
    """Clean, sign and (when semantic) embed new articles; per-article work on ``engine``.
    ``borrow`` (an index's ``twins.borrow_vectors``) gives docs their vectors before any are
    encoded, from twins that have them already."""
    t = time.perf_counter()
    docs = prepare(articles, settings, progress=progress, engine=engine, boilerplate=boilerplate)
    stats["time_clean_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sign_lexical(docs, settings)
    stats["time_sign_s"] = time.perf_counter() - t
    if settings.semantic:
        t = time.perf_counter()
        if borrow is not None:
            stats["vectors_borrowed"] = float(borrow(docs))
        # on a remote engine (Ray) the sentence batches are encoded on its workers
        remote = embed_docs(docs, encoder or default_encoder(settings), settings, progress=progress, engine=engine)
        if remote:
            stats["embed_remote_batches"] = float(remote)
        if settings.second_opinion:  # the static second model's vectors, every article, once
            sign_second(docs)
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
    hooks: WriteHooks | None = None,
    boilerplate: BoilerModel | None = None,
    _full_load: bool = False,
) -> ScanResult:
    """Find every related pair among ``inputs`` (and against ``index``), and group them.

    ``inputs`` are articles or paths (files or folders). With an index, only pairs that
    involve a new article are computed; the returned groups cover everything indexed.
    The candidates come from the index's candidate tables, and only the indexed docs of
    candidate pairs are read whole (``retold.index.incremental``); ``result.docs`` reads the
    others from the index file when asked. ``hooks`` (``retold.index.WriteHooks``) hear of the
    index write: the wait for another writer's lock, the commit and what it stored.
    ``boilerplate`` (``retold.clean.prepare.learn_from``): the lines set aside as furniture,
    learned from a larger whole than ``inputs`` (by default they are learned from ``inputs``).
    ``_full_load`` (tests): load every indexed doc
    and find the candidates over all of them, the way it was done before those tables.
    """
    from retold.index import Index, WriteHooks  # local: the index pulls in sqlite, not needed by compare()

    hooks = hooks or WriteHooks()

    settings = settings or Settings()
    progress = progress or NullProgress()
    engine = engine or LocalEngine.for_settings(settings)
    stats: dict[str, float] = {}
    problems: list[Problem] = []
    t0 = time.perf_counter()

    articles = _as_articles(inputs, problems)
    stats["time_ingest_s"] = time.perf_counter() - t0

    incremental = False
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
            articles = _not_indexed(articles, idx.known(a.id for a in articles), problems)

        # the per-article work (clean, sign, embed) needs nothing of the index: done before its lock
        borrow = None
        if idx is not None:  # new twins of indexed docs take their vectors instead of encoding them again
            from retold.index.twins import borrow_vectors

            borrow = partial(borrow_vectors, idx)
        new_docs = prepare_docs(articles, settings, encoder, progress, stats, engine, boilerplate, borrow)
        if idx is not None:
            # from here to the commit, one writer at a time: a run that waited reads afresh what
            # the other one added, compares against it and skips the ids it indexed
            t = time.perf_counter()
            wait = settings.index_wait_s or None
            stack.enter_context(idx.writing(
                timeout=wait, on_wait=lambda: log.warning("%s: waiting for another writer", idx.path.name), hooks=hooks,
            ))
            stats["time_index_wait_s"] = time.perf_counter() - t
            known = idx.known(d.id for d in new_docs)
            kept_ids = {a.id for a in _not_indexed([d.article for d in new_docs], known, problems)}
            new_docs = [d for d in new_docs if d.id in kept_ids]
            idx.upgrade()  # an index of format 1 gets its candidate tables (once, one transaction)
            incremental = not _full_load and idx.postings_bands() == settings.lsh_bands
        if incremental:
            return _scan_incremental(idx, new_docs, settings, engine, progress, stats, problems, t0, hooks)
        if idx is not None:
            old_docs = idx.load_docs()
            old_pairs = idx.load_pairs()

        docs = old_docs + new_docs
        second_before = {id(d): d.second_vecs for d in old_docs}
        if settings.semantic and settings.second_opinion:
            sign_second(old_docs)  # docs indexed without the static model's vectors get them
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
            refreshed = [d for d in old_docs if d.second_vecs is not second_before[id(d)]]
            idx.add(new_docs, new_pairs, refreshed=refreshed, hooks=hooks)
            stats["time_index_s"] = time.perf_counter() - t

        t = time.perf_counter()
        new_ids = {d.id for d in new_docs} if idx is not None else None
        implied, agreed = stories_say(
            groups, new_pairs, all_pairs, {d.id: d.n_tokens for d in docs}, settings, new_ids, {d.id: d.lang for d in docs}
        )
        if settings.semantic:
            stats["pairs_agreed"] = float(agreed)
        stats["time_group_s"] += time.perf_counter() - t
        stats["pairs_implied"] = float(len(implied))

        stats["articles_new"] = float(len(new_docs))
        stats["articles_total"] = float(len(docs))
        stats["pairs"] = float(len(new_pairs)) + len(implied)
        stats["time_total_s"] = time.perf_counter() - t0
        kept = [(docs[i].id, docs[j].id, tuple(sorted(why))) for (i, j), why in cand.items()] if settings.keep_candidates else []
        return ScanResult(docs=by_id, pairs=new_pairs + implied, groups=groups, problems=problems, stats=stats, candidates=kept)


def _scan_incremental(
    idx, new_docs: list[Doc], settings: Settings, engine: Engine, progress: Progress, stats: dict[str, float],
    problems: list[Problem], t0: float, hooks: WriteHooks,
) -> ScanResult:
    """The rest of ``scan`` against an index with candidate tables: the same stages on the
    new docs and the indexed docs of their candidate pairs; groups over every indexed id
    (dates and pairs without passages, read light)."""
    from retold.group.held import HeldGroups
    from retold.index.incremental import IndexedDocs, dated, indexed_candidates, read_whole
    from retold.index.parts import compare_in_parts
    from retold.index.twins import replay_indexed_twins

    t = time.perf_counter()
    sign_names(new_docs, engine, progress)
    stats["time_names_s"] = time.perf_counter() - t
    t = time.perf_counter()
    found = indexed_candidates(idx, new_docs, settings, stats, progress, read=False)
    light = found.light
    names = idx.held_names()  # a long-lived index keeps the names an earlier batch worked out
    stats["candidates"] = float(len(found.cand))
    if len(found.universe) > settings.index_part_docs:
        # more indexed docs than a part: they are read a part at a time (index/parts.py)
        stats["time_candidates_s"] = time.perf_counter() - t
        t = time.perf_counter()
        new_pairs, refreshed = compare_in_parts(idx, found, new_docs, settings, engine, progress, stats, names)
        stats["time_compare_s"] = time.perf_counter() - t
        docs = list(new_docs)
        kept_ids = []
        if settings.keep_candidates:  # found.cand is by position in the index, then the new docs
            ids = light.ids + [d.id for d in new_docs]
            kept_ids = [(ids[i], ids[j], why) for (i, j), why in found.cand.items()]
    else:
        found = read_whole(found, new_docs)
        docs, cand = found.docs, found.cand
        old_read = docs[: len(docs) - len(new_docs)]
        sign_indexed_names(old_read, names, engine, progress)  # compare reads their names
        stats["time_candidates_s"] = time.perf_counter() - t

        t = time.perf_counter()
        # new twins of indexed docs take their twin's stored pairs (index/twins.py)
        twin_pairs, cand_left = replay_indexed_twins(idx, docs, len(old_read), cand, settings)
        new_pairs = compare_candidates(docs, cand_left, settings, engine, progress, stats) + twin_pairs
        stats["pairs_from_indexed_twins"] = float(len(cand) - len(cand_left))
        stats["time_compare_s"] = time.perf_counter() - t
        refreshed = found.lazy.refreshed()
        kept_ids = [(docs[i].id, docs[j].id, why) for (i, j), why in cand.items()] if settings.keep_candidates else []

    t = time.perf_counter()
    group_docs = dated(light)
    held = idx.held_groups() if idx.keeps_memory else None
    if held is None and idx.keeps_memory:  # the first scan of a long-lived index groups everything once
        held = HeldGroups.build(group_docs, idx.link_table(), settings)
    group_docs.update({d.id: d for d in docs})
    if held is not None:  # only the components the new articles and pairs touch are grouped again
        plan = held.regroup(group_docs, [d.id for d in new_docs], new_pairs, settings)
    else:  # a one-shot open: every stored pair, as columns, grouped with the new ones
        plan = HeldGroups(idx.link_table()).regroup(group_docs, [d.id for d in new_docs], new_pairs, settings, also=group_docs)
    groups, say_pairs = plan.groups, plan.pairs
    stats["time_group_s"] = time.perf_counter() - t

    t = time.perf_counter()  # the index keeps each pair's own decision, before the stories have a say
    idx.add(new_docs, new_pairs, refreshed=refreshed, hooks=hooks)
    if held is not None:
        held.apply(plan, new_pairs)
        idx.hold_groups(held)
    if names is not None:  # what the next batches will read of these docs
        names.update((d.id, n) for d in docs if (n := known_names(d)) is not None)
    stats["time_index_s"] = time.perf_counter() - t

    t = time.perf_counter()
    n_tokens = dict(zip(light.ids, light.n_tokens.tolist()))
    n_tokens.update({d.id: d.n_tokens for d in new_docs})
    new_ids = {d.id for d in new_docs}
    langs = dict(zip(light.ids, light.lang))
    langs.update({d.id: d.lang for d in new_docs})
    implied, agreed = stories_say(groups, new_pairs, say_pairs, n_tokens, settings, new_ids, langs)
    if settings.semantic:
        stats["pairs_agreed"] = float(agreed)
    stats["time_group_s"] += time.perf_counter() - t
    stats["pairs_implied"] = float(len(implied))

    stats["articles_new"] = float(len(new_docs))
    stats["articles_total"] = float(len(light.ids) + len(new_docs))
    stats["pairs"] = float(len(new_pairs)) + len(implied)
    stats["time_total_s"] = time.perf_counter() - t0
    kept = [(a, b, tuple(sorted(why))) for a, b, why in kept_ids]
    held = {d.id: d for d in docs}
    result_docs = IndexedDocs(idx.path, light.ids + [d.id for d in new_docs], held)
    return ScanResult(docs=result_docs, pairs=new_pairs + implied, groups=groups, problems=problems, stats=stats, candidates=kept)


def compare(a: Article | str, b: Article | str, *, settings: Settings | None = None, encoder: Encoder | None = None) -> Pair:
    """Compare two articles (or two texts) and return their pair; relation ``"unrelated"``
    when nothing relates them. The same per-pair flow as a scan (``retold.decide.flow``)."""
    settings = settings or Settings()
    arts = [
        x if isinstance(x, Article) else Article(id=name, text=x)
        for x, name in ((a, "a"), (b, "b"))
    ]
    stats: dict[str, float] = {}
    docs = prepare_docs(arts, settings, encoder, NullProgress(), stats)
    return compare_pair(docs[0], docs[1], settings)
