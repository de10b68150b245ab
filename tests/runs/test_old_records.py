"""Run folders written before the one record shape (evaluation's top_k as [[label, p]], a label
set's `probabilities` as a mapping) are still read: summarize (metrics from predictions.jsonl) and
compare's pairing need only gold, predicted, known, source and probability."""

from __future__ import annotations

import pytest

from khabar.runs.evaluate import summarize

OLD_ONE = [
    {"id": "1", "gold": "a", "original_label": "a", "predicted": "a", "probability": 0.9, "abstained": False,
     "top_k": [["a", 0.9], ["b", 0.1]], "source": None, "known": True},
    {"id": "2", "gold": "b", "original_label": "b", "predicted": "a", "probability": 0.6, "abstained": False,
     "top_k": [["a", 0.6], ["b", 0.4]], "source": None, "known": True},
]
NEW_ONE = [{**r, "label": r["predicted"], "top_k": [{"label": lab, "probability": p} for lab, p in r["top_k"]]}
           for r in OLD_ONE]
OLD_SET = [
    {"id": "1", "gold": ["a", "b"], "original_label": ["a", "b"], "predicted": ["a"], "probability": 0.9,
     "probabilities": {"a": 0.9}, "top_k": [["a", 0.9], ["b", 0.3]], "source": None, "known": True},
    {"id": "2", "gold": ["b"], "original_label": ["b"], "predicted": ["b"], "probability": 0.8,
     "probabilities": {"b": 0.8}, "top_k": [["b", 0.8], ["a", 0.1]], "source": None, "known": True},
]


def test_old_one_label_records_give_the_same_figures_as_new_ones():
    old, new = summarize(OLD_ONE, ["a", "b"]), summarize(NEW_ONE, ["a", "b"])
    for key in ("accuracy", "macro_f1", "weighted_f1", "confusion"):
        assert old[key] == new[key]
    assert old["accuracy"] == 0.5 and old["selective"]["calibration"]["ece"] == pytest.approx(new["selective"]["calibration"]["ece"])


def test_old_label_set_records_are_read_as_label_sets():
    result = summarize(OLD_SET, ["a", "b"])
    assert result["multi_label"] and result["scheme"] == "label_set"
    assert result["accuracy"] == 0.5 and result["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1))
