"""What a model card says that differs between a one-label model and a label-set model, one class
each (`part_of`), and the table helpers both use.

Why apart from `card`: the card's layout (front matter, sections, files) is the same for every
model; how it decides (an abstain threshold, or a threshold per label), what its results table
shows and what its limits are is the label scheme's (`models.scheme`), and the metrics come from
the registry (`models.metrics`).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..models.metrics import LABEL_SET, ONE_LABEL, headline_names, metric, metrics_for, per_source_names


class OneLabelCard:
    """The card of a model that gives one label per article (and may abstain)."""

    tags: tuple[str, ...] = ()

    def __init__(self, manifest: Mapping[str, Any]):
        abstain = manifest.get("abstain")
        self.abstain = abstain if isinstance(abstain, dict) else None

    def what(self, kind: str, task: str, n_labels: int, version: str) -> str:
        return (f"A {kind} model that labels Arabic news {'articles by topic' if task == 'topic' else 'claim/headline pairs by stance'}, "
                f"trained with khabar {version}. "
                f"It gives one of {n_labels} labels with a probability, and abstains (no label) when "
                "its confidence is below the threshold stored with it.")

    def after_description(self) -> list[str]:
        return []

    def results(self, metrics: Mapping[str, Any], evaluated: list[str], config: Mapping[str, Any]) -> list[str]:
        """Headline metrics with risk–coverage and calibration, the extra sets, sources, coverage table."""
        proba_metrics = metrics_for(ONE_LABEL, headline=None, needs_proba=True)
        lines = [headline_header(ONE_LABEL, ["accuracy at 80% coverage"] + [m.display for m in proba_metrics])]
        for split in evaluated:
            lines.append("| " + " | ".join([split] + headline_cells(metrics, split, ONE_LABEL) + [
                fmt(metrics.get(f"{split}.{k}")) for k in ["coverage_80.accuracy"] + [m.name for m in proba_metrics]]) + " |")
        lines.append("")
        for extra in (config.get("eval") or {}).get("extra") or []:
            notes = []
            if extra.get("label_map"):
                notes.append("labels mapped " + ", ".join(f"{a}→{b}" for a, b in extra["label_map"].items()))
            if extra.get("labels"):
                notes.append("prediction restricted to " + ", ".join(extra["labels"]))
            unknown = {k.rsplit(".", 1)[1]: v for k, v in metrics.items() if k.startswith(f"{extra.get('name')}.unknown_label.")}
            if unknown:
                notes.append("labels the model does not know, left out: " + ", ".join(f"{k} ({v})" for k, v in unknown.items()))
            if notes:
                lines += [f"`{extra.get('name')}` ({data_name(extra.get('data') or {})}): " + "; ".join(notes) + ".", ""]
        lines += per_source_lines(metrics, evaluated, ONE_LABEL)
        coverage_keys = sorted({k.split(".")[1] for k in metrics if ".coverage_" in k},
                               key=lambda c: -int(c.split("_")[1]))
        if coverage_keys:
            lines += ["Risk–coverage (accuracy of the most confident share of predictions):", "",
                      "| evaluation | " + " | ".join(f"{int(c.split('_')[1])}%" for c in coverage_keys) + " |",
                      "|---|" + "---|" * len(coverage_keys)]
            for split in evaluated:
                lines.append(f"| {split} | " + " | ".join(fmt(metrics.get(f"{split}.{c}.accuracy")) for c in coverage_keys) + " |")
            lines.append("")
        return lines

    def decision(self, metrics: Mapping[str, Any], evaluated: list[str], labels: list[str]) -> list[str]:
        return abstain_lines(metrics, evaluated, self.abstain)

    def use(self) -> str:
        return ("Restrict the labels to those that apply to a source (`--labels`) "
                "and keep the abstain threshold on: an abstained article goes to a person.")

    def example(self, labels: list[str]) -> str:
        return "khabar predict MODEL_DIR articles.jsonl --min-confidence 0.9 --labels " + ",".join(labels[:3])

    def limitations(self, n_labels: int) -> list[str]:
        return [f"It knows only its {n_labels} labels: an article about anything else still gets one "
                "of them, often with high confidence; the abstain threshold catches only part of these.",
                "Probabilities are calibrated on the dev split of the training data; on other sources they are less reliable "
                "(compare the ECE of the evaluations above)."]


class LabelSetCard(OneLabelCard):
    """The card of a model that gives a set of labels, each at its own threshold."""

    tags = ("multi-label-classification",)

    def __init__(self, manifest: Mapping[str, Any]):
        super().__init__(manifest)
        self.note = manifest.get("multi_label") or {}
        self.none = bool(self.note.get("allow_no_label"))

    def what(self, kind: str, task: str, n_labels: int, version: str) -> str:
        return (f"A multi-label {kind} model that labels Arabic news articles by topic, trained with khabar "
                f"{version}. An article may carry several of its {n_labels} labels: "
                "it gives every label whose probability reaches that label's own threshold, with the probabilities, "
                + ("and no label when none does." if self.none else "and at least its most probable label."))

    def after_description(self) -> list[str]:
        return ["Multi-label: an article gets every label at or above that label's threshold (below).", ""]

    def results(self, metrics: Mapping[str, Any], evaluated: list[str], config: Mapping[str, Any]) -> list[str]:
        """The headline metrics with label cardinality, the articles with 2+ labels, by source."""
        lines = [headline_header(LABEL_SET, ["label cardinality gold / predicted"])]
        for split in evaluated:
            cells = headline_cells(metrics, split, LABEL_SET)
            gold, predicted = metrics.get(f"{split}.cardinality.gold"), metrics.get(f"{split}.cardinality.predicted")
            cells.append(f"{fmt(gold, 3)} / {fmt(predicted, 3)}" if gold is not None else "")
            lines.append(f"| {split} | " + " | ".join(cells) + " |")
        lines += ["", "Subset accuracy counts an article right only when its predicted label set is exactly the gold set.", ""]
        two = [f"{split}: {fmt(metrics[f'{split}.two_plus.all_labels'])} of {metrics.get(f'{split}.two_plus.n')}"
               for split in evaluated if metrics.get(f"{split}.two_plus.all_labels") is not None]
        if two:
            lines += ["Articles with two or more gold labels that get all of them: " + "; ".join(two) + ".", ""]
        return lines + per_source_lines(metrics, evaluated, LABEL_SET)

    def decision(self, metrics: Mapping[str, Any], evaluated: list[str], labels: list[str]) -> list[str]:
        return thresholds_lines(self.note, labels)

    def use(self) -> str:
        return "Each label is decided on its own: check the articles that get several labels" + (", or none." if self.none else ".")

    def example(self, labels: list[str]) -> str:
        return "khabar predict MODEL_DIR articles.jsonl"

    def limitations(self, n_labels: int) -> list[str]:
        return [f"It knows only its {n_labels} labels: an article about anything else "
                + ("may still get some of them." if self.none else "still gets at least its most probable one."),
                f"The thresholds were chosen on the {self.note.get('chosen_on') or 'held-out data'}: a label with few "
                "examples there has a rough threshold, and on other sources the label counts per article drift "
                "(compare the label cardinality, gold against predicted)."]


#: each scheme's card text
PARTS = {ONE_LABEL: OneLabelCard, LABEL_SET: LabelSetCard}


def part_of(scheme, manifest: Mapping[str, Any]) -> OneLabelCard:
    """The card text of a model's scheme."""
    return PARTS[scheme.name](manifest)


