"""An article Leiden leaves alone joins the story its own same-event pairs point to."""

from __future__ import annotations

from retold.group import attach_loners


def test_a_loner_vouched_for_by_two_members_joins_their_story():
    # story 0: articles 0-5; article 6 alone (story 1), compared with two members only
    membership = [0, 0, 0, 0, 0, 0, 1]
    edges = [(6, 1), (6, 4)]
    assert attach_loners(membership, edges, [0.8, 0.7]) == [0] * 7


def test_one_link_or_a_close_second_story_keeps_the_loner_alone():
    membership = [0, 0, 0, 1, 1, 1, 2]
    # one member only: one pair's mistake must not move an article
    assert attach_loners(membership, [(6, 1)], [0.9]) == membership
    # two stories pull about as hard: ambiguous, stays alone
    assert attach_loners(membership, [(6, 0), (6, 1), (6, 3), (6, 4)], [0.6, 0.6, 0.5, 0.5]) == membership
    # twice the weight of the next story: joins
    assert attach_loners(membership, [(6, 0), (6, 1), (6, 3)], [0.7, 0.6, 0.5])[6] == 0


def test_only_articles_alone_move_and_only_into_stories_of_two_or_more():
    membership = [0, 0, 1, 1, 2, 3]
    edges = [(2, 0), (2, 1), (4, 5), (4, 5)]
    out = attach_loners(membership, edges, [0.9, 0.9, 0.9, 0.9])
    assert out[2] == 1, "a member of a story of two stays where Leiden put it"
    assert out[4] == 2 and out[5] == 3, "two loners do not merge with each other"
