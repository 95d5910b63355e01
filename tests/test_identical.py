"""Twins (one text, word for word) are compared once and the rest replayed: the pairs must be
exactly those of comparing every pair, dates and directions included."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import retold
from retold.config import Settings
from retold.decide import flow
from retold.decide.identical import class_key, identical_classes, share_plan
from retold.ingest import read_articles
from retold.model import Article

SAMPLE = Path(retold.__file__).parent / "data" / "sample"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _all_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every doc a class of its own: every candidate pair compared in full, as before."""
    monkeypatch.setattr(flow, "identical_classes", lambda docs: np.arange(len(docs), dtype=np.int64))


def _pairs(result) -> list[dict]:  # noqa: ANN001
    return sorted((p.to_dict() for p in result.pairs), key=lambda d: (d["a"], d["b"]))


def _groups(result) -> list[tuple]:  # noqa: ANN001
    return sorted((g.kind, g.origin or "", tuple(sorted(g.members))) for g in result.groups)


def _with_twins(articles: list[Article], copies: int, seed: int) -> list[Article]:
    """The articles plus ``copies`` word-for-word copies of some of them, each with its own
    id and date: one a day later, one three weeks later (past the story gap), one undated."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    out = [Article(id=a.id, text=a.text, title=a.title, source=a.source, published=base + timedelta(hours=k))
           for k, a in enumerate(articles)]
    for a in rng.sample(out, min(copies, len(out))):
        for n, gap in enumerate((timedelta(days=1), timedelta(days=21), None)):
            out.append(Article(id=f"{a.id}~twin{n}", text=a.text, title=a.title, source=a.source,
                               published=None if gap is None else a.published + gap))
    return out


def test_class_keys_follow_what_a_comparison_reads() -> None:
    arts, _ = read_articles([SAMPLE])
    docs = retold.pipeline.prepare_docs(arts[:2] + [Article(id="twin", text=arts[0].text)], Settings(semantic=False),
                                        None, retold.progress.NullProgress(), {})
    assert class_key(docs[0]) == class_key(docs[2]) != class_key(docs[1])
    assert identical_classes(docs).tolist() == [0, 1, 0]
    docs[2].sent_boiler = ~docs[2].sent_boiler  # another site's boilerplate rule set other lines aside
    assert class_key(docs[0]) != class_key(docs[2])


def test_share_plan_compares_one_pair_per_class_pair_and_signals() -> None:
    classes = np.array([0, 1, 0, 0, 4])
    items = [(0, 1), (0, 4), (1, 2), (1, 3), (2, 4), (3, 4)]
    signals = {ij: {"lsh"} for ij in items}
    signals[(3, 4)] = {"ann"}  # another path through the flow: compared on its own
    heads, of = share_plan(items, classes, signals)
    assert heads == [(0, 1), (0, 4), (1, 2), (3, 4)]
    assert of == [0, 1, 2, 2, 1, 3]


@pytest.mark.parametrize("semantic", [False, True])
def test_replayed_pairs_equal_compared_pairs_on_the_sample(monkeypatch: pytest.MonkeyPatch, semantic: bool) -> None:
    arts, _ = read_articles([SAMPLE])
    corpus = _with_twins(arts, copies=4, seed=3)
    hr = next(a for a in corpus if a.id.endswith("_hr"))  # the second model's path: a language the encoder lacks
    corpus += [Article(id=f"{hr.id}~twin{n}", text=hr.text, published=hr.published + timedelta(days=n)) for n in (1, 9)]
    settings = Settings(semantic=semantic)
    shared = retold.scan(corpus, settings=settings)
    assert shared.stats["pairs_replayed"] > 0
    _all_compared(monkeypatch)
    full = retold.scan(corpus, settings=settings)
    assert full.stats["pairs_replayed"] == 0
    assert _pairs(shared) == _pairs(full)
    assert _groups(shared) == _groups(full)
    # the dates were read per pair: a twin three weeks later is dated so, and directions follow them
    gaps = {p.features.date_gap_days for p in shared.pairs if p.a.endswith("~twin1") or p.b.endswith("~twin1")}
    assert any(g is not None and g >= 20 for g in gaps)
    if semantic:  # the Croatian twins are translations of the English original, as the Croatian text is
        assert {p.relation for p in shared.pairs if hr.id + "~twin" in p.a + p.b and "01_northwire" in p.a + p.b} == {"translation"}


@pytest.mark.skipif(not (DATA / "ecbplus").is_dir(), reason="needs ../shared/data")
def test_replayed_pairs_equal_compared_pairs_on_real_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    from retold.bench.corpora_speed import build_corpus, load_base_texts

    corpus = build_corpus(load_base_texts(DATA), 260, seed=11)  # real texts and derived copies, exact ones among them
    arts = _with_twins(corpus.articles[:90], copies=8, seed=5) + corpus.articles[90:]
    shared = retold.scan(arts)
    assert shared.stats["pairs_replayed"] > 50
    _all_compared(monkeypatch)
    full = retold.scan(arts)
    assert _pairs(shared) == _pairs(full)


def _twins_later(articles: list[Article]) -> list[Article]:
    """A second batch: word-for-word twins of the first, each dated later (one by a day, one by
    three weeks), and one undated."""
    out = []
    for k, a in enumerate(articles):
        gap = (timedelta(days=1), timedelta(days=21), None)[k % 3]
        out.append(Article(id=f"{a.id}~later", text=a.text, title=a.title, source=a.source,
                           published=None if gap is None or a.published is None else a.published + gap))
    return out


def _index_run(tmp_path: Path, name: str, first: list[Article], second: list[Article], settings: Settings):  # noqa: ANN202
    idx = tmp_path / f"{name}.idx"
    retold.scan(first, settings=settings, index=idx)
    return retold.scan(second, settings=settings, index=idx)


@pytest.mark.parametrize("semantic", [False, True])
def test_new_twins_of_indexed_docs_replay_their_stored_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, semantic: bool
) -> None:
    from retold.index import twins

    arts, _ = read_articles([SAMPLE])
    first = _with_twins(arts, copies=0, seed=1)  # dated, no twins yet
    second = _twins_later(first[:6]) + [Article(id="fresh", text=first[7].text[::-1])]
    settings = Settings(semantic=semantic)
    replayed = _index_run(tmp_path, "replayed", first, second, settings)
    assert replayed.stats["pairs_from_indexed_twins"] > 0
    monkeypatch.setattr(twins, "replay_indexed_twins", lambda index, docs, n_old, cand, settings: ([], cand))
    compared = _index_run(tmp_path, "compared", first, second, settings)
    assert compared.stats["pairs_from_indexed_twins"] == 0
    assert _pairs(replayed) == _pairs(compared)
    assert _groups(replayed) == _groups(compared)


def test_a_pair_swapped_twice_is_itself() -> None:
    from retold.decide.identical import swapped

    arts, _ = read_articles([SAMPLE])
    res = retold.scan(arts, settings=Settings(semantic=False))
    p = next(p for p in res.pairs if p.passages and p.direction)
    q = swapped(p)
    assert (q.a, q.b, q.coverage_a, q.features.verbatim_a) == (p.b, p.a, p.coverage_b, p.features.verbatim_b)
    assert q.direction != p.direction and q.passages[0].a_start == p.passages[0].b_start
    assert swapped(q).to_dict() == p.to_dict()


def test_twins_on_other_sites_share_with_their_passages_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy with another site's furniture around it (set aside as boilerplate) is a twin: its
    pairs are replayed, and their passages land on the same words of its own text."""
    arts, _ = read_articles([SAMPLE])
    base = _with_twins(arts, copies=0, seed=1)
    dressed = [Article(id=f"{a.id}~site", text=f"Share\n{a.text}\nRead more: the Coast Ledger", source=a.source,
                       published=a.published + timedelta(hours=30)) for a in base[:4]]
    corpus = base + dressed
    settings = Settings(semantic=True)
    docs = retold.pipeline.prepare_docs(corpus, settings, None, retold.progress.NullProgress(), {})
    by_id = {d.id: d for d in docs}
    for a in base[:4]:
        assert class_key(by_id[a.id]) == class_key(by_id[f"{a.id}~site"]), "furniture set aside: one class"
    shared = retold.scan(corpus, settings=settings)
    assert shared.stats["pairs_replayed"] > 0
    _all_compared(monkeypatch)
    full = retold.scan(corpus, settings=settings)
    assert _pairs(shared) == _pairs(full)
    assert _groups(shared) == _groups(full)
    text = {a.id: a.text for a in corpus}
    by_pair = {(p.a, p.b): p for p in shared.pairs}
    moved = 0
    for p in shared.pairs:  # a twin's passages hold the words its original's passages hold
        if not p.b.endswith("~site") or p.a.endswith("~site") or (p.a, p.b[: -len("~site")]) not in by_pair:
            continue
        o = by_pair[(p.a, p.b[: -len("~site")])]
        assert len(o.passages) == len(p.passages)
        for q, r in zip(p.passages, o.passages):
            assert text[p.b][q.b_start:q.b_end] == text[o.b][r.b_start:r.b_end]
            assert (q.a_start, q.a_end) == (r.a_start, r.a_end)
            moved += q.b_start != r.b_start
    assert moved > 0  # and they were moved: "Share" comes first in the twins