def headline_header(scheme: str, extra: list[str]) -> str:
    """The results table's header and rule: evaluation, n, the scheme's headline metrics, `extra`."""
    names = ["evaluation", "n"] + [m.display for m in metrics_for(scheme, headline=True)] + extra
    return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)


def headline_cells(metrics: Mapping[str, Any], split: str, scheme: str) -> list[str]:
    return [fmt(metrics.get(f"{split}.{k}")) for k in headline_names(scheme)[-1:] + headline_names(scheme)[:-1]]


def per_source_lines(metrics: Mapping[str, Any], evaluated: list[str], scheme: str) -> list[str]:
    """The per-source table: n and the scheme's per-source metrics (`models.metrics`) per
    evaluation and source, from metrics.json's flat keys; nothing when no source is named."""
    keys = per_source_names(scheme)
    first = keys[1]
    sources = sorted({k.split(".")[2] for k in metrics if ".source." in k and k.endswith(f".{first}")
                      and k.split(".")[0] in evaluated})
    if not sources:
        return []
    shown = ["n"] + [metric(k, scheme).display for k in keys[1:]]
    lines = ["Per source:", "", "| evaluation | source | " + " | ".join(shown) + " |", "|---|---|" + "---|" * len(shown)]
    for split in evaluated:
        for source in sources:
            if f"{split}.source.{source}.{first}" in metrics:
                lines.append(f"| {split} | {source} | " + " | ".join(fmt(metrics.get(f"{split}.source.{source}.{k}"))
                                                            for k in keys) + " |")
    return lines + [""]


