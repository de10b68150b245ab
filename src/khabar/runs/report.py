"""Results a person reads: the report (report.md) and the confusion matrix plot.

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


