"""Names and content words (sign/names.py) are whole words in every script, and a rewording in
one language whose words changed is told by the meaning of its name-aligned sentences."""

from __future__ import annotations

import re

import pytest

from retold.clean import prepare
from retold.compare.evidence import names_align_words_do_not
from retold.config import Settings
from retold.decide.relation import classify
from retold.model import Article, Features
from retold.sign.names import doc_words, sentence_names

# the vowel signs of these scripts are combining marks (\w leaves them out)
TEXTS = {
    "hi": "केंद्र सरकार ने मंगलवार को नई शिक्षा नीति की घोषणा की। प्रधानमंत्री ने कहा कि विद्यालयों में "
    "प्रयोगशालाएँ बनाई जाएँगी। विपक्षी दलों ने बजट की आलोचना की।",
    "bn": "কেন্দ্রীয় সরকার মঙ্গলবার নতুন শিক্ষানীতি ঘোষণা করেছে। প্রধানমন্ত্রী বলেছেন বিদ্যালয়ে "
    "গবেষণাগার তৈরি হবে। বিরোধী দলগুলো বাজেটের সমালোচনা করেছে।",
    "th": "รัฐบาล ประกาศ นโยบาย การศึกษา ใหม่ เมื่อวันอังคาร นายกรัฐมนตรี กล่าวว่า โรงเรียน จะ มี "
    "ห้องปฏิบัติการ พรรคฝ่ายค้าน วิจารณ์ งบประมาณ",
}


def _doc(text: str, lang: str):
    (d,) = prepare([Article(id=lang, text=text, lang=lang)], Settings())
    return d


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_content_words_are_whole_words_not_pieces_cut_at_vowel_signs(lang: str) -> None:
    text = TEXTS[lang]
    tokens = {t.lower() for t in re.split(r"[\s।,.]+", text) if t}
    words = doc_words(_doc(text, lang))
    assert words, "some rarer content words are read"
    pieces = [w for w in words if w not in tokens]
    assert not pieces, f"words cut inside a word: {pieces}"


def test_numbers_in_devanagari_text_are_names_and_a_word_with_marks_stays_one() -> None:
    d = _doc("सरकार ने 2024 में 350 करोड़ रुपये दिए। Modi ने कहा।", "hi")
    keys = set(sentence_names(d, 0))
    assert {"#2024", "#350"} <= keys


# --- the decision: a one-language rewording whose words changed (decide/relation.py) --------


def _reworded(**kw: float | bool | None) -> Features:
    """A pair in one language without sentence vectors whose names align most of both sides, in
    order, while only a fifth of their content words do: a machine translation set against a
    human one of the same source, in a language that inflects."""
    base: dict = dict(
        encoded=False,
        same_lang=True,
        order=0.9,
        aligned_a=0.85,
        aligned_b=0.8,
        names_overlap=0.3,
        words_aligned_a=0.22,
        words_aligned_b=0.18,
        second_contrast=0.3,
    )
    base.update(kw)
    return Features(**base)


def test_names_aligned_words_changed_and_meaning_vouched_is_a_rewrite() -> None:
    rel, score = classify(_reworded())
    assert rel == "rewrite" and 0.5 < score <= 1.0


def test_without_the_second_models_word_it_is_no_rewrite() -> None:
    assert classify(_reworded(second_contrast=None))[0] != "rewrite"
    assert classify(_reworded(second_contrast=0.02))[0] != "rewrite"


def test_texts_that_repeat_names_but_share_no_words_are_no_rewrite() -> None:
    # two stories on other events that repeat a few names keep next to none of their words
    assert classify(_reworded(words_aligned_a=0.01, words_aligned_b=0.0))[0] != "rewrite"


def test_out_of_order_alignment_is_no_rewrite() -> None:
    assert classify(_reworded(order=0.2))[0] != "rewrite"


def test_the_second_model_is_asked_only_for_such_pairs() -> None:
    t = Settings().thresholds
    assert names_align_words_do_not(_reworded(), t)
    assert not names_align_words_do_not(_reworded(words_aligned_a=0.01), t)  # words gone
    assert not names_align_words_do_not(_reworded(words_aligned_a=0.9, words_aligned_b=0.8), t)  # words agree
    assert not names_align_words_do_not(_reworded(aligned_a=0.1), t)  # names align too little
    assert not names_align_words_do_not(_reworded(words_aligned_a=None), t)