def thresholds_lines(note: Mapping[str, Any], labels: list[str]) -> list[str]:
    """How a multi-label model decides: its per-label thresholds and where they were chosen."""
    thresholds = note.get("thresholds") or {}
    lines = ["## Thresholds", "",
             f"Each label has its own decision threshold, chosen on the {note.get('chosen_on') or 'held-out data'} "
             "where that label's F1 peaks; an article gets every label whose probability reaches its threshold, "
             "most probable first" + ("." if note.get("allow_no_label") else ", and always its most probable label."),
             "", "| label | threshold |", "|---|---|"]
    lines += [f"| {lab} | {fmt(thresholds.get(lab))} |" for lab in labels]
    if note.get("default_for"):
        lines += ["", f"No positive example of {', '.join(note['default_for'])} to choose on: the default threshold for them."]
    return lines + [""]


def abstain_lines(metrics: Mapping[str, Any], evaluated: list[str], abstain: Mapping[str, Any] | None) -> list[str]:
    lines = ["## Calibration and abstaining", ""]
    eces = [f"{split} {metrics[f'{split}.ece']:.4f}" for split in evaluated if metrics.get(f"{split}.ece") is not None]
    if eces:
        lines += ["Expected calibration error (15 equal-width bins of the top probability): " + ", ".join(eces) + ".", ""]
    if abstain:
        how = (f"chosen on the dev split for a target precision of {abstain['target_precision']:g}: dev precision "
               f"{fmt(abstain.get('dev_precision'))} at coverage {fmt(abstain.get('dev_coverage'))}"
               + ("" if abstain.get("reached", True) else "; the target was not reached, this is the best dev precision")
               ) if abstain.get("target_precision") is not None else "set in the config"
        lines += [f"Abstain threshold: **{abstain['min_confidence']:.4f}** ({how}). Below it a prediction has no label "
                  "(`\"label\": null, \"abstained\": true`, the top-k still listed); `--min-confidence 0` switches it off."]
        kept = [f"{split}: coverage {fmt(metrics.get(f'{split}.abstain.coverage'))}, accuracy "
                f"{fmt(metrics.get(f'{split}.abstain.accuracy'))}" for split in evaluated
                if metrics.get(f"{split}.abstain.coverage") is not None]
        if kept:
            lines += ["", "At this threshold: " + "; ".join(kept) + "."]
        lines.append("")
    else:
        lines += ["No abstain threshold is stored: every prediction gets a label unless `--min-confidence P` is given "
                  "(or the config sets `predict.min_confidence` / `predict.target_precision`).", ""]
    return lines


def fmt(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def data_name(data: Mapping[str, Any]) -> str:
    paths = data.get("path") or []
    paths = [paths] if isinstance(paths, str) else list(paths)
    if data.get("hub"):
        return str(data["hub"])
    if not paths:
        return "custom"
    base = os.path.basename(str(paths[0]).rstrip("/"))
    for suffix in (".gz", ".jsonl", ".json", ".csv", ".tsv", ".parquet"):
        base = base.removesuffix(suffix)
    return base or "custom"
