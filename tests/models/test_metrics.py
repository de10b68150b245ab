"""The metric registry (models.metrics): one definition per figure, iterated by every renderer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from khabar.models import metrics as M


def test_names_are_unique_within_a_scheme_and_every_figure_has_a_function_or_needs_probabilities():
    for scheme in M.BOTH:
        names = [m.name for m in M.metrics_for(scheme, headline=None, needs_proba=None)]
        assert len(names) == len(set(names)), scheme
    for m in M.METRICS:
        assert (m.function is None) == m.needs_proba, m.name


def test_headlines_of_each_scheme():
    assert M.headline_names(M.ONE_LABEL) == ("accuracy", "macro_f1", "weighted_f1", "n")
    assert M.headline_names(M.LABEL_SET) == ("micro_f1", "macro_f1", "samples_f1", "hamming_loss", "accuracy", "n")
    assert M.metric("accuracy", M.LABEL_SET).display == "subset accuracy"
    assert "hamming_loss" not in M.objectives(M.LABEL_SET)  # lower is better: not an objective to maximize
    assert set(M.OBJECTIVES) == {"accuracy", "macro_f1", "weighted_f1", "micro_f1", "samples_f1"}


def test_macro_f1_averages_over_the_labels_present_in_gold():
    gold, predicted = ["a", "a", "b"], ["a", "c", "b"]
    assert M.macro_f1(gold, predicted, ["a", "b", "c"]) == pytest.approx((2 / 3 + 1) / 2)
    # over every label it would be lower: "c" has no gold example, so its F1 is 0 by convention
    every = f1_score(gold, predicted, labels=["a", "b", "c"], average="macro", zero_division=0)
    assert every == pytest.approx((2 / 3 + 1 + 0) / 3)
    # the same definition on 0/1 matrices (label sets) and on label indices (the transformer's dev)
    y_true = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]])
    y_pred = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert M.macro_f1(y_true, y_pred, ["a", "b", "c"]) == pytest.approx((2 / 3 + 1) / 2)
    assert M.macro_f1(np.array([0, 0, 1]), np.array([0, 2, 1]), [0, 1, 2]) == pytest.approx((2 / 3 + 1) / 2)
    assert M.macro_f1(np.zeros((2, 3)), np.zeros((2, 3)), ["a", "b", "c"]) == 0.0


def test_compute_gives_every_decision_metric_of_a_scheme():
    figures = M.compute(M.ONE_LABEL, ["a", "b"], ["a", "a"], ["a", "b"])
    assert set(figures) == {"accuracy", "macro_f1", "weighted_f1"} and figures["accuracy"] == 0.5
    sets = M.compute(M.LABEL_SET, np.array([[1, 1], [0, 1]]), np.array([[1, 0], [0, 1]]), ["a", "b"])
    assert sets["accuracy"] == sets["subset_accuracy"] == 0.5 and sets["hamming_loss"] == 0.25
    assert sets["micro_precision"] == 1.0 and sets["micro_recall"] == pytest.approx(2 / 3)


def test_the_card_lists_its_metrics_from_the_registry():
    assert [m.name for m in M.card_metrics(M.ONE_LABEL)] == ["accuracy", "macro_f1", "ece"]
    assert [m.card_config for m in M.card_metrics(M.LABEL_SET)] == ["micro", "macro", "samples", None, None]


def test_metric_names_appear_in_one_module():
    """No other module of khabar spells a metric's name as a string list of its own."""
    import pathlib

    import khabar

    root = pathlib.Path(khabar.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "metrics.py" and path.parent.name == "models":
            continue
        text = path.read_text(encoding="utf-8")
        for name in ("\"micro_f1\", \"macro_f1\"", "\"accuracy\", \"macro_f1\"", "\"samples_f1\""):
            if name in text:
                offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []
