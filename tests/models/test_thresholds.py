"""khabar.models.thresholds: per-label thresholds where dev F1 peaks, and the one decision rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from property_counts import examples
from sklearn.metrics import f1_score

from khabar.models.thresholds import (DEFAULT_THRESHOLD, OFFSET_GRID, choose_offsets, choose_thresholds, labels_above,
                                     multi_hot)


def test_multi_hot_follows_the_label_order_and_ignores_unknown_names():
    out = multi_hot([("b",), ("a", "b"), ("zzz",)], ["a", "b"])
    assert out.tolist() == [[0, 1], [1, 1], [0, 0]]


@settings(max_examples=examples(80), deadline=None)
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


# -- one label: per-label offsets to the log-probabilities ----------------------------------------------


def _macro(log_proba, gold, offsets):
    labels = list(range(log_proba.shape[1]))
    present = [k for k in labels if (gold == k).any()]
    return f1_score(gold, (log_proba + offsets).argmax(axis=1), labels=present, average="macro", zero_division=0)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 1), st.floats(0.01, 1), st.floats(0.01, 1), st.integers(0, 2)),
                min_size=3, max_size=40))
def test_offsets_never_lower_macro_f1_below_the_plain_arg_max(rows):
    """Coordinate ascent starts at 0 and 0 is on the grid: the chosen offsets decide at least as
    well as none on the data they were chosen on."""
    log_proba = np.log(np.array([r[:3] for r in rows]))
    gold = np.array([r[3] for r in rows])
    offsets = choose_offsets(log_proba, gold)
    assert offsets[0] == 0 and all(v in OFFSET_GRID for v in offsets)
    assert _macro(log_proba, gold, offsets) >= _macro(log_proba, gold, np.zeros(3)) - 1e-12


def test_a_middle_label_the_arg_max_never_picks_gets_an_offset_that_recovers_it():
    # one relatedness score s: label 0 (high s) and label 2 (low s) are linear in s, label 1 is flat
    # and loses the arg-max everywhere, though the gold has it in the middle band
    s = np.linspace(-1, 1, 90)
    log_proba = np.column_stack([2 * s, np.full_like(s, -0.3), -2 * s])
    gold = np.where(s > 0.33, 0, np.where(s < -0.33, 2, 1))
    assert not (log_proba.argmax(axis=1) == 1).any()
    offsets = choose_offsets(log_proba, gold)
    decided = (log_proba + offsets).argmax(axis=1)
    assert offsets[1] > 0.3
    assert f1_score(gold == 1, decided == 1) > 0.8


def test_a_label_absent_from_the_held_out_data_keeps_offset_zero():
    log_proba = np.log(np.array([[0.6, 0.1, 0.3], [0.2, 0.1, 0.7], [0.5, 0.2, 0.3]]))
    assert choose_offsets(log_proba, np.array([0, 2, 0]))[1] == 0.0
