"""Compared story-level pairs take the relation that the stories give them."""

from __future__ import annotations

from retold.group.agree import agree_with_stories
from retold.model import Group, Pair


def _story(i: int, *ids: str) -> Group:
    return Group(kind="story", id=f"S{i}", members=list(ids))


def test_pairs_follow_story_membership_and_keep_their_own_verdict():
    stories = [_story(1, "a", "b"), _story(2, "c")]
    pairs = [
        Pair("a", "b", "related", 0.6, 0.0, 0.0),  # one story: same_story
        Pair("a", "c", "same_story", 0.7, 0.0, 0.0),  # two stories: related
        Pair("b", "c", "related", 0.5, 0.0, 0.0),  # already agrees
        Pair("a", "c", "rewrite", 0.9, 0.8, 0.8),  # reuse is about the texts: stands
        Pair("b", "c", "related", 0.5, 0.0, 0.0, basis="storyline"),  # implied: not ours to touch
    ]
    assert agree_with_stories(pairs, stories) == 2
    assert [(p.relation, p.decided) for p in pairs] == [
        ("same_story", "related"),
        ("related", "same_story"),
        ("related", None),
        ("rewrite", None),
        ("related", None),
    ]
    assert agree_with_stories(pairs, stories) == 0, "a second pass changes nothing"


def test_a_pair_published_too_far_apart_is_not_made_one_event():
    stories = [_story(1, "a", "b")]
    p = Pair("a", "b", "related", 0.6, 0.0, 0.0, features={"date_gap_days": 30.0})
    assert agree_with_stories([p], stories, max_gap_days=4.0) == 0 and p.relation == "related"
    assert agree_with_stories([p], stories) == 1 and p.relation == "same_story"


def test_scan_output_agrees_with_its_stories_and_the_index_keeps_the_pairs_verdict(tmp_path, monkeypatch):
    import retold
    import retold.group.held as held
    from retold.cli.scan import sample_dir
    from retold.index import Index
    from retold.show.jsonl import read_outputs, write_outputs

    real = held.group_links

    def one_story(ids, published, known, links, settings):  # every article in one story: each related pair must follow
        grouping = real(ids, published, known, links, settings)
        grouping.stories = [Group(kind="story", id="S1", members=[x for x, k in zip(ids, known) if k])]
        return grouping

    monkeypatch.setattr(held, "group_links", one_story)
    res = retold.scan([sample_dir()], index=tmp_path / "x.idx")
    changed = {(p.a, p.b): p.decided for p in res.pairs if p.decided}
    assert changed and set(changed.values()) == {"related"}
    left = [p for p in res.pairs if p.relation == "related"]
    assert all(p.features["date_gap_days"] > 4.0 for p in left), "one story: only pairs dated far apart stay related"
    assert res.stats["pairs_agreed"] == len(changed)
    stored = {(p.a, p.b): p.relation for p in Index.open(tmp_path / "x.idx").load_pairs()}
    assert all(stored[k] == own for k, own in changed.items()), "the index keeps each pair's own decision"
    write_outputs(res, tmp_path / "out")
    _, back, _ = read_outputs(tmp_path / "out")
    assert {(p.a, p.b): p.decided for p in back if p.decided} == changed
