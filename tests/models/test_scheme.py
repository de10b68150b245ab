"""The label scheme (models.scheme): one label or a label set, chosen once; the one record shape."""

from __future__ import annotations

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.scheme import LabelSet, OneLabel, record_targets, scheme_for, scheme_of_records

LABELS = ["a", "b", "c"]
PROBA = np.array([[0.6, 0.3, 0.1], [0.2, 0.45, 0.35]])


def test_the_scheme_is_chosen_from_the_config_once():
    assert type(scheme_for(False)) is OneLabel
    chosen = scheme_for(True, allow_no_label=True)
    assert isinstance(chosen, LabelSet) and isinstance(chosen, OneLabel) and chosen.allow_no_label


def test_one_label_decides_the_top_label_and_may_abstain():
    scheme = OneLabel({"min_confidence": 0.5, "chosen_on": "config"})
    assert scheme.decide(PROBA) == [[0], [1]]
    assert scheme.threshold(None) == 0.5 and scheme.threshold(0) == 0.0  # the stored one, unless given
    rows = scheme.rows(LABELS, PROBA, 2, min_confidence=scheme.threshold(None))
    assert [r["label"] for r in rows] == ["a", None] and [r["abstained"] for r in rows] == [False, True]
    assert rows[1]["top_k"] == [{"label": "b", "probability": 0.45}, {"label": "c", "probability": 0.35}]
    assert list(rows[0]) == list(OneLabel.fields)


def test_a_label_set_decides_every_label_at_its_threshold_and_keeps_the_floor():
    scheme = LabelSet(thresholds=np.array([0.5, 0.3, 0.9]))
    assert scheme.decide(PROBA) == [[0, 1], [1]]
    never = LabelSet(allow_no_label=True, thresholds=np.array([0.9, 0.9, 0.9]))
    floor = LabelSet(allow_no_label=False, thresholds=np.array([0.9, 0.9, 0.9]))
    assert never.decide(PROBA) == [[], []] and floor.decide(PROBA) == [[0], [1]]
    (row, empty) = never.rows(LABELS, PROBA, 1)
    assert row == {"label": None, "probability": None, "abstained": True, "labels": [],
                   "top_k": [{"label": "a", "probability": 0.6}]}
    assert [r["abstained"] for r in scheme.rows(LABELS, PROBA, 1)] == [False, False]  # a label given: no abstaining
    (first, _) = scheme.rows(LABELS, PROBA, 3, digits=1)
    assert first["labels"] == [{"label": "a", "probability": 0.6}, {"label": "b", "probability": 0.3}]
    assert list(first) == list(LabelSet.fields)


def test_every_record_shape_names_its_labels_the_same_way():
    for scheme in (OneLabel(), LabelSet(thresholds=np.full(3, 0.5))):
        for row in scheme.rows(LABELS, PROBA, 3):
            for scored in row["top_k"] + row.get("labels", []):
                assert set(scored) == {"label", "probability"}


def test_a_label_set_refuses_what_it_cannot_honour_in_one_line():
    scheme = LabelSet(thresholds=np.full(3, 0.5))
    with pytest.raises(KhabarError, match="^--min-confidence: a multi-label model decides each label"):
        scheme.check_request(0.5, None)
    with pytest.raises(KhabarError, match="^labels: a multi-label model decides each label on its own"):
        scheme.check_request(None, ["a", "b"], ("min_confidence", "labels"))
    scheme.check_request(None, None)
    scheme.check_label_delimiter(True)  # label sets may come joined in a column
    with pytest.raises(KhabarError, match="--min-confidence 2: must be a probability"):
        OneLabel().check_request(2, None)
    with pytest.raises(KhabarError, match="--label-delimiter: only for a multi-label model"):
        OneLabel().check_label_delimiter(True)


def test_one_label_restricts_and_renormalizes_a_label_set_does_not():
    proba, names = OneLabel().restrict(PROBA, LABELS, ["b", "c"])
    assert names == ["b", "c"] and np.allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(KhabarError, match="--labels: a multi-label model"):
        LabelSet(thresholds=np.full(3, 0.5)).restrict(PROBA, LABELS, ["b", "c"])


