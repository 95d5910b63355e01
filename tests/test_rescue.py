"""Texts that nothing else places get a partner from the second model (candidates/rescue.py).

Short, name-poor texts in a language the sentence encoder lacks share no rare names or
numbers with their originals and are too short for a sentence rhythm: before the rescue,
such a Croatian review and its English original were never even compared. The texts are
written for this test.
"""

from __future__ import annotations

import pytest

import retold
from retold.config import Settings
from retold.model import Article

EN = (
    "I bought this kettle for my mother and she uses it every morning.\n"
    "The water boils quickly and the lid closes firmly, which was the main problem with her old one.\n"
    "After three months it still looks new, although the handle gets a little warm."
)
HR = (
    "Kupio sam ovo kuhalo za majku i ona ga koristi svako jutro.\n"
    "Voda brzo zavrije, a poklopac se čvrsto zatvara, što je bio glavni problem s njezinim starim kuhalom.\n"
    "Nakon tri mjeseca još uvijek izgleda kao novo, iako se ručka malo zagrije."
)
OTHERS_EN = [
    "The shoes looked nice in the pictures, but they were far too narrow for my feet.\n"
    "I returned them after one walk around the block because my toes hurt.\n"
    "The seller refunded the money quickly, so at least that part went well.",
    "This lamp gives a warm light that is perfect for reading in bed at night.\n"
    "Assembly took a few minutes and needed no tools at all.\n"
    "My only complaint is that the switch on the cable feels rather cheap.",
    "We use this blender almost every day for soups and smoothies in our family.\n"
    "It is loud, but it crushes ice without any trouble and cleans easily.\n"
    "The jug has already cracked once, and the replacement took two weeks to arrive.",
]
OTHER_HR = (
    "Ove slušalice imaju dobar zvuk, ali baterija traje kraće nego što piše u opisu.\n"
    "Nakon dva sata slušanja moram ih ponovno puniti, što je vrlo nezgodno na putovanjima.\n"
    "Za ovu cijenu ipak sam zadovoljan, ali sljedeći put kupit ću neki drugi model."
)


@pytest.fixture
def e5_backend(monkeypatch):
    """The slow second model (E5 itself, ``RETOLD_SECOND_MODEL=e5``), whose reads are budgeted:
    the budgets are about it; the static encoder read every text in the sign stage."""
    monkeypatch.setenv("RETOLD_SECOND_MODEL", "e5")


def _articles() -> list[Article]:
    arts = [Article(id="en", text=EN, lang="en"), Article(id="hr", text=HR, lang="hr"), Article(id="other_hr", text=OTHER_HR, lang="hr")]
    arts += [Article(id=f"other_en{k}", text=t, lang="en") for k, t in enumerate(OTHERS_EN)]
    return arts


@pytest.fixture(scope="module")
def rescued():
    return retold.scan(_articles(), settings=Settings(keep_candidates=True))


def test_an_orphan_is_compared_with_its_original_and_found_a_translation(rescued):
    why = {frozenset((a, b)): sig for a, b, sig in rescued.candidates}
    sig = set(why[frozenset(("en", "hr"))])
    assert sig and sig <= {"rescue", "static"}, "only the second model can propose this pair"
    # with the static second model its neighbours place the Croatian texts before any is an orphan
    assert rescued.stats["rescue_orphans"] == 2.0 if "rescue" in sig else rescued.stats["rescue_orphans"] < 2.0
    pairs = {frozenset((p.a, p.b)): p for p in rescued.pairs}
    p = pairs.get(frozenset(("en", "hr")))
    assert p is not None and p.relation == "translation"
    assert min(p.coverage_a, p.coverage_b) >= 0.65
    assert [x.kind for x in p.passages] == ["translation"] * 3, "each sentence aligned with its translation"
    assert any(set(g.members) == {"en", "hr"} for g in rescued.families)


def test_the_other_rescued_pairs_are_not_called_reuse(rescued):
    for p in rescued.pairs:
        if p.relation in ("translation", "rewrite", "duplicate", "near_duplicate", "partial"):
            assert {p.a, p.b} == {"en", "hr"}, (p.a, p.b, p.relation)


def test_without_the_second_opinion_or_past_its_budget_there_is_no_rescue(e5_backend):
    off = retold.scan(_articles(), settings=Settings(second_opinion=False, keep_candidates=True))
    assert not any("rescue" in sig for _, _, sig in off.candidates)
    assert all({p.a, p.b} != {"en", "hr"} for p in off.pairs)
    tight = retold.scan(_articles(), settings=Settings(rescue_max_texts=3, keep_candidates=True))
    assert tight.stats["rescue_skipped"] == 1.0
    assert not any("rescue" in sig for _, _, sig in tight.candidates)


def test_retold_compare_aligns_a_name_poor_pair_with_the_second_model():
    p = retold.compare(Article(id="en", text=EN, lang="en"), Article(id="hr", text=HR, lang="hr"))
    assert p.relation == "translation" and p.features["rescued"] == 1.0
    q = retold.compare(Article(id="en", text=EN, lang="en"), Article(id="x", text=OTHER_HR, lang="hr"))
    assert q.relation in ("unrelated", None)


def test_index_keeps_the_second_models_vectors_so_a_later_run_reads_no_text_twice(tmp_path, monkeypatch, e5_backend):
    from retold.sign import second as verify  # the second model and its vectors
    from retold.index import Index

    idx = tmp_path / "x.idx"
    first = [a for a in _articles() if a.lang == "en"]
    retold.scan(first, index=idx)
    later = retold.scan([a for a in _articles() if a.id == "hr"], index=idx)
    assert any({p.a, p.b} == {"en", "hr"} and p.relation == "translation" for p in later.pairs)
    stored = {d.article.id: d for d in Index.open(idx).load_docs()}
    assert stored["en"].second_vecs is not None and len(stored["en"].second_vecs) >= verify.LEAD_SENTENCES
    assert stored["hr"].second_vecs is not None, "new docs keep theirs too"

    read: list[str] = []
    model = verify._backend()
    assert model.kind == "e5"

    def counting(sents):
        read.extend(sents)
        return model.encode(sents)

    monkeypatch.setitem(verify._LOADED, "e5", model._replace(encode=counting))
    third = retold.scan([a for a in _articles() if a.id == "other_hr"], index=idx)
    assert third.stats["rescue_orphans"] == 1.0
    assert read and all(s in OTHER_HR for s in read), "only the new text is encoded; the others come from the index"


def test_copies_are_read_once_and_all_proposed(e5_backend):
    """Three near-identical English texts (say, machine translations of one source) are one
    group of copies: the second model reads one of them, and the orphan meets all three."""
    import numpy as np

    from retold.candidates import find_candidates
    from retold.candidates.rescue import copy_groups
    from retold.pipeline import prepare_docs
    from retold.progress import NullProgress

    copies = [EN, EN.replace("kettle", "water kettle"), EN.replace("mother", "mom")]
    arts = [Article(id=f"c{k}", text=t, lang="en") for k, t in enumerate(copies)]
    arts += [Article(id="hr", text=HR, lang="hr")] + [Article(id=f"o{k}", text=t, lang="en") for k, t in enumerate(OTHERS_EN)]
    settings = Settings()
    docs = prepare_docs(arts, settings, None, NullProgress(), {})
    stats: dict[str, float] = {}
    found = find_candidates(docs, np.ones(len(docs), dtype=bool), settings, stats)
    rep = copy_groups(docs, found)
    assert len({int(rep[k]) for k in range(3)}) == 1 and len(set(rep.tolist())) == len(docs) - 2
    assert stats["rescue_texts"] == 1 + 1 + len(OTHERS_EN), "the orphan, one of the three copies, the others"
    rescued = {frozenset((docs[i].article.id, docs[j].article.id)) for (i, j), sig in found.items() if "rescue" in sig}
    assert {frozenset(("hr", f"c{k}")) for k in range(3)} <= rescued


