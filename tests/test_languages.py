"""Translations in the languages of WMT22 pairs that the shared data lacks (ja, ru, uk, cs).

The shared copy of WMT22 has de-fr, en-hr, en-zh and fr-de only; the same test set also has
ja-en, ru-en, uk-en, cs-en and cs-uk. Japanese and Russian go through the sentence encoder,
Ukrainian and Czech (which it lacks) through names (Cyrillic transliterated), numbers,
sentence lengths and the second opinion. The texts
are written for this test: one short news report and its translations, plus an unrelated
Ukrainian report of the same shape, with the language left for retold to detect.
"""

from __future__ import annotations

import pytest

import retold
from retold.model import Article

EN = """Heavy rain flooded the centre of Lviv on Tuesday evening, leaving dozens of streets under water.
The city council said that more than 40 millimetres of rain fell in less than two hours.
Firefighters pumped water out of 120 basements and rescued three people from a stranded minibus.
Mayor Andriy Sadovyi asked residents not to drive through the old town until Wednesday morning.
Tram lines 2 and 6 were suspended after water reached the tracks near the opera house.
Forecasters at the Ukrainian Hydrometeorological Centre warned of more storms in western regions.
The last flood of this scale in Lviv was recorded in July 2020.
Insurance companies have already received about 300 claims from drivers and shop owners."""

UK = """Сильна злива у вівторок увечері затопила центр Львова, десятки вулиць опинилися під водою.
У міській раді повідомили, що менш ніж за дві години випало понад 40 міліметрів опадів.
Рятувальники відкачали воду зі 120 підвалів і врятували трьох людей із заблокованого мікроавтобуса.
Міський голова Андрій Садовий попросив мешканців не їздити старим містом до ранку середи.
Рух трамваїв №2 і №6 зупинили, після того як вода дійшла до колій біля оперного театру.
Синоптики Українського гідрометеорологічного центру попередили про нові грози в західних областях.
Востаннє повінь такого масштабу у Львові зафіксували в липні 2020 року.
Страхові компанії вже отримали близько 300 заяв від водіїв і власників магазинів."""

RU = """Сильный ливень во вторник вечером затопил центр Львова, десятки улиц оказались под водой.
В городском совете сообщили, что менее чем за два часа выпало более 40 миллиметров осадков.
Спасатели откачали воду из 120 подвалов и спасли трех человек из застрявшего микроавтобуса.
Мэр Андрей Садовый попросил жителей не ездить по старому городу до утра среды.
Движение трамваев №2 и №6 остановили после того, как вода дошла до путей возле оперного театра.
Синоптики Украинского гидрометеорологического центра предупредили о новых грозах в западных областях.
Последний раз наводнение такого масштаба во Львове зафиксировали в июле 2020 года.
Страховые компании уже получили около 300 заявлений от водителей и владельцев магазинов."""

JA = """火曜日の夕方、激しい雨がリヴィウの中心部を襲い、数十の通りが冠水した。
市議会によると、2時間足らずで40ミリ以上の雨が降った。
消防隊は120の地下室から水をくみ出し、立ち往生したミニバスから3人を救助した。
アンドリー・サドヴィー市長は、水曜日の朝まで旧市街を車で通行しないよう住民に呼びかけた。
オペラハウス付近で水が線路に達したため、路面電車2番線と6番線は運休となった。
ウクライナ水文気象センターの予報官は、西部地域でさらに嵐が発生すると警告した。
リヴィウでこの規模の洪水が記録されたのは2020年7月以来である。
保険会社には、運転手や店主からすでに約300件の請求が寄せられている。"""

CS = """Silný liják v úterý večer zaplavil centrum Lvova a desítky ulic se ocitly pod vodou.
Městská rada uvedla, že za méně než dvě hodiny spadlo více než 40 milimetrů srážek.
Hasiči odčerpali vodu ze 120 sklepů a zachránili tři lidi z uvízlého minibusu.
Starosta Andrij Sadovyj požádal obyvatele, aby až do středečního rána nejezdili starým městem.
Tramvajové linky 2 a 6 byly přerušeny poté, co voda dosáhla kolejí u budovy opery.
Meteorologové Ukrajinského hydrometeorologického centra varovali před dalšími bouřemi v západních oblastech.
Povodeň takového rozsahu byla ve Lvově naposledy zaznamenána v červenci 2020.
Pojišťovny už obdržely asi 300 žádostí od řidičů a majitelů obchodů."""

OTHER_UK = """Київська футбольна команда у неділю перемогла суперників з Одеси з рахунком 3:1 на домашньому стадіоні.
Перший гол забив молодий нападник на 12 хвилині після швидкої атаки з правого флангу.
Гості зрівняли рахунок ще до перерви, скориставшись помилкою захисника біля штрафного майданчика.
У другому таймі господарі повністю контролювали гру і створили кілька небезпечних моментів.
Тренер після матчу подякував уболівальникам, які прийшли підтримати команду попри погану погоду.
Наступну гру команда проведе на виїзді проти лідера чемпіонату в середу ввечері.
Квитки на домашні матчі цього сезону подешевшали майже на 20 відсотків.
Клуб також оголосив про підписання нового контракту з воротарем до 2026 року."""