def test_new_twins_of_indexed_docs_borrow_their_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A twin of an indexed doc is not encoded again: it gets the indexed one's vectors, row for
    row of its content sentences (another site's furniture around it too), and the same pairs."""
    from retold.index import Index, twins

    arts, _ = read_articles([SAMPLE])
    first = _with_twins(arts, copies=0, seed=1)
    second = [Article(id=f"{a.id}~site", text=f"Share\n{a.text}\nRead more: the Coast Ledger", source=a.source,
                      published=a.published + timedelta(days=1)) for a in first[:5]]
    second.append(Article(id="fresh", text="An entirely new report about a chess final in Reykjavik on Sunday. "
                                           "The champion kept her title after six hours of play."))
    runs = {}
    for name in ("borrowed", "encoded"):
        if name == "encoded":
            monkeypatch.setattr(twins, "borrow_vectors", lambda index, docs: 0)
        idx = tmp_path / f"{name}.idx"
        retold.scan(first, index=idx)
        runs[name] = retold.scan(second, index=idx)
    assert runs["borrowed"].stats["vectors_borrowed"] == 5  # the five twins, not the fresh report
    with Index.open(tmp_path / "borrowed.idx") as ix:
        got = {d.id: d for d in ix.load_docs()}
    for a in first[:5]:
        d, t = got[f"{a.id}~site"], got[a.id]
        assert np.array_equal(d.sent_vecs[d.content_sentences()], t.sent_vecs[t.content_sentences()])
        assert not d.sent_vecs[~np.isin(np.arange(len(d.sent_spans)), d.content_sentences())].any()
        assert np.array_equal(d.vec, t.vec)
    x, y = runs["borrowed"], runs["encoded"]
    assert [(p["a"], p["b"], p["relation"], p["direction"]) for p in _pairs(x)] == [
        (p["a"], p["b"], p["relation"], p["direction"]) for p in _pairs(y)]
    assert _groups(x) == _groups(y)