def test_alignment_reads_are_bounded_and_the_clearest_orphans_go_first(e5_backend):
    en = EN + "\nIt was cheaper here than in the shop in town.\nI would buy it again without thinking twice."
    hr = HR + "\nOvdje je bilo jeftinije nego u trgovini u gradu.\nPonovno bih ga kupio bez razmišljanja."
    arts = [Article(id="en", text=en, lang="en"), Article(id="hr", text=hr, lang="hr")]
    arts += [Article(id=f"other_en{k}", text=t, lang="en") for k, t in enumerate(OTHERS_EN)]
    full = retold.scan(arts, settings=Settings(keep_candidates=True))
    assert any({p.a, p.b} == {"en", "hr"} and p.relation == "translation" for p in full.pairs)
    assert full.stats["rescue_sentences"] == 4.0, "the two sentences past the lead, on each side"
    tight = retold.scan(arts, settings=Settings(keep_candidates=True, rescue_max_sentences=3))
    assert tight.stats["rescue_dropped"] == 1.0 and tight.stats["rescue_pairs"] == 0.0
    assert all({p.a, p.b} != {"en", "hr"} for p in tight.pairs)


def test_a_budget_too_small_for_every_orphan_still_serves_those_it_can(e5_backend):
    """Both Croatian texts are orphans with the same four English texts as possible partners:
    the kettle review with them is 5 texts to read, the second orphan one more. A budget of 5
    serves the first (the shorter) and leaves the other without a look, where it used to skip
    the rescue altogether."""
    assert len(HR) < len(OTHER_HR), "the test relies on the kettle review being served first"
    res = retold.scan(_articles(), settings=Settings(rescue_max_texts=5, keep_candidates=True))
    assert res.stats["rescue_orphans"] == 2.0
    assert res.stats["rescue_texts"] == 5.0 and res.stats["rescue_left"] == 1.0
    assert "rescue_skipped" not in res.stats
    rescued = {frozenset((a, b)) for a, b, sig in res.candidates if "rescue" in sig}
    assert rescued and all("hr" in pair for pair in rescued), "only the served orphan gets partners"
    assert any({p.a, p.b} == {"en", "hr"} and p.relation == "translation" for p in res.pairs)


def test_a_budget_that_serves_few_orphans_at_a_high_cost_is_not_spent(monkeypatch, e5_backend):
    """Where not every orphan fits, those served must be served cheaply: at most
    MAX_TEXTS_PER_ORPHAN texts read per orphan (here lowered to 2, so that the 5 texts read for
    one of the two orphans are too many), else the rescue is skipped as a whole."""
    from retold.candidates import rescue

    monkeypatch.setattr(rescue, "MAX_TEXTS_PER_ORPHAN", 2)
    res = retold.scan(_articles(), settings=Settings(rescue_max_texts=5, keep_candidates=True))
    assert res.stats["rescue_skipped"] == 1.0 and res.stats["rescue_left"] == 2.0
    assert not any("rescue" in sig for _, _, sig in res.candidates)


