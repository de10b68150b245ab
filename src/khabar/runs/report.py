"""Results a person reads: the report (report.md), the confusion matrix plot, and the reliability
diagram with the risk–coverage curve.

Why apart from `evaluate`: the metrics are plain data that `compare` and the tests use too; how
they are laid out on a page is a separate, replaceable concern.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np


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
        if result.get("restricted_to"):
            lines += [f"Predictions restricted to {', '.join(result['restricted_to'])} (probabilities renormalized over them).", ""]
        lines += selective_lines(result)
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


