"""khabar.models.thresholds: per-label thresholds where dev F1 peaks, and the one decision rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from khabar.models.thresholds import DEFAULT_THRESHOLD, choose_thresholds, labels_above, multi_hot


def test_multi_hot_follows_the_label_order_and_ignores_unknown_names():
    out = multi_hot([("b",), ("a", "b"), ("zzz",)], ["a", "b"])
    assert out.tolist() == [[0, 1], [1, 1], [0, 0]]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=2, max_size=30)
       .filter(lambda r: any(g for _, _, g in r)), st.booleans())
def test_the_chosen_threshold_reaches_the_best_f1_any_threshold_can(rows, floor):
    """Brute force over every cut, with the decisions `labels_above` makes (with the floor, a row's
    top label is given whatever its threshold): no threshold gives the label a higher F1."""
    proba = np.array([[p, other] for p, other, _ in rows])
    gold = np.array([[int(g), 0] for _, _, g in rows])
    thresholds, _ = choose_thresholds(proba, gold, floor=floor)

    def f1_at(t):
        decided = labels_above(proba, np.array([t, thresholds[1]]), allow_none=not floor)
        return f1_score(gold[:, 0], [0 in row for row in decided], zero_division=0)

    best = max(f1_at(c) for c in list(proba[:, 0]) + [1.1])
    assert f1_at(thresholds[0]) >= best - 1e-9


def test_the_threshold_sits_between_dev_scores_not_on_one():
    proba = np.array([[0.9], [0.7], [0.3], [0.1]])
    gold = np.array([[1], [1], [0], [0]])
    (t,), _ = choose_thresholds(proba, gold, floor=False)
    assert 0.3 < t < 0.7 and t not in (0.3, 0.7)


def test_a_label_with_no_dev_positive_keeps_the_default():
    proba = np.array([[0.9, 0.2], [0.1, 0.4]])
    gold = np.array([[1, 0], [0, 0]])
    thresholds, uninformed = choose_thresholds(proba, gold)
    assert uninformed == [1] and thresholds[1] == DEFAULT_THRESHOLD


def test_labels_above_orders_by_probability_and_floors_at_the_top_label():
    proba = np.array([[0.6, 0.9, 0.1], [0.2, 0.3, 0.1], [0.8, 0.1, 0.7]])
    thresholds = np.array([0.5, 0.5, 0.65])
    assert labels_above(proba, thresholds) == [[1, 0], [1], [0, 2]]
    assert labels_above(proba, thresholds, allow_none=True) == [[1, 0], [], [0, 2]]
    # a lower-ranked label passes its threshold, the top one does not: the top one is still given
    assert labels_above(np.array([[0.4, 0.6]]), np.array([0.3, 0.7])) == [[1, 0]]
    assert labels_above(np.array([[0.4, 0.6]]), np.array([0.3, 0.7]), allow_none=True) == [[0]]
