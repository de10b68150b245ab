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

from collections import defaultdict
from typing import Mapping, Sequence

from ..errors import KhabarError
from ..examples import Example
from ..models.metrics import headline_names, metrics_for, per_source_names
from ..models.predict import check_request, predict_proba_in_batches
from ..models.scheme import check_probability, scheme_of_records, scheme_of_result
from .calibration import flat_selective, selective_figures
from .multi_label import flat_label_sets

TOP_K = 3


def compute_metrics(gold: Sequence, predicted: Sequence, labels: Sequence[str]) -> dict:
    """Every figure of decisions against gold (label names, or label lists for label sets), with
    per-class figures and the confusion matrix (rows = gold) or per-label decision counts."""
    return scheme_of_records([{"gold": gold[0]}] if gold else []).figures(gold, predicted, labels)


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
    `scheme.restrict_proba`); gold labels outside it then count as unknown, reported apart.
    `min_confidence`: also report the coverage and accuracy of the predictions kept at this
    threshold (each prediction record says whether it abstained); the other figures use them all.
    A label-set model has neither (each label has its own threshold): its scheme refuses both.
    """
    label_map = dict(label_map or {})
    unknown_targets = sorted(set(label_map.values()) - set(model.labels_))
    if unknown_targets:
        raise KhabarError(f"--label-map maps to {unknown_targets}, which the model does not know; its labels are {model.labels_}")
    check_request(model, min_confidence or None, labels)  # before predicting
    check_probability(min_confidence, "--min-confidence")
    scheme = model.scheme
    proba = predict_proba_in_batches(model, [ex.inputs for ex in examples], batch_size)
    proba, names = scheme.restrict(proba, model.labels_, labels)
    predictions = []
    for ex, row, chosen in zip(examples, scheme.rows(names, proba, TOP_K, min_confidence=min_confidence),
                               scheme.decide(proba)):
        gold = scheme.gold(ex, label_map)
        predictions.append({"id": ex.id, "gold": gold, "original_label": scheme.original(ex),
                            "predicted": scheme.predicted(names, chosen), **row,
                            "source": ex.source, "known": scheme.known(gold, names)})
    result = summarize(predictions, names, min_confidence)
    if labels is not None:
        result["restricted_to"] = list(names)
    result.update(scheme.result_notes(names))
    return result


def summarize(predictions: list[dict], labels: Sequence[str], min_confidence: float | None = None) -> dict:
    """Metrics from prediction records (also used on a run's saved predictions.jsonl); the
    records' scheme (one label, or label sets) decides the figures."""
    scheme = scheme_of_records(predictions)
    known = [p for p in predictions if p["known"]]
    result = scheme.figures([p["gold"] for p in known], [p["predicted"] for p in known], labels)
    by_source = defaultdict(list)
    for p in known:
        if p.get("source"):
            by_source[p["source"]].append(p)
    if len(by_source) > 1:
        wanted = per_source_names(scheme.name)
        result["by_source"] = {
            source: {k: v for k, v in scheme.figures([p["gold"] for p in ps], [p["predicted"] for p in ps], labels).items()
                     if k in wanted}
            for source, ps in sorted(by_source.items())
        }
    unknown = [p for p in predictions if not p["known"]]
    if unknown:
        result["unknown_labels"] = scheme.unknown(unknown, labels)
    selective = scheme.selective(known, min_confidence, selective_figures)
    if selective:
        result["selective"] = selective
    result["predictions"] = predictions
    return result


def headline(result: dict) -> dict:
    """The figures a table shows: accuracy, macro-F1, weighted-F1, n; for a multi-label result
    micro-, macro- and samples-F1, Hamming loss, subset accuracy (as `accuracy`) and n."""
    return {k: result.get(k) for k in headline_names(scheme_of_result(result).name)}


def flat_metrics(result: dict, prefix: str) -> dict:
    """Flat keys (`test.accuracy`, `test.f1.Sports`, `test.source.x.accuracy`) for metrics.json."""
    scheme = scheme_of_result(result).name
    flat = {f"{prefix}.{k}": v for k, v in headline(result).items()}
    flat.update({f"{prefix}.{m.name}": result.get(m.name) for m in metrics_for(scheme, headline=False)})
    flat.update(flat_label_sets(result, prefix))
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