def test_the_training_checks_of_a_label_set():
    scheme = LabelSet()
    with pytest.raises(KhabarError, match=r"labels \['c'\] have no training example"):
        scheme.start(LABELS, [["a"], ["b"]])
    with pytest.raises(KhabarError, match="label 'a' is on every training article"):
        scheme.start(LABELS, [["a", "b"], ["a", "c"]])
    scheme.start(LABELS, [["a", "b"], ["c"]])
    assert scheme.thresholds.tolist() == [0.5, 0.5, 0.5] and scheme.note is None
    OneLabel().start(LABELS, [["a"]])  # one label: nothing to refuse


def test_fitting_thresholds_records_the_manifest_section():
    scheme = LabelSet()
    said = []
    proba = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.6], [0.2, 0.7, 0.1]])
    gold = np.array([[1, 0, 0], [0, 1, 1], [0, 1, 0]])
    scheme.fit_thresholds(LABELS, lambda: proba, lambda: gold, "dev split", said.append)
    note = scheme.manifest_section()["multi_label"]
    assert note["chosen_on"] == "dev split" and note["allow_no_label"] is False
    assert set(note["thresholds"]) == set(LABELS) and scheme.decide(proba) == [[0], [1, 2], [1]]
    called = []
    OneLabel().fit_thresholds(LABELS, lambda: called.append(1), lambda: called.append(2), "dev", said.append)
    assert called == []  # one label: the held-out probabilities are never computed
    none = LabelSet()
    none.fit_thresholds(LABELS, lambda: None, lambda: gold, "no dev split", said.append)
    assert none.note["default_for"] == LABELS and "no held-out data" in said[-1]


def test_training_targets_and_activations():
    examples = [Example("1", "x", "b"), Example("2", "y", "a")]
    assert OneLabel().targets(examples, LABELS).tolist() == [1, 0]
    sets = [Example("1", "x", labels=("a", "c")), Example("2", "y", labels=("b",))]
    assert LabelSet().targets(sets, LABELS).tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    scores = np.array([[0.0, 0.0]])
    assert OneLabel().activation(scores).tolist() == [[0.5, 0.5]] and LabelSet().activation(scores).tolist() == [[0.5, 0.5]]
    assert OneLabel().activation(np.array([[2.0, 0.0]])).sum() == pytest.approx(1.0)
    assert LabelSet().activation(np.array([[2.0, 2.0]])).sum() > 1.0  # independent per label


def test_records_read_back_tell_their_scheme_and_targets():
    assert type(scheme_of_records([{"gold": "a"}])) is OneLabel
    assert isinstance(scheme_of_records([{"gold": ["a", "b"]}]), LabelSet)
    assert type(scheme_of_records([])) is OneLabel
    assert record_targets({"top_k": [{"label": "b", "probability": 0.6}]}) == ["b"]
    assert record_targets({"labels": [{"label": "a", "probability": 0.7}, {"label": "c", "probability": 0.6}],
                           "top_k": [{"label": "a", "probability": 0.7}]}) == ["a", "c"]
    assert record_targets({"labels": [], "top_k": [{"label": "c", "probability": 0.4}]}) == ["c"]


def test_figures_of_each_scheme():
    one = OneLabel().figures(["a", "b", "a"], ["a", "a", "a"], LABELS)
    assert one["scheme"] == "one_label" and one["accuracy"] == pytest.approx(2 / 3)
    assert one["confusion"][0] == [2, 0, 0] and "c" in one["per_class"]
    sets = LabelSet().figures([["a"], ["a", "b"]], [["a"], ["a"]], LABELS)
    assert sets["multi_label"] and sets["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1))
    assert sets["label_confusion"]["b"] == {"tp": 0, "fp": 0, "fn": 1, "tn": 1}
    assert sets["two_plus"] == {"n": 1, "all_labels": 0.0, "label_recall": 0.5}
