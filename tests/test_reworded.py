"""Paraphrased partial reuse (compare/reworded.py, decide/relation.py): a roundup that rewords
three sentences of a wire story is ``partial`` with passages of kind ``paraphrase``; an
independent report of the same event, which shares its facts but not its sentences, is not."""

from __future__ import annotations

from dataclasses import replace

import pytest

import retold
from retold.compare import compare_docs
from retold.config import Settings
from retold.decide import decide_pair
from retold.model import Article
from retold.pipeline import prepare_docs
from retold.progress import NullProgress
from retold.sign import default_encoder, second

WIRE = (
    "The city council of Westbrook approved a new budget of 42 million dollars on Tuesday evening. "
    "The plan raises spending on public schools by eight percent and cuts the road repair fund by a quarter. "
    "Mayor Ellen Hartley said the vote was the hardest decision of her first term. "
    "Three council members voted against the budget, citing concerns about rising property taxes. "
    "The new budget takes effect on the first of July. "
    "Residents packed the council chamber for more than four hours of public comment. "
    "Several teachers spoke in favour of the school funding increase. "
    "A group of local business owners asked the council to delay the vote until autumn."
)

# three of the wire's first four sentences, reworded, among news of other towns
ROUNDUP = (
    "Here is what happened across the region this week. "
    "In Westbrook, the city council on Tuesday evening approved a new 42 million dollar budget. "
    "The plan lifts public school spending by eight percent while cutting the road repair fund by a quarter. "
    "Mayor Ellen Hartley called the vote the hardest decision of her first term. "
    "In Millford, the annual harvest festival drew a record crowd of twelve thousand visitors. "
    "Organisers said the pumpkin contest alone attracted more than two hundred entries. "
    "The county library system announced it will extend its weekend opening hours starting next month. "
    "Officials in Carver Falls reopened the old river bridge after a two year renovation. "
    "The bridge now carries a separate lane for cyclists and a wider footpath. "
    "Weather forecasters expect the first frost of the season by the end of next week."
)

# the same event, reported from the same facts in other sentences
INDEPENDENT = (
    "Westbrook will spend more on its classrooms next year. "
    "After a long and at times heated session, councillors backed Ellen Hartley's spending plan by a vote of six to three. "
    "Critics on the council warned that homeowners would face higher tax bills. "
    "Teachers in the audience applauded when the result was announced. "
    "Road maintenance is the big loser, with crews expecting far fewer repairs next summer. "
    "Shop owners had pressed for the decision to be postponed. "
    "The measures apply from July."
)


def test_a_roundup_that_rewords_three_sentences_is_partial_with_paraphrase_passages():
    p = retold.compare(Article(id="wire", text=WIRE), Article(id="roundup", text=ROUNDUP))
    assert p.relation == "partial"
    assert p.features.reworded_n >= 2
    reworded = [x for x in p.passages if x.kind == "paraphrase"]
    shown = " ".join(WIRE[x.a_start : x.a_end] for x in p.passages)
    for sentence in ("approved a new budget", "raises spending on public schools", "hardest decision of her first term"):
        assert sentence in shown
    assert reworded, "the reworded sentences come back as passages"
    # one way: most of the wire's sentences are not in the roundup, and less of the roundup is the wire's
    assert 0.3 < p.coverage_a < 0.6 and p.coverage_b < p.coverage_a
    assert p.features.verbatim_a < 0.2  # a verbatim partial would not have found it


def test_an_independent_report_of_the_same_event_is_not_partial():
    p = retold.compare(Article(id="wire", text=WIRE), Article(id="indep", text=INDEPENDENT))
    assert p.relation not in ("partial", "rewrite", "near_duplicate", "duplicate")
    assert p.features.reworded_n == 0


def test_meaning_alone_is_not_enough_the_words_must_be_kept_too():
    s = Settings()
    strict = replace(s, thresholds=replace(s.thresholds, reworded_min_words=1.01))
    p = retold.compare(Article(id="wire", text=WIRE), Article(id="roundup", text=ROUNDUP), settings=strict)
    assert p.features.reworded_n == 0
    assert p.relation != "partial"


@pytest.mark.skipif(not second.cheap(), reason="the static second model's table is not installed")
def test_texts_without_encoder_vectors_are_judged_on_the_static_models_vectors():
    s = Settings()
    docs = prepare_docs(
        [Article(id="w", text=WIRE), Article(id="r", text=ROUNDUP), Article(id="i", text=INDEPENDENT)],
        s,
        default_encoder(s),
        NullProgress(),
        {},
    )
    for d in docs:  # as for a language the encoder does not cover
        d.sent_vecs = None
        d.vec = None
    wire, roundup, indep = docs
    got = decide_pair(wire, roundup, compare_docs(wire, roundup, s), s, keep_unrelated=True)
    assert got.features.encoded is False
    assert got.relation == "partial" and got.features.reworded_n >= 2
    other = decide_pair(wire, indep, compare_docs(wire, indep, s), s, keep_unrelated=True)
    assert other.relation != "partial" and other.features.reworded_n == 0


def test_a_scan_puts_the_wire_and_its_roundup_in_one_family():
    res = retold.scan([Article(id="wire", text=WIRE), Article(id="roundup", text=ROUNDUP), Article(id="indep", text=INDEPENDENT)])
    rel = {frozenset((p.a, p.b)): p.relation for p in res.pairs}
    assert rel[frozenset(("wire", "roundup"))] == "partial"
    assert rel.get(frozenset(("wire", "indep"))) != "partial"
    families = [set(g.members) for g in res.groups if g.kind == "family"]
    assert {"wire", "roundup"} in [f & {"wire", "roundup"} for f in families]


def test_a_copy_both_ways_is_not_searched_for_reworded_sentences():
    """Verbatim coverage at the near-duplicate cut on both sides decides the pair alone: the
    reworded search (a cost on every copy pair) does not run, and the relation is the copy's."""
    edited = WIRE.replace("on Tuesday", "on Wednesday", 1)
    assert edited != WIRE
    p = retold.compare(Article(id="wire", text=WIRE), Article(id="edited", text=edited))
    assert p.relation in ("duplicate", "near_duplicate")
    assert p.features.reworded_n is None and p.features.reworded_a is None
    assert not [x for x in p.passages if x.kind == "paraphrase"]
    roundup = retold.compare(Article(id="wire", text=WIRE), Article(id="roundup", text=ROUNDUP))
    assert roundup.features.reworded_n is not None  # not a copy both ways: looked for
