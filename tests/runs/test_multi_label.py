"""Evaluating a multi-label model: figures on label sets, the run directory, its report and card.

The figures are checked against scikit-learn computed here from the run's predictions.jsonl, and
the small cases by hand; the run is trained through `runs.train.train` (conftest.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, f1_score, hamming_loss, multilabel_confusion_matrix,
                             precision_recall_fscore_support)
from sklearn.preprocessing import MultiLabelBinarizer

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.runs.evaluate import evaluate_model, flat_metrics, headline, summarize
from khabar.models.scheme import LabelSet

compute_multi_label_metrics = LabelSet().figures


def _read(run_dir, name):
    with open(os.path.join(run_dir, name), encoding="utf-8") as fh:
        return json.load(fh) if name.endswith(".json") else fh.read()


def _records(run_dir):
    with open(os.path.join(run_dir, "predictions.jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_figures_by_hand_on_three_articles():
    # gold {a}, {a, b}, {b}; predicted {a}, {a}, {a, b}
    result = compute_multi_label_metrics([["a"], ["a", "b"], ["b"]], [["a"], ["a"], ["b", "a"]], ["a", "b"])
    # a: TP 2, FP 1 (third), FN 0; b: TP 1, FP 0, FN 1 (second): pooled TP 3, FP 1, FN 1
    assert result["micro_f1"] == pytest.approx(6 / 8)
    assert result["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert result["accuracy"] == result["subset_accuracy"] == pytest.approx(1 / 3)
    assert result["hamming_loss"] == pytest.approx(2 / 6)
    assert result["label_confusion"]["a"] == {"tp": 2, "fp": 1, "fn": 0, "tn": 0}
    assert result["label_confusion"]["b"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 1}
    assert result["per_class"]["b"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert result["cardinality"] == {"gold": pytest.approx(4 / 3), "predicted": pytest.approx(4 / 3)}
    assert result["two_plus"] == {"n": 1, "all_labels": 0.0, "label_recall": 0.5}
    assert compute_multi_label_metrics([], [], ["a"])["n"] == 0


def test_metrics_json_matches_scikit_learn_on_the_saved_predictions(multi_label_runs):
    run = multi_label_runs.runs[0]
    metrics, records = _read(run.run_dir, "metrics.json"), _records(run.run_dir)
    labels = _read(os.path.join(run.run_dir, "model"), "khabar.json")["labels"]
    test_ids = [r["id"] for r in multi_label_runs.rows if r["split"] == "test"]
    assert [r["id"] for r in records] == test_ids
    gold_sets = {r["id"]: r["labels"] for r in multi_label_runs.rows}
    assert all(r["gold"] == gold_sets[r["id"]] and r["known"] for r in records)

    binarizer = MultiLabelBinarizer(classes=labels)
    y_true = binarizer.fit_transform([r["gold"] for r in records])
    y_pred = binarizer.transform([r["predicted"] for r in records])
    present = y_true.any(axis=0)
    assert metrics["test.n"] == len(records)
    assert metrics["test.micro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="micro"))
    assert metrics["test.macro_f1"] == pytest.approx(f1_score(y_true[:, present], y_pred[:, present], average="macro", zero_division=0))
    assert metrics["test.samples_f1"] == pytest.approx(f1_score(y_true, y_pred, average="samples", zero_division=0))
    assert metrics["test.hamming_loss"] == pytest.approx(hamming_loss(y_true, y_pred))
    assert metrics["test.accuracy"] == metrics["test.subset_accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    for j, label in enumerate(labels):
        assert metrics[f"test.precision.{label}"] == pytest.approx(precision[j])
        assert metrics[f"test.recall.{label}"] == pytest.approx(recall[j])
        assert metrics[f"test.f1.{label}"] == pytest.approx(f1[j])
        assert metrics[f"test.support.{label}"] == support[j]
    for label, m in zip(labels, multilabel_confusion_matrix(y_true, y_pred)):
        (tn, fp), (fn, tp) = m
        assert [metrics[f"test.{k}.{label}"] for k in ("tp", "fp", "fn", "tn")] == [tp, fp, fn, tn]
    assert metrics["test.cardinality.gold"] == pytest.approx(np.mean([len(r["gold"]) for r in records]))
    assert metrics["test.cardinality.predicted"] == pytest.approx(np.mean([len(r["predicted"]) for r in records]))
    two = [r for r in records if len(r["gold"]) >= 2]
    assert metrics["test.two_plus.n"] == len(two) > 0
    assert metrics["test.two_plus.all_labels"] == pytest.approx(np.mean([set(r["gold"]) <= set(r["predicted"]) for r in two]))
    for source in {r["source"] for r in records}:
        mine = [r for r in records if r["source"] == source]
        assert metrics[f"test.source.{source}.micro_f1"] == pytest.approx(f1_score(
            binarizer.transform([r["gold"] for r in mine]), binarizer.transform([r["predicted"] for r in mine]), average="micro"))
    # the headline of the run (log lines, the manifest's metrics, compare's table)
    assert set(run.headline["test"]) == {"micro_f1", "macro_f1", "samples_f1", "hamming_loss", "accuracy", "n"}
    assert run.headline["test"]["micro_f1"] == metrics["test.micro_f1"]
    # the same figures again from the saved records (what `summarize` gives a predictions.jsonl)
    again = flat_metrics(summarize(records, labels), "test")
    assert {k: again[k] for k in again if k in metrics} == pytest.approx({k: metrics[k] for k in again if k in metrics})


def test_predictions_are_the_models_decisions_with_their_probabilities(multi_label_runs):
    run = multi_label_runs.runs[0]
    records = _records(run.run_dir)
    model = load_model(os.path.join(run.run_dir, "model"))
    assert model.multi_label
    texts = {r["id"]: r["text"] for r in multi_label_runs.rows}
    assert [r["predicted"] for r in records] == model.predict([texts[r["id"]] for r in records])
    thresholds = dict(zip(model.labels_, model.thresholds_))
    for r in records:
        # the one record shape: every decided label with its probability, as `khabar predict` writes it
        decided = {d["label"]: d["probability"] for d in r["labels"]}
        assert list(decided) == r["predicted"] and r["label"] == r["predicted"][0]
        assert r["probability"] == r["top_k"][0]["probability"] == max(decided.values())
        # every label at or above its threshold, and the top label whatever its threshold (the floor)
        top = r["top_k"][0]["label"]
        ranked = {t["label"]: t["probability"] for t in r["top_k"]}
        above = {lab for lab, p in ranked.items() if p >= thresholds[lab]}
        assert r["predicted"][0] == top and above | {top} <= set(r["predicted"])


def test_the_run_directory_of_a_multi_label_run(multi_label_runs):
    run_dir = multi_label_runs.runs[0].run_dir
    files = set(os.listdir(run_dir))
    assert {"metrics.json", "predictions.jsonl", "report.md", "confusion_matrix.png", "config.yaml", "model"} <= files
    assert not [f for f in files if f.startswith("reliability_")]  # no top-probability calibration for label sets
    assert os.path.getsize(os.path.join(run_dir, "confusion_matrix.png")) > 1000
    manifest = _read(os.path.join(run_dir, "model"), "khabar.json")
    assert "abstain" not in manifest and manifest["multi_label"]["chosen_on"]
    assert not [k for k in _read(run_dir, "metrics.json") if ".coverage_" in k or k.endswith((".ece", ".aurc"))]


def test_the_report_of_a_multi_label_run(multi_label_runs):
    run_dir = multi_label_runs.runs[0].run_dir
    report = _read(run_dir, "report.md")
    metrics = _read(run_dir, "metrics.json")
    test = report.split("## test", 1)[1]
    assert f"micro-F1 = {metrics['test.micro_f1']:.4f}" in test and f"Hamming loss = {metrics['test.hamming_loss']:.4f}" in test
    assert f"subset accuracy = {metrics['test.accuracy']:.4f}" in test and "exactly the gold set" in test
    assert "| label | precision | recall | F1 | support | TP | FP | FN | threshold |" in test
    assert f"| Sports | {metrics['test.precision.Sports']:.3f} |" in test
    assert (f"gold {metrics['test.cardinality.gold']:.3f}, predicted {metrics['test.cardinality.predicted']:.3f}") in test
    assert f"Articles with 2+ gold labels: {metrics['test.two_plus.n']};" in test
    assert "| source | n | micro-F1 | macro-F1 | samples-F1 | subset accuracy |" in test
    wrong = [r for r in _records(run_dir) if set(r["gold"]) != set(r["predicted"])]
    assert wrong and f"`{wrong[0]['id']}` gold {{{', '.join(wrong[0]['gold'])}}}, predicted {{{', '.join(wrong[0]['predicted'])}}}" in test


def test_the_card_says_multi_label_and_gives_the_thresholds(multi_label_runs, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from huggingface_hub import ModelCard

    from khabar.runs.card import regenerate

    run_dir = multi_label_runs.runs[0].run_dir
    model_dir = os.path.join(run_dir, "model")
    card = ModelCard.load(regenerate(run_dir))  # what training wrote, rewritten from the run's files
    thresholds = _read(model_dir, "khabar.json")["multi_label"]["thresholds"]
    assert "multi-label-classification" in card.data.tags
    assert "multi-label" in card.text and "## Thresholds" in card.text and "Abstain threshold" not in card.text
    for label, t in thresholds.items():
        assert f"| {label} | {t:.4f} |" in card.text
    metrics = _read(run_dir, "metrics.json")
    assert f"| test | {metrics['test.n']} | {metrics['test.micro_f1']:.4f} | {metrics['test.macro_f1']:.4f} |" in card.text
    index = {m.metric_name: m.metric_value for m in card.data.eval_results}
    assert index["Micro F1"] == round(metrics["test.micro_f1"], 4) and "Hamming loss" in index
    load_model(model_dir)  # the regenerated card is the one the manifest lists


def test_label_map_and_unknown_labels_of_label_sets(multi_label_runs):
    model = load_model(os.path.join(multi_label_runs.runs[0].run_dir, "model"))
    examples = [Example("1", "فاز الفريق في المباراة النهائية", labels=("Football",)),
                Example("2", "ارتفعت أسعار النفط وفاز الفريق", labels=("Finance", "Football")),
                Example("3", "حريق في السوق", labels=("Local", "Finance"))]
    result = evaluate_model(model, examples, label_map={"Football": "Sports"})
    assert [p["gold"] for p in result["predictions"]] == [["Sports"], ["Finance", "Sports"], ["Local", "Finance"]]
    assert [p["known"] for p in result["predictions"]] == [True, True, False]
    assert result["n"] == 2 and result["unknown_labels"]["Local"]["n"] == 1
    assert sum(result["unknown_labels"]["Local"]["predicted_as"].values()) == len(result["predictions"][2]["predicted"])
    assert set(headline(result)) == {"micro_f1", "macro_f1", "samples_f1", "hamming_loss", "accuracy", "n"}


@pytest.mark.parametrize("option, flag", [({"labels": ["Sports"]}, "--labels"), ({"min_confidence": 0.5}, "--min-confidence")])
def test_options_of_single_label_models_are_refused(multi_label_runs, option, flag):
    model = load_model(os.path.join(multi_label_runs.runs[0].run_dir, "model"))
    with pytest.raises(KhabarError) as info:
        evaluate_model(model, [Example("1", "فاز الفريق", labels=("Sports",))], **option)
    assert str(info.value).startswith(flag) and "\n" not in str(info.value)


class _FixedModel:
    """A multi-label model whose probabilities are given per text: enough for cross-fitting."""

    multi_label, allow_no_label = True, False

    def __init__(self, labels, rows):
        self.labels_, self.rows = labels, rows

    def predict_proba(self, inputs):
        return np.array([self.rows[int(text)] for text in inputs])

    def gold_matrix(self, examples):
        from khabar.models.thresholds import multi_hot

        return multi_hot([ex.gold for ex in examples], self.labels_)


def test_tune_scores_thresholds_on_dev_articles_they_were_not_chosen_on():
    """One dev article carries its second label at a low probability: thresholds chosen on all of
    dev catch it (in-sample, micro-F1 1.0); chosen on the other half, which has no such article,
    they cannot, whichever half it falls in."""
    from khabar.examples import Example
    from khabar.models.thresholds import choose_thresholds, labels_above
    from khabar.runs.multi_label import cross_fitted_figures

    rows = [[0.9, 0.3], [0.9, 0.1], [0.8, 0.1], [0.1, 0.9], [0.2, 0.8], [0.85, 0.05]]
    gold = [("a", "b"), ("a",), ("a",), ("b",), ("b",), ("a",)]
    examples = [Example(str(i), str(i), labels=g) for i, g in enumerate(gold)]
    model = _FixedModel(["a", "b"], rows)
    proba = np.array(rows)
    thresholds, _ = choose_thresholds(proba, model.gold_matrix(examples))
    in_sample = [[model.labels_[j] for j in row] for row in labels_above(proba, thresholds)]
    assert compute_multi_label_metrics(gold, in_sample, model.labels_)["micro_f1"] == 1.0
    held_out = cross_fitted_figures(model, examples)
    assert held_out["micro_f1"] < 1.0 and held_out["n"] == len(examples)
