"""The benchmark's arithmetic, checked against cases worked out by hand (see comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from retold.bench.metrics import (
    NONE,
    adjusted_rand_index,
    bcubed,
    best_threshold,
    binary_scores,
    confusion,
    detection,
    macro_f1,
    per_relation,
    primary,
    rankdata,
    spearman,
)

P = frozenset


def test_primary_is_the_weakest_acceptable_relation() -> None:
    assert primary({"rewrite", "near_duplicate"}) == "rewrite"
    assert primary({"duplicate", "same_story", "partial"}) == "same_story"
    with pytest.raises(ValueError, match="no known relation"):
        primary({"copy"})


# gold: ab translation; ac rewrite|near_duplicate; bc same_story; cd related
# pred: ab translation (right); ac near_duplicate (right: row near_duplicate);
#       bc related (wrong: row same_story); ad rewrite (gold none); cd missed (related -> none)
GOLD = {
    P("ab"): {"translation"},
    P("ac"): {"rewrite", "near_duplicate"},
    P("bc"): {"same_story"},
    P("cd"): {"related"},
}
PRED = {P("ab"): "translation", P("ac"): "near_duplicate", P("bc"): "related", P("ad"): "rewrite"}


def test_confusion_counts_each_pair_once_and_fills_true_negatives() -> None:
    c = confusion(PRED, GOLD, n_items=4)
    assert c.get("translation", "translation") == 1
    assert c.get("near_duplicate", "near_duplicate") == 1
    assert c.get("rewrite", "rewrite") == 0  # the right guess is not charged to the primary
    assert c.get("same_story", "related") == 1
    assert c.get(NONE, "rewrite") == 1
    assert c.get("related", NONE) == 1
    # 4 items -> 6 pairs; 5 named above, so bd is the one (none, none)
    assert c.get(NONE, NONE) == 1
    labels, m = c.matrix()
    assert int(m.sum()) == 6
    assert labels[-1] == NONE


def test_confusion_leaves_ignored_pairs_out() -> None:
    c = confusion(PRED, GOLD, n_items=4, ignore={P("ad")})
    assert c.get(NONE, "rewrite") == 0
    assert sum(c.counts.values()) == 5  # 6 pairs minus the ignored one


def test_per_relation_and_macro_f1() -> None:
    per = per_relation(confusion(PRED, GOLD, n_items=4))
    # translation: tp 1 / pred 1 / true 1 -> F1 1; near_duplicate the same
    assert per["translation"].f1 == 1.0 and per["near_duplicate"].f1 == 1.0
    # rewrite predicted once, never true -> P 0, F1 0
    assert per["rewrite"].precision == 0.0 and per["rewrite"].predicted == 1
    # same_story: true once (bc), never predicted -> R 0
    assert per["same_story"].recall == 0.0 and per["same_story"].support == 1
    # related: predicted on bc (wrong), true on cd (missed) -> 0
    assert per["related"].f1 == 0.0
    assert NONE not in per
    # macro over the 5 relations present: (1 + 1 + 0 + 0 + 0) / 5
    assert macro_f1(confusion(PRED, GOLD, n_items=4)) == pytest.approx(0.4)


def test_macro_f1_of_a_perfect_prediction_is_one_and_empty_is_zero() -> None:
    perfect = {k: sorted(v)[0] for k, v in GOLD.items()}
    assert macro_f1(confusion(perfect, GOLD)) == 1.0
    assert macro_f1(confusion({}, {})) == 0.0


def test_detection_ignores_the_exact_label_within_kinds() -> None:
    gold = {P("ab"): {"translation"}, P("cd"): {"translation"}}
    pred = {P("ab"): "translation", P("ac"): "translation", P("cd"): "rewrite"}
    d = detection(pred, gold, {"translation"})
    # found {ab, ac}, true {ab, cd}: tp 1 -> P 1/2, R 1/2
    assert (d.precision, d.recall) == (0.5, 0.5)
    d2 = detection(pred, gold, {"translation", "rewrite"})
    # now cd counts as found too: tp 2 of 3 found, 2 of 2 true
    assert d2.precision == pytest.approx(2 / 3) and d2.recall == 1.0


U = "abcdef"
GOLD_CL = [{"a", "b", "c"}, {"d", "e", "f"}]
PRED_CL = [{"a", "b"}, {"c", "d"}, {"e", "f"}]


def test_ari_hand_computed() -> None:
    # contingency cells: ab 2, c 1, d 1, ef 2 -> sum C(n,2) = 1 + 0 + 0 + 1 = 2
    # gold sizes 3,3 -> 3 + 3 = 6; pred sizes 2,2,2 -> 3; C(6,2) = 15
    # expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3
    assert adjusted_rand_index(PRED_CL, GOLD_CL, U) == pytest.approx(0.8 / 3.3)
    assert adjusted_rand_index(GOLD_CL, GOLD_CL, U) == 1.0


def test_ari_matches_sklearn_on_random_partitions() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    items = [f"x{i}" for i in range(60)]
    for _ in range(5):
        g, p = rng.integers(0, 7, 60), rng.integers(0, 9, 60)
        gold = [{x for x, lab in zip(items, g) if lab == k} for k in range(7)]
        pred = [{x for x, lab in zip(items, p) if lab == k} for k in range(9)]
        assert adjusted_rand_index(pred, gold, items) == pytest.approx(sk.adjusted_rand_score(g, p))


def test_items_outside_any_cluster_are_singletons() -> None:
    # pred names only {a,b}; c..f are singletons -> same as listing them one by one
    a = adjusted_rand_index([{"a", "b"}], GOLD_CL, U)
    b = adjusted_rand_index([{"a", "b"}, {"c"}, {"d"}, {"e"}, {"f"}], GOLD_CL, U)
    assert a == b
    # everything singleton vs everything singleton: the 0/0 case is agreement
    assert adjusted_rand_index([], [], U) == 1.0


def test_bcubed_hand_computed() -> None:
    # item: |pred ∩ gold| / |pred| , / |gold|
    # a,b: 2/2, 2/3 ; c: 1/2, 1/3 ; d: 1/2, 1/3 ; e,f: 2/2, 2/3
    # P = (1+1+.5+.5+1+1)/6 = 5/6 ; R = (4*(2/3) + 2*(1/3))/6 = 5/9
    # F1 = 2 * 5/6 * 5/9 / (5/6 + 5/9) = 2/3
    s = bcubed(PRED_CL, GOLD_CL, U)
    assert s.precision == pytest.approx(5 / 6)
    assert s.recall == pytest.approx(5 / 9)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.support == 6 and s.predicted == 3
    # all singletons: precision is perfect, recall is 1/3 per item
    s0 = bcubed([], GOLD_CL, U)
    assert s0.precision == 1.0 and s0.recall == pytest.approx(1 / 3)


def test_spearman_hand_computed_and_ties() -> None:
    # d = (0, 1, 1, 0): rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman(np.array([1, 2, 3, 4]), np.array([1, 3, 2, 4])) == pytest.approx(0.8)
    assert list(rankdata(np.array([5.0, 1.0, 5.0, 2.0]))) == [3.5, 1.0, 3.5, 2.0]
    assert math.isnan(spearman(np.array([1, 1, 1]), np.array([1, 2, 3])))


def test_threshold_fit_and_binary_scores() -> None:
    scores = np.array([0.1, 0.4, 0.6, 0.9])
    gold = np.array([False, False, True, True])
    t = best_threshold(scores, gold)
    assert 0.4 < t < 0.6
    s = binary_scores(scores >= 0.5, gold)
    assert s == {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    # one false positive of three predicted: P 2/3, R 1, acc 3/4
    s = binary_scores(scores >= 0.3, gold)
    assert s["precision"] == pytest.approx(2 / 3) and s["accuracy"] == 0.75