def test_a_pair_proposed_by_sentence_rhythm_alone_goes_to_the_second_model_when_names_cannot_align_it(e5_backend):
    """A name-poor Finnish translation that only its sentence lengths tied to its original
    ("shape"): names align none of it, so the second model aligns it, as for a rescued pair.
    The same pair proposed by shared names is left to the names, and so is a rhythm-only pair
    of a text that already has its translation."""
    from retold.engines.local import LocalEngine
    from retold.pipeline import compare_candidates, prepare_docs
    from retold.progress import NullProgress
    from retold.sign import default_encoder

    from library_texts import LIBRARY_EN as en, LIBRARY_FI as fi

    stranger = (
        "The football club sold its best striker to a rival on Friday evening. "
        "Supporters gathered outside the stadium to protest against the decision. "
        "The coach said that the team would need time to find a new leader. "
        "The transfer fee was not disclosed, but it is thought to be a record. "
        "The next match will be played at home against the league leaders."
    )
    s = Settings()
    arts = [Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi"), Article(id="en2", text=stranger, lang="en")]
    docs = prepare_docs(arts, s, default_encoder(s), None, {})
    engine = LocalEngine(threads=1)
    by_shape = compare_candidates(docs, {(0, 1): {"shape"}}, s, engine, NullProgress())
    assert len(by_shape) == 1 and by_shape[0].features["rescued"] == 1.0
    assert by_shape[0].relation == "translation"
    by_names = compare_candidates(docs, {(0, 1): {"anchors"}}, s, engine, NullProgress())
    assert all("rescued" not in p.features for p in by_names)
    # once the Finnish text has its original, its other rhythm-only pairs are not worth the second model's time
    placed = compare_candidates(docs, {(0, 1): {"rescue"}, (1, 2): {"shape"}}, s, engine, NullProgress())
    assert any({p.a, p.b} == {"en", "fi"} and p.relation == "translation" for p in placed)
    assert all("rescued" not in p.features for p in placed if {p.a, p.b} == {"fi", "en2"})
    assert docs[2].second_vecs is None, "the second model never read the stranger"
    stats: dict[str, float] = {}
    alone = compare_candidates(docs, {(1, 2): {"shape"}}, s, engine, NullProgress(), stats)
    assert docs[2].second_vecs is not None, "the Finnish text without a partner: the second model was asked"
    assert stats["shape_looked"] == 1.0 and stats["shape_asked"] == 0.0, "its leads match no better than strangers'"
    assert not any(p.relation == "translation" for p in alone), "and it does not make the stranger a translation"


def test_the_summary_says_what_the_second_model_read_for_rhythm_only_pairs_and_the_orphans_left():
    from rich.console import Console

    from retold.model import ScanResult
    from retold.show.terminal import print_summary

    stats = {"rescue_orphans": 76.0, "rescue_pairs": 180.0, "rescue_left": 6.0,
             "shape_looked": 18.0, "shape_asked": 1.0, "shape_sentences": 86.0}
    console = Console(record=True, width=200)
    print_summary(ScanResult(docs={}, pairs=[], groups=[], problems=[], stats=stats), console=console)
    out = console.export_text()
    assert "6 of them were not looked at" in out
    assert "18 pair(s) that only their sentence rhythm proposed" in out and "86 sentences read" in out
    quiet = Console(record=True, width=200)
    print_summary(ScanResult(docs={}, pairs=[], groups=[], problems=[], stats={}), console=quiet)
    assert "sentence rhythm" not in quiet.export_text()


def test_the_static_second_model_reads_every_text_once_so_no_budget_holds_a_rescue_back(tmp_path):
    """With the static encoder (the default) every article gets its sentence vectors in the
    sign stage, the index keeps them, and a budget of E5's reads does not apply."""
    from retold.index import Index
    from retold.sign import second

    assert second.kind() == "static"
    tight = retold.scan(_articles(), settings=Settings(rescue_max_texts=3, rescue_max_sentences=3, keep_candidates=True))
    assert "rescue_skipped" not in tight.stats and tight.stats["rescue_sentences"] == 0.0
    assert any({p.a, p.b} == {"en", "hr"} and p.relation == "translation" for p in tight.pairs)
    idx = tmp_path / "s.idx"
    retold.scan(_articles(), index=idx)
    stored = {d.article.id: d for d in Index.open(idx).load_docs()}
    for d in stored.values():
        n = len(d.content_sentences())
        assert d.second_vecs is not None and d.second_vecs.shape == (n, second._backend().dim), d.article.id


def test_static_neighbours_pair_only_texts_in_two_languages_one_of_which_the_encoder_lacks():
    import numpy as np

    from retold.candidates import static_candidates
    from retold.pipeline import prepare_docs
    from retold.progress import NullProgress

    copy_hr = Article(id="hr2", text=HR.replace("majku", "mamu"), lang="hr")
    settings = Settings()
    docs = prepare_docs(_articles() + [copy_hr], settings, None, NullProgress(), {})
    found = static_candidates(docs, np.ones(len(docs), dtype=bool), settings)
    ids = {frozenset((docs[i].id, docs[j].id)) for i, j in found}
    assert frozenset(("en", "hr")) in ids and frozenset(("en", "hr2")) in ids
    for i, j in found:
        assert docs[i].lang != docs[j].lang, "one language has its words and names"
        assert docs[i].sent_vecs is None or docs[j].sent_vecs is None, "two texts USE reads have its own neighbours"
    strict = static_candidates(docs, np.ones(len(docs), dtype=bool), Settings(static_min_cosine=0.99))
    assert not strict
