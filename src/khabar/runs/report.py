"""Results a person reads: the report (report.md), the confusion matrix plot, and the reliability
diagram with the risk–coverage curve. A multi-label result has its own part of the report
(`multi_label_lines`) and, in place of the confusion matrix, the per-label decision counts; it has
no reliability diagram (no single top prediction to calibrate).

Why apart from `evaluate`: the metrics are plain data that `compare` and the tests use too; how
they are laid out on a page is a separate, replaceable concern.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..models.metrics import LABEL_SET, ONE_LABEL, metrics_for
from . import markdown
from ..models.scheme import scheme_of_result


def plot_confusion(result: dict, path: str, title: str) -> None:
    """The confusion matrix (rows = gold); for a multi-label result the per-label confusion summary."""
    PLOTS[scheme_of_result(result).name](result, path, title)


def plot_label_matrix(result: dict, path: str, title: str) -> None:
    """The square confusion matrix of a one-label result (rows = gold)."""
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


def plot_label_confusion(result: dict, path: str, title: str) -> None:
    """A multi-label result has no square confusion matrix (an article may be right on one label and
    wrong on another): one row per label with its TP, FN, FP and TN counts, shaded by their share
    of the articles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = ("tp", "fn", "fp", "tn")
    labels = list(result.get("label_confusion") or {}) or list(result.get("labels") or [])
    counts = np.array([[result.get("label_confusion", {}).get(lab, {}).get(c, 0) for c in columns] for lab in labels],
                      dtype=float).reshape(len(labels), len(columns))
    fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.45 * len(labels) + 1.6)))
    ax.imshow(counts / max(result.get("n") or 1, 1), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(len(labels)):
        for j in range(len(columns)):
            share = counts[i, j] / max(result.get("n") or 1, 1)
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", color="white" if share > 0.6 else "black")
    ax.set_xticks(range(len(columns)), ["true pos.", "false neg.", "false pos.", "true neg."])
    ax.set_yticks(range(len(labels)), labels)
    ax.set_title(f"{title}\nper-label decisions (n = {result.get('n') or 0} articles)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reliability(result: dict, path: str, title: str) -> bool:
    """Two panels: the reliability diagram (accuracy per confidence bin against the diagonal, the
    bins of the expected calibration error) and the risk–coverage curve (accuracy of the most
    confident predictions against the share kept). False (nothing written) without figures."""
    from .calibration import confidence_and_correct, curve

    figures = result.get("selective") or {}
    bins = figures.get("calibration", {}).get("bins")
    if not bins:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
    width = bins[0]["high"] - bins[0]["low"]
    left.bar([b["low"] for b in bins], [b["accuracy"] for b in bins], width=width, align="edge",
             color="#3b7dd8", edgecolor="white", label="accuracy in the bin")
    left.hlines([b["confidence"] for b in bins], [b["low"] for b in bins], [b["high"] for b in bins],
                colors="#c0392b", linewidth=2, label="mean confidence in the bin")
    left.plot([0, 1], [0, 1], color="#555555", linestyle="--", linewidth=1, label="perfect calibration")
    left.set_xlim(0, 1)
    left.set_ylim(0, 1)
    left.set_xlabel("confidence (top probability)")
    left.set_ylabel("accuracy")
    left.set_title(f"reliability: ECE {figures['calibration']['ece']:.4f} ({len(bins)} filled bins of 15)")
    left.legend(loc="upper left", fontsize=8)
    coverage, accuracy = curve(*confidence_and_correct([p for p in result["predictions"] if p["known"]]))
    right.plot(coverage, accuracy, color="#3b7dd8")
    risk = figures.get("risk_coverage", {})
    for key in ("coverage_80", "coverage_50"):
        if key in risk:
            c = int(key.split("_")[1]) / 100
            right.scatter([c], [risk[key]["accuracy"]], color="#c0392b", zorder=3)
            right.annotate(f"{risk[key]['accuracy']:.3f} at {c:.0%}", (c, risk[key]["accuracy"]),
                           textcoords="offset points", xytext=(-10, -14), fontsize=8)
    abstain = figures.get("abstain")
    if abstain and abstain.get("coverage") and abstain.get("accuracy") is not None:
        right.scatter([abstain["coverage"]], [abstain["accuracy"]], marker="s", color="#2e8b57", zorder=3,
                      label=f"threshold {abstain['min_confidence']:.3f}")
        right.legend(loc="lower left", fontsize=8)
    right.set_xlim(0, 1.02)
    right.set_xlabel("coverage (share of predictions kept, most confident first)")
    right.set_ylabel("accuracy of those kept")
    right.set_title(f"risk–coverage: AURC {risk.get('aurc', float('nan')):.4f}")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def selective_lines(result: dict) -> list[str]:
    """The report's lines on abstaining and calibration (none without figures)."""
    figures = result.get("selective") or {}
    risk = figures.get("risk_coverage")
    if not risk:
        return []
    keys = [k for k in risk if k.startswith("coverage_")]
    lines = ["| coverage | " + " | ".join(f"{int(k.split('_')[1])}%" for k in keys) + " |",
             "|---|" + "---|" * len(keys),
             "| accuracy | " + " | ".join(f"{risk[k]['accuracy']:.4f}" for k in keys) + " |",
             "| threshold | " + " | ".join(f"{risk[k]['threshold']:.4f}" for k in keys) + " |", ""]
    text = f"Risk–coverage: AURC {risk['aurc']:.4f} (the mean error rate of the k most confident, lower is better)"
    if "ece" in figures.get("calibration", {}):
        text += f"; expected calibration error {figures['calibration']['ece']:.4f} (15 equal-width bins)"
    lines += [text + ".", ""]
    abstain = figures.get("abstain")
    if abstain:
        acc = "no prediction kept" if abstain["accuracy"] is None else f"accuracy {abstain['accuracy']:.4f}"
        lines += [f"Abstaining below {abstain['min_confidence']:.4f}: coverage {abstain['coverage']:.4f} "
                  f"({abstain['n']} kept), {acc}.", ""]
    return lines


def worst_confusions(result: dict, top: int = 5) -> list[tuple[str, str, int]]:
    labels, matrix = result["labels"], result["confusion"]
    pairs = [(labels[i], labels[j], matrix[i][j]) for i in range(len(labels)) for j in range(len(labels))
             if i != j and matrix[i][j]]
    return sorted(pairs, key=lambda t: -t[2])[:top]


def headline_text(result: dict) -> str:
    """`n = 120, accuracy = 0.9, macro-F1 = ...`: the result's headline metrics (`models.metrics`)."""
    scheme = scheme_of_result(result).name
    return ", ".join([f"n = {result['n']}"] + [f"{m.display} = {result[m.name]:.4f}"
                                               for m in metrics_for(scheme, headline=True)])


def source_lines(result: dict) -> list[str]:
    """The per-source table: n and the per-source metrics of the result's scheme."""
    if not result.get("by_source"):
        return []
    shown = [m for m in metrics_for(scheme_of_result(result).name, headline=True) if m.per_source]
    lines = ["| source | n | " + " | ".join(m.display for m in shown) + " |", "|---|---|" + "---|" * len(shown)]
    for source, f in result["by_source"].items():
        lines.append(f"| {source} | {f['n']} | " + " | ".join(f"{f[m.name]:.4f}" for m in shown) + " |")
    return lines + [""]


def unknown_lines(result: dict) -> list[str]:
    if not result.get("unknown_labels"):
        return []
    lines = ["Labels the model does not know (reported apart, not in the figures above):", ""]
    for label, info in result["unknown_labels"].items():
        lines.append(f"- {label}: {info['n']} examples, predicted as {info['predicted_as']}")
    return lines + [""]


def report_markdown(title: str, sections: list[tuple[str, dict]], texts: Mapping[str, str], examples_shown: int = 8) -> str:
    """A readable report: headline figures, per-class table, worst confusions, misclassified examples.
    Every string from the data (labels, sources, ids, texts) is escaped for Markdown and HTML first."""
    title, sections, texts = markdown.escaped((title, sections, dict(texts)))
    lines = [f"# {title}", ""]
    for name, result in sections:
        lines += [f"## {name}", ""]
        if not result.get("n"):
            lines += ["No labeled examples the model knows.", ""]
            continue
        lines += [headline_text(result), ""]
        lines += SECTIONS[scheme_of_result(result).name](result, texts, examples_shown)
    return "\n".join(lines)


def one_label_lines(result: dict, texts: Mapping[str, str], examples_shown: int = 8) -> list[str]:
    """A one-label result's part of the report after its headline: per-class table, restriction,
    abstaining, sources, worst confusions, unknown labels and misclassified examples."""
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, f in result["per_class"].items():
        lines.append(f"| {label} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | {f['support']} |")
    lines.append("")
    if result.get("restricted_to"):
        lines += [f"Predictions restricted to {', '.join(result['restricted_to'])} (probabilities renormalized over them).", ""]
    lines += selective_lines(result)
    lines += source_lines(result)
    confused = worst_confusions(result)
    if confused:
        lines += ["Worst-confused pairs (gold -> predicted: count): " + "; ".join(f"{g} -> {p}: {n}" for g, p, n in confused), ""]
    lines += unknown_lines(result)
    wrong = [p for p in result["predictions"] if p["known"] and p["gold"] != p["predicted"]][:examples_shown]
    if wrong:
        lines += ["Misclassified examples:", ""]
        for p in wrong:
            snippet = " ".join(texts.get(p["id"], "").split())[:160]
            lines.append(f"- `{p['id']}` gold {p['gold']}, predicted {p['predicted']} ({p['probability']:.2f}): {snippet}")
        lines.append("")
    return lines


def multi_label_lines(result: dict, texts: Mapping[str, str], examples_shown: int = 8) -> list[str]:
    """A multi-label result's part of the report after its headline: per-label table with its
    decision counts, label cardinality, the recall of the articles with 2+ labels, by source, and
    articles whose predicted set differs from the gold set."""
    lines = ["Subset accuracy counts an article right only when its predicted label set is exactly the gold set.", ""]
    thresholds = result.get("thresholds") or {}
    head = "| label | precision | recall | F1 | support | TP | FP | FN |" + (" threshold |" if thresholds else "")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for label, f in result["per_class"].items():
        c = result["label_confusion"].get(label, {})
        row = (f"| {label} | {f['precision']:.3f} | {f['recall']:.3f} | {f['f1']:.3f} | {f['support']} | "
               f"{c.get('tp', '')} | {c.get('fp', '')} | {c.get('fn', '')} |")
        if thresholds:
            row += f" {thresholds[label]:.4f} |" if label in thresholds else " |"
        lines.append(row)
    lines.append("")
    card = result["cardinality"]
    lines += [f"Label cardinality (mean labels per article): gold {card['gold']:.3f}, predicted {card['predicted']:.3f}.", ""]
    two = result["two_plus"]
    if two["n"]:
        lines += [f"Articles with 2+ gold labels: {two['n']}; {two['all_labels']:.4f} of them get all their labels "
                  f"({round(two['all_labels'] * two['n'])} of {two['n']}), {two['label_recall']:.4f} of their labels found.", ""]
    else:
        lines += ["No article has 2+ gold labels here.", ""]
    lines += source_lines(result)
    lines += unknown_lines(result)
    wrong = [p for p in result["predictions"] if p["known"] and set(p["gold"]) != set(p["predicted"])][:examples_shown]
    if wrong:
        lines += ["Articles whose predicted label set differs from the gold set:", ""]
        for p in wrong:
            snippet = " ".join(texts.get(p["id"], "").split())[:160]
            shown = ", ".join(f"{d['label']} {d['probability']:.2f}" for d in p.get("labels") or []) or "none"
            lines.append(f"- `{p['id']}` gold {{{', '.join(p['gold'])}}}, predicted {{{', '.join(p['predicted'])}}} "
                         f"({shown}): {snippet}")
        lines.append("")
    return lines


#: each scheme's part of the report and its confusion plot
SECTIONS = {ONE_LABEL: one_label_lines, LABEL_SET: multi_label_lines}
PLOTS = {ONE_LABEL: plot_label_matrix, LABEL_SET: plot_label_confusion}
