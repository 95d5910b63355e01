"""Pairs implied by the groups: members of one story, stories of one storyline."""

from __future__ import annotations

from retold.group.implied import implied_pairs
from retold.model import Group, Pair


def _pair(a: str, b: str, rel: str) -> Pair:
    return Pair(a, b, rel, 0.9, 0.1, 0.1)


def _story(i: int, *ids: str) -> Group:
    return Group(kind="story", id=f"S{i}", members=list(ids))


def test_members_of_one_story_are_same_story_when_not_compared():
    stories = [_story(1, "a", "b", "c")]
    pairs = [_pair("a", "b", "same_story"), _pair("b", "c", "rewrite")]
    got = implied_pairs(stories, pairs)
    assert [(p.a, p.b, p.relation, p.basis) for p in got] == [("a", "c", "same_story", "story")]
    assert abs(got[0].score - 2 / 3) < 1e-9, "score: share of the story's pairs observed as one event"
    assert got[0].passages == [] and got[0].coverage_a == 0.0


def test_a_storyline_needs_enough_observed_links():
    stories = [_story(1, "a", "b", "c"), _story(2, "d", "e")]
    inside = [_pair("a", "b", "same_story"), _pair("b", "c", "same_story"), _pair("a", "c", "same_story"), _pair("d", "e", "same_story")]
    links = [_pair("a", "d", "related"), _pair("b", "d", "related"), _pair("c", "e", "related")]
    got = implied_pairs(stories, inside + links)
    assert sorted((p.a, p.b) for p in got) == [("a", "e"), ("b", "e"), ("c", "d")]
    assert all(p.relation == "related" and p.basis == "storyline" and p.score == 0.5 for p in got)
    # two links out of six cross pairs: no storyline, nothing implied
    assert implied_pairs(stories, inside + links[:2]) == []


