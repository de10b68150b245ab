"""khabar.runs.calibration: the risk–coverage figures, the expected calibration error and the
dev-chosen abstain threshold, each checked against a direct computation on a hand-made example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from khabar.errors import KhabarError
from khabar.runs.calibration import (
    choose_threshold, confidence_and_correct, coverage_key, flat_selective, reliability, risk_coverage, selective,
    selective_figures,
)

# ten predictions, most confident first: right, right, wrong, right, right, wrong, right, wrong, wrong, right
CONF = [0.99, 0.95, 0.93, 0.85, 0.80, 0.72, 0.61, 0.50, 0.41, 0.33]
RIGHT = [1, 1, 0, 1, 1, 0, 1, 0, 0, 1]


def _shuffled():
    order = np.random.default_rng(3).permutation(len(CONF))
    return np.array(CONF)[order], np.array(RIGHT, dtype=bool)[order]


def test_coverage_figures_match_a_direct_computation():
    conf, right = _shuffled()  # input order does not matter
    figures = risk_coverage(conf, right)
    # by hand: the k most confident, k = ceil(c * 10)
    assert figures["coverage_100"] == {"accuracy": 6 / 10, "threshold": 0.33, "n": 10}
    assert figures["coverage_95"] == {"accuracy": 6 / 10, "threshold": 0.33, "n": 10}  # ceil(9.5) = 10
    assert figures["coverage_90"] == {"accuracy": 5 / 9, "threshold": 0.41, "n": 9}
    assert figures["coverage_80"] == {"accuracy": 5 / 8, "threshold": 0.50, "n": 8}
    assert figures["coverage_50"] == {"accuracy": 4 / 5, "threshold": 0.80, "n": 5}
    # AURC: the mean of the error rates of the top 1, 2, ..., 10
    errors_so_far = np.cumsum([1 - r for r in RIGHT])
    assert figures["aurc"] == pytest.approx(np.mean(errors_so_far / np.arange(1, 11)))
    assert figures["aurc"] == pytest.approx((0 + 0 + 1 / 3 + 1 / 4 + 1 / 5 + 2 / 6 + 2 / 7 + 3 / 8 + 4 / 9 + 4 / 10) / 10)
    assert coverage_key(0.95) == "coverage_95" and risk_coverage([], []) == {}


def test_aurc_is_zero_for_a_perfect_ranking_and_the_error_rate_for_a_flat_one():
    assert risk_coverage([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0])["aurc"] == pytest.approx((0 + 0 + 1 / 3 + 2 / 4) / 4)
    assert risk_coverage([0.9, 0.8, 0.7], [1, 1, 1])["aurc"] == 0.0


def test_expected_calibration_error_matches_a_direct_computation():
    conf, right = _shuffled()
    got = reliability(conf, right)
    # 15 equal-width bins, closed on the right (calibration_curve's rule): (low, high]
    edges = np.linspace(0, 1, 16)
    ece, bins = 0.0, []
    for b in range(15):
        members = [(c, r) for c, r in zip(CONF, RIGHT) if (edges[b] < c <= edges[b + 1]) or (b == 0 and c == 0)]
        if members:
            acc = sum(r for _, r in members) / len(members)
            mean = sum(c for c, _ in members) / len(members)
            ece += len(members) / len(CONF) * abs(acc - mean)
            bins.append((len(members), acc, mean))
    assert got["ece"] == pytest.approx(ece)
    assert [(b["n"], b["accuracy"], b["confidence"]) for b in got["bins"]] == [pytest.approx(b) for b in bins]
    assert sum(b["n"] for b in got["bins"]) == 10


def test_a_confidence_on_a_bin_edge_falls_in_the_lower_bin():
    got = reliability([1 / 15, 2 / 15], [True, False])
    assert [(b["low"], b["n"]) for b in got["bins"]] == [(0.0, 1), (pytest.approx(1 / 15), 1)]
    assert got["ece"] == pytest.approx(0.5 * abs(1 - 1 / 15) + 0.5 * abs(0 - 2 / 15))


def test_ece_of_a_perfectly_calibrated_and_of_an_overconfident_model():
    assert reliability([0.5, 0.5], [True, False])["ece"] == pytest.approx(0.0)
    assert reliability([0.99] * 4, [True, False, False, False])["ece"] == pytest.approx(0.99 - 0.25)
    assert reliability([], []) == {}


def test_the_dev_chosen_threshold_reaches_the_target_with_the_most_coverage():
    conf, right = _shuffled()
    chosen = choose_threshold(conf, right, 0.8)
    # kept at >= t: 0.99 (1/1), 0.95 (2/2), 0.93 (2/3), 0.85 (3/4), 0.80 (4/5 = 0.8) ... 0.72 (4/6)
    assert chosen["min_confidence"] == 0.80 and chosen["reached"]
    assert chosen["dev_precision"] == pytest.approx(0.8) and chosen["dev_coverage"] == pytest.approx(0.5)
    kept = selective(conf, right, chosen["min_confidence"])
    assert kept["accuracy"] >= 0.8 and kept["coverage"] == chosen["dev_coverage"]
    assert choose_threshold(conf, right, 1.0)["min_confidence"] == 0.95  # the lowest with no error
    assert choose_threshold(conf, right, 0.6)["min_confidence"] == 0.33  # everything kept


def test_ties_end_the_kept_set_only_after_the_last_equal_confidence():
    # at 0.9 both are kept or neither: 1/2 right, so a 0.9 target needs the threshold 0.95
    chosen = choose_threshold([0.95, 0.9, 0.9, 0.5], [1, 1, 0, 1], 0.9)
    assert chosen["min_confidence"] == 0.95 and chosen["dev_coverage"] == 0.25


def test_an_unreachable_target_takes_the_best_precision_and_says_so(capsys):
    chosen = choose_threshold([0.9, 0.8, 0.7], [0, 1, 1], 0.99)
    assert not chosen["reached"] and chosen["dev_precision"] == pytest.approx(2 / 3) and chosen["min_confidence"] == 0.7
    assert "no threshold reaches it on dev" in capsys.readouterr().err
    with pytest.raises(KhabarError, match="needs labeled dev examples"):
        choose_threshold([], [], 0.9)


@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=60),
       st.floats(0.05, 1.0))
def test_a_reached_target_holds_on_the_examples_it_was_chosen_on(rows, target):
    conf, right = np.array([c for c, _ in rows]), np.array([r for _, r in rows])
    chosen = choose_threshold(conf, right, target)
    kept = selective(conf, right, chosen["min_confidence"])
    assert kept["coverage"] == pytest.approx(chosen["dev_coverage"])
    if chosen["reached"]:
        assert kept["accuracy"] >= target - 1e-9
        lower = conf[conf < chosen["min_confidence"]]
        # no lower threshold reaches the target too
        assert all(selective(conf, right, t)["accuracy"] < target - 1e-12 for t in np.unique(lower))


def test_selective_figures_and_their_flat_keys():
    predictions = [{"gold": "a", "predicted": "a" if r else "b", "probability": c, "known": True}
                   for c, r in zip(CONF, RIGHT)] + [{"gold": "z", "predicted": "a", "probability": 0.99, "known": False}]
    conf, right = confidence_and_correct(predictions)
    assert len(conf) == 10 and right.sum() == 6  # the unknown label is left out
    figures = selective_figures(predictions, 0.8)
    flat = flat_selective({"selective": figures}, "test")
    assert flat["test.coverage_80.accuracy"] == pytest.approx(5 / 8)
    assert flat["test.coverage_80.threshold"] == 0.5
    assert flat["test.aurc"] == pytest.approx(figures["risk_coverage"]["aurc"])
    assert flat["test.ece"] == pytest.approx(figures["calibration"]["ece"])
    assert flat["test.abstain.coverage"] == 0.5 and flat["test.abstain.accuracy"] == pytest.approx(0.8)
    assert not math.isnan(flat["test.abstain.min_confidence"])
    assert "test.abstain.coverage" not in flat_selective({"selective": selective_figures(predictions)}, "test")