@pytest.fixture(scope="module")
def scanned():
    arts = [Article(id=k, text=v) for k, v in {"en": EN, "uk": UK, "ru": RU, "ja": JA, "cs": CS, "other_uk": OTHER_UK}.items()]
    return retold.scan(arts)


def test_each_language_is_detected(scanned):
    assert {i: d.lang for i, d in scanned.docs.items()} == {"en": "en", "uk": "uk", "ru": "ru", "ja": "ja", "cs": "cs", "other_uk": "uk"}


@pytest.mark.parametrize("pair", [("en", "uk"), ("en", "ru"), ("en", "ja"), ("en", "cs"), ("cs", "uk")])
def test_translations_of_one_report_are_found_with_passages(scanned, pair):
    rel = {frozenset((p.a, p.b)): p for p in scanned.pairs}
    p = rel.get(frozenset(pair))
    assert p is not None and p.relation == "translation", "-".join(pair)
    assert min(p.coverage_a, p.coverage_b) > 0.6
    assert any(x.kind == "translation" for x in p.passages)


def test_an_unrelated_report_in_the_same_language_and_shape_is_not_reuse(scanned):
    for p in scanned.pairs:
        if "other_uk" in (p.a, p.b):
            assert p.relation not in ("translation", "rewrite", "duplicate", "near_duplicate", "partial"), (p.a, p.b, p.relation)
    family = [g for g in scanned.families if "en" in g.members]
    assert family and set(family[0].members) == {"en", "uk", "ru", "ja", "cs"}


HR_REVIEW = (
    "Kupio sam ovo kuhalo za majku i ona ga koristi svako jutro.\n"
    "Voda brzo zavrije, a poklopac se čvrsto zatvara, što je bio glavni problem s njezinim starim kuhalom.\n"
    "Nakon tri mjeseca još uvijek izgleda kao novo, iako se ručka malo zagrije."
)
#: the same review put into other Croatian words (as a second translation system would)
HR_REWORDED = (
    "Ovo kuhalo kupio sam mami i ona ga svako jutro koristi.\n"
    "Voda se brzo zagrije do vrenja, a poklopac se dobro zatvara, što je bio najveći problem s njezinim prijašnjim kuhalom.\n"
    "I nakon tri mjeseca izgleda kao novo, premda se drška malo ugrije."
)
#: another review of a kettle: the same subject, other content
HR_OTHER_KETTLE = (
    "Kuhalo je stiglo brzo i bilo je dobro zapakirano.\n"
    "Sviđa mi se boja i to što je lagano, ali kabel je prekratak za našu kuhinju.\n"
    "Za sada radi bez ikakvih problema i voda zavrije za dvije minute."
)


def test_two_rewordings_in_a_language_the_encoder_lacks_are_a_rewrite():
    """Croatian has no sentence vectors: shared content words propose the pair ("words") and
    align it sentence by sentence; no second model is needed, and another review of the same
    kind of product is not a rewrite."""
    from retold.config import Settings

    arts = [Article(id="hr", text=HR_REVIEW, lang="hr"), Article(id="hr2", text=HR_REWORDED, lang="hr"),
            Article(id="hr3", text=HR_OTHER_KETTLE, lang="hr")]
    res = retold.scan(arts, settings=Settings(keep_candidates=True, second_opinion=False))
    why = {frozenset((a, b)): sig for a, b, sig in res.candidates}
    assert "words" in why[frozenset(("hr", "hr2"))]
    pairs = {frozenset((p.a, p.b)): p for p in res.pairs}
    p = pairs[frozenset(("hr", "hr2"))]
    assert p.relation == "rewrite", (p.relation, p.features)
    assert min(p.features["words_aligned_a"], p.features["words_aligned_b"]) >= 0.65
    assert min(p.coverage_a, p.coverage_b) >= 0.65
    assert sum(q.kind == "paraphrase" for q in p.passages) >= 2
    assert all(q.relation not in ("rewrite", "translation", "near_duplicate") for k, q in pairs.items() if "hr3" in k)


def test_a_rewording_is_found_against_an_indexed_text(tmp_path):
    """The words path in index mode: the earlier text comes back from the index, not from this run."""
    from retold.config import Settings

    idx = tmp_path / "hr.idx"
    s = Settings(second_opinion=False)
    retold.scan([Article(id="hr", text=HR_REVIEW, lang="hr"), Article(id="hr3", text=HR_OTHER_KETTLE, lang="hr")], settings=s, index=idx)
    res = retold.scan([Article(id="hr2", text=HR_REWORDED, lang="hr")], settings=s, index=idx)
    got = {frozenset((p.a, p.b)): p.relation for p in res.pairs}
    assert got.get(frozenset(("hr", "hr2"))) == "rewrite"
    assert got.get(frozenset(("hr2", "hr3"))) not in ("rewrite", "near_duplicate", "duplicate")
