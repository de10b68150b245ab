"""Metrics on labeled news, one function for every model kind.

`evaluate_model` returns plain data (metrics, per-class figures, confusion matrix, per-source
metrics, predictions); `write_evaluation` turns it into metrics.json, predictions.jsonl,
confusion_matrix.png and report.md. Examples whose gold label the model does not know (another
source's extra topics) are counted and reported apart, never silently dropped.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from typing import Mapping, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .errors import KhabarError
from .examples import Example

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
                   batch_size: int = 256) -> dict:
    """Predict on labeled examples and measure; the model's labels define what counts."""
    label_map = dict(label_map or {})
    unknown_targets = sorted(set(label_map.values()) - set(model.labels_))
    if unknown_targets:
        raise KhabarError(f"--label-map maps to {unknown_targets}, which the model does not know; its labels are {model.labels_}")
    proba = predict_in_batches(model, [ex.inputs for ex in examples], batch_size)
    predictions = []
    for ex, row in zip(examples, proba):
        gold = label_map.get(ex.label, ex.label)
        order = np.argsort(-row)[:TOP_K]
        predictions.append({
            "id": ex.id, "gold": gold, "original_label": ex.label, "predicted": model.labels_[order[0]],
            "probability": float(row[order[0]]), "top_k": [[model.labels_[i], float(row[i])] for i in order],
            "source": ex.source, "known": gold in model.labels_,
        })
    return summarize(predictions, model.labels_)


def predict_in_batches(model, inputs: list, batch_size: int = 256) -> np.ndarray:
    parts = [model.predict_proba(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)]
    return np.vstack(parts) if parts else np.zeros((0, len(model.labels_)))


def summarize(predictions: list[dict], labels: Sequence[str]) -> dict:
    """Metrics from prediction records (also used on a run's saved predictions.jsonl)."""
    known = [p for p in predictions if p["known"]]
    result = compute_metrics([p["gold"] for p in known], [p["predicted"] for p in known], labels)
    by_source = defaultdict(list)
    for p in known:
        if p.get("source"):
            by_source[p["source"]].append(p)
    if len(by_source) > 1:
        result["by_source"] = {
            source: {k: v for k, v in compute_metrics([p["gold"] for p in ps], [p["predicted"] for p in ps], labels).items()
                     if k in ("n", "accuracy", "macro_f1")}
            for source, ps in sorted(by_source.items())
        }
    unknown = [p for p in predictions if not p["known"]]
    if unknown:
        result["unknown_labels"] = {
            label: {"n": n, "predicted_as": dict(Counter(p["predicted"] for p in unknown if p["gold"] == label).most_common())}
            for label, n in Counter(p["gold"] for p in unknown).most_common()
        }
    result["predictions"] = predictions
    return result


def headline(result: dict) -> dict:
    """The figures a table shows: accuracy, macro-F1, weighted-F1, n."""
    return {k: result.get(k) for k in ("accuracy", "macro_f1", "weighted_f1", "n")}


def flat_metrics(result: dict, prefix: str) -> dict:
    """Flat keys (`test.accuracy`, `test.f1.Sports`, `test.source.x.accuracy`) for metrics.json."""
    flat = {f"{prefix}.{k}": v for k, v in headline(result).items()}
    for label, figures in result.get("per_class", {}).items():
        for name, value in figures.items():
            flat[f"{prefix}.{name}.{label}"] = value
    for source, figures in result.get("by_source", {}).items():
        for name in ("accuracy", "macro_f1", "n"):
            flat[f"{prefix}.source.{source}.{name}"] = figures[name]
    for label, info in result.get("unknown_labels", {}).items():
        flat[f"{prefix}.unknown_label.{label}"] = info["n"]
    return flat


def write_predictions(predictions: list[dict], path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for p in predictions:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")


def plot_confusion(result: dict, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = result["labels"]
    size = max(4.0, 0.7 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    matrix = np.array(result["confusion"]) if result["confusion"] else np.zeros((len(labels), len(labels)), int)
    ConfusionMatrixDisplay(matrix, display_labels=labels).plot(ax=ax, cmap="Blues", colorbar=False, xticks_rotation=45)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def worst_confusions(result: dict, top: int = 5) -> list[tuple[str, str, int]]:
    labels, matrix = result["labels"], result["confusion"]
    pairs = [(labels[i], labels[j], matrix[i][j]) for i in range(len(labels)) for j in range(len(labels))
             if i != j and matrix[i][j]]
    return sorted(pairs, key=lambda t: -t[2])[:top]


def report_markdown(title: str, sections: list[tuple[str, dict]], texts: Mapping[str, str], examples_shown: int = 8) -> str:
    """A readable report: headline figures, per-class table, worst confusions, misclassified examples."""
    lines = [f"# {title}", ""]
    for name, result in sections:
        lines += [f"## {name}", ""]
        if not result.get("n"):
            lines += ["No labeled examples the model knows.", ""]
            continue
        lines += [f"n = {result['n']}, accuracy = {result['accuracy']:.4f}, macro-F1 = {result['macro_f1']:.4f}, "
                  f"weighted-F1 = {result['weighted_f1']:.4f}", ""]
        lines += ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, f in result["per_class"].items():
            lines.append(f"| {label} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | {f['support']} |")
        lines.append("")
        if result.get("by_source"):
            lines += ["| source | n | accuracy | macro-F1 |", "|---|---|---|---|"]
            for source, f in result["by_source"].items():
                lines.append(f"| {source} | {f['n']} | {f['accuracy']:.4f} | {f['macro_f1']:.4f} |")
            lines.append("")
        confused = worst_confusions(result)
        if confused:
            lines += ["Worst-confused pairs (gold -> predicted: count): " + "; ".join(f"{g} -> {p}: {n}" for g, p, n in confused), ""]
        if result.get("unknown_labels"):
            lines += ["Labels the model does not know (reported apart, not in the figures above):", ""]
            for label, info in result["unknown_labels"].items():
                lines.append(f"- {label}: {info['n']} examples, predicted as {info['predicted_as']}")
            lines.append("")
        wrong = [p for p in result["predictions"] if p["known"] and p["gold"] != p["predicted"]][:examples_shown]
        if wrong:
            lines += ["Misclassified examples:", ""]
            for p in wrong:
                snippet = " ".join(texts.get(p["id"], "").split())[:160]
                lines.append(f"- `{p['id']}` gold {p['gold']}, predicted {p['predicted']} ({p['probability']:.2f}): {snippet}")
            lines.append("")
    return "\n".join(lines)


def write_evaluation(result: dict, out_dir: str, title: str, examples: Sequence[Example], prefix: str = "eval") -> dict:
    """metrics.json, predictions.jsonl, confusion_matrix.png and report.md for one evaluation."""
    os.makedirs(out_dir, exist_ok=True)
    flat = flat_metrics(result, prefix)
    with open(os.path.join(out_dir, "metrics.json"), "w", encoding="utf-8") as fh:
        json.dump(flat, fh, ensure_ascii=False, indent=2, sort_keys=True)
    write_predictions(result["predictions"], os.path.join(out_dir, "predictions.jsonl"))
    plot_confusion(result, os.path.join(out_dir, "confusion_matrix.png"), title)
    texts = {ex.id: ex.text if ex.text_pair is None else f"{ex.text} || {ex.text_pair}" for ex in examples}
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as fh:
        fh.write(report_markdown(title, [(prefix, result)], texts))
    return flat