def _two_large_stories(link_to_third: int = 0):
    """Stories of 6 and 5 joined by 6 links that touch every member (6 of 30 cross pairs:
    far below the share rule), plus optionally a third story with more links."""
    s1 = [f"a{i}" for i in range(6)]
    s2 = [f"b{i}" for i in range(5)]
    s3 = [f"c{i}" for i in range(6)]
    stories = [_story(1, *s1), _story(2, *s2), _story(3, *s3)]
    inside = [_pair(x, y, "same_story") for s in (s1, s2, s3) for x, y in zip(s, s[1:])]
    links = [_pair(s1[k], s2[k % 5], "related") for k in range(6)]
    links += [_pair(s1[k % 6], s3[(k + k // 6) % 6], "related") for k in range(link_to_third)]
    return stories, inside + links, s1, s2


def test_a_storyline_of_large_stories_shows_as_coverage_not_share():
    stories, pairs, s1, s2 = _two_large_stories()
    words = dict.fromkeys([*s1, *s2, *(f"c{i}" for i in range(6))], 300)
    # without word counts only the share rule applies: 6 of 30 is too few
    assert all(p.basis == "story" for p in implied_pairs(stories, pairs))
    got = [p for p in implied_pairs(stories, pairs, n_tokens=words) if p.basis == "storyline"]
    assert len(got) == 30 - 6, "every cross pair not compared becomes related"
    assert all({p.a[0], p.b[0]} == {"a", "b"} for p in got)
    # chats of a few words do not make a storyline, however well linked
    short = dict.fromkeys(words, 20)
    assert not [p for p in implied_pairs(stories, pairs, n_tokens=short) if p.basis == "storyline"]
    # two thirds of a story untouched by the links: no storyline
    inside = [p for p in pairs if p.relation != "related"]
    few = inside + [_pair(s1[k // 3], s2[k], "related") for k in range(5)]  # from a0 and a1 only
    assert not [p for p in implied_pairs(stories, few, n_tokens=words) if p.basis == "storyline"]


def test_coverage_storylines_join_only_mutually_most_linked_stories():
    stories, pairs, s1, s2 = _two_large_stories(link_to_third=8)
    words = {x: 300 for g in stories for x in g.members}
    got = {(p.a[0], p.b[0]) for p in implied_pairs(stories, pairs, n_tokens=words) if p.basis == "storyline"}
    # story 1 links most to story 3 (8 links), so 1-2 is not a storyline; 1-3 is
    assert got == {("a", "c")}


def test_index_mode_and_large_stories_bound_the_output():
    stories = [_story(1, "a", "b", "c", "d")]
    pairs = [_pair("a", "b", "same_story"), _pair("c", "d", "same_story"), _pair("b", "c", "same_story")]
    got = implied_pairs(stories, pairs, new_ids={"d"})
    assert sorted((p.a, p.b) for p in got) == [("a", "d"), ("b", "d")], "only pairs touching a new article"
    assert implied_pairs(stories, pairs, max_story=3) == []


def test_scan_reports_implied_pairs_with_their_basis(tmp_path):
    import json

    import retold
    from retold.cli.scan import sample_dir
    from retold.config import Settings
    from retold.show.jsonl import read_outputs, write_outputs

    res = retold.scan([sample_dir()])
    compared = {frozenset((p.a, p.b)) for p in res.pairs if p.basis == "compared"}
    implied = [p for p in res.pairs if p.basis != "compared"]
    assert all(frozenset((p.a, p.b)) not in compared for p in implied)
    story_of = {m: g.id for g in res.stories for m in g.members}
    assert all(story_of[p.a] == story_of[p.b] for p in implied if p.basis == "story")
    off = retold.scan([sample_dir()], settings=Settings(implied_pairs=False))
    assert all(p.basis == "compared" for p in off.pairs) and len(off.pairs) == len(compared)
    write_outputs(res, tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    assert {r["basis"] for r in rows} == {p.basis for p in res.pairs}
    assert [p.basis for p in read_outputs(tmp_path)[1]] == [p.basis for p in res.pairs]


def _tr(a: str, b: str, ca: float = 0.9, cb: float = 0.9, score: float = 0.8, relation: str = "translation") -> Pair:
    return Pair(a, b, relation, score, ca, cb)


LANGS = {"en": "en", "is": "is", "ja": "ja", "de": "de", "de2": "de", "uk": "uk"}


def test_two_translations_of_one_text_are_translations_of_each_other():
    from retold.group.implied import pivot_pairs

    got = pivot_pairs([_tr("en", "is", 0.9, 0.7), _tr("en", "ja", 0.8, 0.95, score=0.6)], LANGS)
    assert [(p.a, p.b, p.relation, p.basis) for p in got] == [("is", "ja", "translation", "pivot")]
    p = got[0]
    # is: its own 0.7 to the pivot and the pivot's 0.8 to ja bound it; ja: its 0.95 and the pivot's 0.9
    assert (p.coverage_a, p.coverage_b, p.score) == (0.7, 0.9, 0.6)
    assert not p.passages


def test_no_pivot_for_weak_links_same_language_sisters_or_compared_pairs():
    from retold.group.implied import pivot_pairs

    assert not pivot_pairs([_tr("en", "is", 0.9, 0.5), _tr("en", "ja")], LANGS)  # a link under the coverage
    assert not pivot_pairs([_tr("en", "de"), _tr("en", "de2")], LANGS)  # one language: rewordings, not translations
    assert not pivot_pairs([_tr("en", "is"), _tr("en", "ja"), _tr("is", "ja", relation="same_story")], LANGS)
    assert not pivot_pairs([_tr("en", "is"), _tr("en", "ja", relation="rewrite")], LANGS)
    assert not pivot_pairs([_tr("en", "is"), _tr("en", "ja")], {"en": "en"})  # languages unknown
    implied = Pair("en", "ja", "translation", 0.5, 0.9, 0.9, basis="pivot")
    assert not pivot_pairs([_tr("en", "is"), implied], LANGS)  # only compared pairs are pivots' links


def test_pivot_pairs_index_mode_best_pivot_and_bound():
    from retold.group.implied import pivot_pairs

    pairs = [_tr("en", "is", 0.9, 0.9), _tr("en", "ja", 0.9, 0.9), _tr("uk", "is", 0.7, 0.7), _tr("uk", "ja", 0.7, 0.7)]
    got = pivot_pairs(pairs, LANGS)
    assert [(p.a, p.b, p.coverage_a, p.coverage_b) for p in got if (p.a, p.b) == ("is", "ja")] == [("is", "ja", 0.9, 0.9)]
    assert {(p.a, p.b) for p in pivot_pairs(pairs, LANGS, new_ids={"uk"})} == {("en", "uk")}
    assert not pivot_pairs(pairs, LANGS, max_partners=1)


def test_the_stories_say_translation_before_same_story():
    """After the groups: an Icelandic-Japanese pair that comparing left unrelated comes out as a
    translation through their English original, not as the story's same_story."""
    from retold.group.build import stories_say
    from retold.config import Settings

    stories = [Group(id="s1", kind="story", members=["en", "is", "ja"])]
    compared = [_tr("en", "is"), _tr("en", "ja")]
    implied, _ = stories_say(stories, compared, compared, {"en": 400, "is": 400, "ja": 400}, Settings(), None, LANGS)
    assert [(p.a, p.b, p.relation, p.basis) for p in implied] == [("is", "ja", "translation", "pivot")]
    none, _ = stories_say(stories, compared, compared, {"en": 400, "is": 400, "ja": 400}, Settings())
    assert [(p.a, p.b, p.relation, p.basis) for p in none] == [("is", "ja", "same_story", "story")]


def test_a_compared_same_story_of_sister_translations_becomes_a_translation():
    """Compared into same_story (their own alignment was weak), two strong translations of one
    text in two other languages are translations; the pair's own verdict stays in ``decided``."""
    from retold.config import Settings
    from retold.group.build import stories_say

    stories = [Group(id="s1", kind="story", members=["en", "is", "ja"])]
    own = _tr("is", "ja", 0.2, 0.25, score=0.4, relation="same_story")
    compared = [_tr("en", "is"), _tr("en", "ja"), own]
    implied, agreed = stories_say(stories, compared, compared, {"en": 400, "is": 400, "ja": 400}, Settings(), None, LANGS)
    assert implied == [] and agreed >= 1
    assert (own.relation, own.decided, own.coverage_a, own.coverage_b) == ("translation", "same_story", 0.2, 0.25)
    weak = _tr("is", "ja", 0.2, 0.25, score=0.4, relation="same_story")
    stories_say(stories, [_tr("en", "is", 0.9, 0.5), _tr("en", "ja"), weak], [_tr("en", "is", 0.9, 0.5), _tr("en", "ja"), weak],
                {"en": 400, "is": 400, "ja": 400}, Settings(), None, LANGS)
    assert weak.relation == "same_story" and weak.decided is None  # a link under the coverage: the pair's own stands
