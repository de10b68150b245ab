"""Metrics on labeled news, one function for every model kind.

`evaluate_model` returns plain data (metrics, per-class figures, confusion matrix, per-source
metrics, the risk–coverage curve and calibration (`calibration`), predictions);
`run_dir.write_results` turns it into metrics.json, predictions.jsonl, confusion_matrix.png,
reliability_<name>.png and report.md (see `report`). The figures of accuracy and F1 are those of
every prediction (full coverage); the risk–coverage figures say what abstaining would buy, and with
a threshold (`min_confidence`) `selective.abstain` gives the coverage and accuracy it keeps. Examples whose gold label the model does not know (another
source's extra topics) are counted and reported apart, never silently dropped.

A multi-label model (`model.multi_label`) is measured on label sets (see `multi_label`): the same
records, with lists of labels as `gold` and `predicted`, decided by `model.decide` like every
prediction; the figures differ, and `headline`/`flat_metrics` say which a result has.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Mapping, Sequence

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from ..errors import KhabarError
from ..examples import Example
from ..serving.predict import check_labels, check_min_confidence, predict_proba_in_batches, rank_top_k, restrict_proba
from .calibration import flat_selective, selective_figures
from .multi_label import HEADLINE as MULTI_LABEL_HEADLINE
from .multi_label import (SOURCE_FIGURES, compute_multi_label_metrics, flat_multi_label, holds_label_sets,
                          unknown_label_sets)

TOP_K = 3


def compute_metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro/weighted F1, per-class figures and the confusion matrix (rows = gold)."""
    labels = list(labels)
    if not gold:
        return {"n": 0, "accuracy": None, "macro_f1": None, "weighted_f1": None, "per_class": {}, "labels": labels, "confusion": []}
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    present = [lab for lab in labels if lab in set(gold)]
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, predicted)),
        # macro over the labels present in gold: a source without a topic is not punished for it
        "macro_f1": float(f1_score(gold, predicted, labels=present, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(gold, predicted, labels=present, average="weighted", zero_division=0)),
        "per_class": {
            lab: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for lab, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "labels": labels,
        "confusion": confusion_matrix(gold, predicted, labels=labels).tolist(),
    }


def parse_label_map(text: str | None) -> dict[str, str]:
    """`a=b,c=d` -> {"a": "b", "c": "d"}."""
    mapping = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise KhabarError(f"--label-map {item!r}: expected source=target pairs, for example sport=Sports,economy=Finance")
        mapping[src.strip()] = dst.strip()
    return mapping


def evaluate_model(model, examples: Sequence[Example], label_map: Mapping[str, str] | None = None,
                   batch_size: int = 256, labels: Sequence[str] | None = None,
                   min_confidence: float | None = None) -> dict:
    """Predict on labeled examples and measure; the model's labels define what counts.

    `labels`: restrict the prediction to this subset of the model's labels (renormalized,
    `predict.restrict_proba`); gold labels outside it then count as unknown, reported apart.
    `min_confidence`: also report the coverage and accuracy of the predictions kept at this
    threshold (each prediction record says whether it abstained); the other figures use them all.
    A multi-label model has neither (each label has its own threshold): both are refused.
    """
    label_map = dict(label_map or {})
    check_min_confidence(min_confidence, "--min-confidence")
    unknown_targets = sorted(set(label_map.values()) - set(model.labels_))
    if unknown_targets:
        raise KhabarError(f"--label-map maps to {unknown_targets}, which the model does not know; its labels are {model.labels_}")
    if model.multi_label:
        return _evaluate_label_sets(model, examples, label_map, batch_size, labels, min_confidence)
    check_labels(model.labels_, labels)  # a bad subset: refused before predicting
    proba = predict_proba_in_batches(model, [ex.inputs for ex in examples], batch_size)
    proba, names = restrict_proba(proba, model.labels_, labels)
    threshold = min_confidence or 0.0
    predictions = []
    for ex, order, probs in zip(examples, *rank_top_k(proba, TOP_K)):
        gold = label_map.get(ex.label, ex.label)
        predictions.append({
            "id": ex.id, "gold": gold, "original_label": ex.label, "predicted": names[order[0]],
            "probability": float(probs[0]), "abstained": bool(probs[0] < threshold),
            "top_k": [[names[i], float(p)] for i, p in zip(order, probs)],
            "source": ex.source, "known": gold in names,
        })
    result = summarize(predictions, names, min_confidence)
    if labels is not None:
        result["restricted_to"] = list(names)
    return result


def _evaluate_label_sets(model, examples: Sequence[Example], label_map: Mapping[str, str], batch_size: int,
                        labels: Sequence[str] | None, min_confidence: float | None) -> dict:
    """`evaluate_model` of a multi-label model: each label decided with its own threshold
    (`model.decide`), so a label subset or one confidence threshold has no meaning and is refused."""
    if labels is not None:
        raise KhabarError("--labels: a multi-label model decides each label on its own (its per-label thresholds); "
                          "leave --labels out")
    if min_confidence:
        raise KhabarError("--min-confidence: a multi-label model decides each label with its own threshold chosen on "
                          "dev; leave --min-confidence out")
    names = list(model.labels_)
    proba = predict_proba_in_batches(model, [ex.inputs for ex in examples], batch_size)
    chosen = model.decide(proba)
    predictions = []
    for ex, order, probs, picked, row in zip(examples, *rank_top_k(proba, TOP_K), chosen, proba):
        gold = [label_map.get(lab, lab) for lab in ex.gold]
        predictions.append({
            "id": ex.id, "gold": gold, "original_label": list(ex.gold), "predicted": [names[j] for j in picked],
            "probability": float(probs[0]) if len(probs) else 0.0,
            "probabilities": {names[j]: float(row[j]) for j in picked},
            "top_k": [[names[i], float(p)] for i, p in zip(order, probs)],
            "source": ex.source, "known": bool(gold) and all(lab in names for lab in gold),
        })
    result = summarize(predictions, names)
    result["thresholds"] = {lab: float(t) for lab, t in zip(names, model.thresholds_)}
    return result


def summarize(predictions: list[dict], labels: Sequence[str], min_confidence: float | None = None) -> dict:
    """Metrics from prediction records (also used on a run's saved predictions.jsonl); records of
    label sets (a multi-label model's) get the multi-label figures."""
    multi = holds_label_sets(predictions)
    compute, per_source = ((compute_multi_label_metrics, SOURCE_FIGURES) if multi
                           else (compute_metrics, ("n", "accuracy", "macro_f1")))
    known = [p for p in predictions if p["known"]]
    result = compute([p["gold"] for p in known], [p["predicted"] for p in known], labels)
    by_source = defaultdict(list)
    for p in known:
        if p.get("source"):
            by_source[p["source"]].append(p)
    if len(by_source) > 1:
        result["by_source"] = {
            source: {k: v for k, v in compute([p["gold"] for p in ps], [p["predicted"] for p in ps], labels).items()
                     if k in per_source}
            for source, ps in sorted(by_source.items())
        }
    unknown = [p for p in predictions if not p["known"]]
    if unknown and multi:
        result["unknown_labels"] = unknown_label_sets(unknown, labels)
    elif unknown:
        result["unknown_labels"] = {
            label: {"n": n, "predicted_as": dict(Counter(p["predicted"] for p in unknown if p["gold"] == label).most_common())}
            for label, n in Counter(p["gold"] for p in unknown).most_common()
        }
    selective = None if multi else selective_figures(known, min_confidence)  # label sets: no abstention
    if selective:
        result["selective"] = selective
    result["predictions"] = predictions
    return result


def headline(result: dict) -> dict:
    """The figures a table shows: accuracy, macro-F1, weighted-F1, n; for a multi-label result
    micro-, macro- and samples-F1, Hamming loss, subset accuracy (as `accuracy`) and n."""
    keys = MULTI_LABEL_HEADLINE if result.get("multi_label") else ("accuracy", "macro_f1", "weighted_f1", "n")
    return {k: result.get(k) for k in keys}


def flat_metrics(result: dict, prefix: str) -> dict:
    """Flat keys (`test.accuracy`, `test.f1.Sports`, `test.source.x.accuracy`) for metrics.json."""
    flat = {f"{prefix}.{k}": v for k, v in headline(result).items()}
    if result.get("multi_label"):
        flat.update(flat_multi_label(result, prefix))
    for label, figures in result.get("per_class", {}).items():
        for name, value in figures.items():
            flat[f"{prefix}.{name}.{label}"] = value
    for source, figures in result.get("by_source", {}).items():
        for name in figures:
            flat[f"{prefix}.source.{source}.{name}"] = figures[name]
    for label, info in result.get("unknown_labels", {}).items():
        flat[f"{prefix}.unknown_label.{label}"] = info["n"]
    flat.update(flat_selective(result, prefix))
    return flat
