"""Metrics of a multi-label model: label sets against label sets.

Why apart from `evaluate`: a multi-label result has other figures (no single right answer per
article, so no confusion matrix and no top-probability calibration), yet the same shape of prediction
records and the same callers (`summarize`, `headline`, `flat_metrics`, the report, `compare`).
Every figure is scikit-learn's, on multi-hot matrices (rows = articles, columns = labels):

- micro-F1 (every label decision pooled), macro-F1 (mean over the labels present in gold, as the
  single-label macro-F1: a source without a topic is not punished for it), samples-F1 (per article,
  then averaged), weighted-F1, Hamming loss (the share of wrong label decisions);
- subset accuracy: the share of articles whose predicted set is exactly the gold set. It is also
  the result's `accuracy`, so code that reads `accuracy` keeps working; reports name it subset accuracy;
- per label: precision, recall, F1, support, and TP/FP/FN/TN (`multilabel_confusion_matrix`);
- label cardinality, gold against predicted (mean labels per article): a model that gives too few
  labels shows it here first;
- the articles with two or more gold labels: the share that get all of them (the issue's target).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from sklearn.metrics import (accuracy_score, f1_score, hamming_loss, multilabel_confusion_matrix,
                             precision_recall_fscore_support)

from ..models.thresholds import choose_thresholds, labels_above, multi_hot
from ..serving.predict import predict_proba_in_batches

#: the figures a table shows for a multi-label result (accuracy is subset accuracy)
HEADLINE = ("micro_f1", "macro_f1", "samples_f1", "hamming_loss", "accuracy", "n")
#: the figures of each source in `by_source`
SOURCE_FIGURES = ("n", "accuracy", "micro_f1", "macro_f1", "samples_f1")


def holds_label_sets(predictions: Sequence[dict]) -> bool:
    """Whether prediction records hold label sets (lists) rather than one label each."""
    return bool(predictions) and isinstance(predictions[0].get("gold"), (list, tuple))


def compute_multi_label_metrics(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                                labels: Sequence[str]) -> dict:
    """The figures of label sets `predicted` against `gold` over the model's `labels`."""
    labels = list(labels)
    if not gold:
        return {"multi_label": True, "n": 0, "labels": labels, "per_class": {}, "label_confusion": {},
                **{k: None for k in ("accuracy", "subset_accuracy", "micro_f1", "macro_f1", "samples_f1",
                                     "weighted_f1", "hamming_loss", "micro_precision", "micro_recall")}}
    y_true, y_pred = multi_hot(gold, labels), multi_hot(predicted, labels)
    present = [j for j in range(len(labels)) if y_true[:, j].any()]
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    micro_p, micro_r, _, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    subset = float(accuracy_score(y_true, y_pred))
    confusion = multilabel_confusion_matrix(y_true, y_pred)  # per label [[tn, fp], [fn, tp]]
    return {
        "multi_label": True,
        "n": len(gold),
        "accuracy": subset,
        "subset_accuracy": subset,
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true[:, present], y_pred[:, present], average="macro", zero_division=0))
        if present else 0.0,
        "samples_f1": float(f1_score(y_true, y_pred, average="samples", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "micro_precision": float(micro_p),
        "micro_recall": float(micro_r),
        "per_class": {
            lab: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for lab, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "label_confusion": {
            lab: {"tp": int(m[1, 1]), "fp": int(m[0, 1]), "fn": int(m[1, 0]), "tn": int(m[0, 0])}
            for lab, m in zip(labels, confusion)
        },
        "cardinality": {"gold": float(y_true.sum(axis=1).mean()), "predicted": float(y_pred.sum(axis=1).mean())},
        "two_plus": two_plus_recall(y_true, y_pred),
        "labels": labels,
    }


def two_plus_recall(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """The articles with 2+ gold labels: how many, the share that get every one of them
    (`all_labels`), and the share of their gold labels found (`label_recall`)."""
    rows = y_true.sum(axis=1) >= 2
    n = int(rows.sum())
    if not n:
        return {"n": 0, "all_labels": None, "label_recall": None}
    gold, found = y_true[rows].astype(bool), y_pred[rows].astype(bool)
    return {"n": n, "all_labels": float(np.mean(np.all(found | ~gold, axis=1))),
            "label_recall": float((gold & found).sum() / gold.sum())}


def unknown_label_sets(unknown: list[dict], labels: Sequence[str]) -> dict:
    """Gold labels the model does not know (another source's extra topics): per such label, how many
    articles carry it and which labels the model gave those articles instead."""
    names = set(labels)
    counts = Counter(lab for p in unknown for lab in p["gold"] if lab not in names)
    return {
        label: {"n": n, "predicted_as": dict(Counter(lab for p in unknown if label in p["gold"]
                                                     for lab in p["predicted"]).most_common())}
        for label, n in counts.most_common()
    }


def flat_multi_label(result: dict, prefix: str) -> dict:
    """metrics.json keys of a multi-label result beyond the headline and per-label figures:
    `test.subset_accuracy`, `test.tp.Sports`, `test.cardinality.gold`, `test.two_plus.all_labels`, ..."""
    flat = {f"{prefix}.{k}": result.get(k) for k in ("subset_accuracy", "weighted_f1", "micro_precision", "micro_recall")}
    for label, counts in result.get("label_confusion", {}).items():
        for name, value in counts.items():
            flat[f"{prefix}.{name}.{label}"] = value
    for name, value in (result.get("cardinality") or {}).items():
        flat[f"{prefix}.cardinality.{name}"] = value
    for name, value in (result.get("two_plus") or {}).items():
        flat[f"{prefix}.two_plus.{name}"] = value
    return flat


def cross_fitted_figures(model, examples: Sequence, seed: int = 0) -> dict:
    """The figures of a multi-label model on `examples` (the dev split) with its thresholds
    cross-fitted: each half decided with thresholds chosen on the other half.

    Why: the model's own thresholds were chosen on this dev split to maximize its F1, so scoring
    them there is in-sample; `khabar tune` comparing trials that way would prefer settings whose
    thresholds fit dev's noise. Cross-fitting keeps every dev article held out from the choice
    that decides it, at the cost of choosing on half the rows.
    """
    proba = predict_proba_in_batches(model, [ex.inputs for ex in examples], 256)
    gold = model.gold_matrix(examples)
    order = np.random.default_rng(seed).permutation(len(examples))
    halves = (order[::2], order[1::2])
    decided: list = [[] for _ in examples]
    for part, other in ((halves[0], halves[1]), (halves[1], halves[0])):
        thresholds, _ = choose_thresholds(proba[other], gold[other], floor=not model.allow_no_label)
        for i, row in zip(part, labels_above(proba[part], thresholds, model.allow_no_label)):
            decided[i] = [model.labels_[j] for j in row]
    return compute_multi_label_metrics([ex.gold for ex in examples], decided, model.labels_)
