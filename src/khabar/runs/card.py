"""The model card: `README.md` in every model directory, in the Hugging Face format.

Why in the model directory: the card travels with the weights (a copied or served model explains
itself; the server shows it), and `khabar.json` lists it with its SHA-256 like every other file,
so a card that does not belong to the model is refused like a swapped weights file.

The card is built from what a run directory holds, so training and `khabar card RUN` write the
same text: the manifest (labels, normalization, parameters, data fingerprint, abstain threshold,
how probabilities were made), the flat metrics of metrics.json, the resolved config and the
provenance. The YAML front matter is made by `huggingface_hub`'s `ModelCardData` (language,
license, library, pipeline tag, tags, datasets, metrics and a `model-index` of `EvalResult`s); the
body is Markdown. Nothing here touches the Hub.

Training writes the card into the model directory before `Model.save` records the files; `khabar
card RUN` rewrites it and updates its entry in the manifest's file list, after checking that every
other file is still the one saved.

A multi-label model (the manifest's `multi_label` note) gets a card that says so: how it decides
(every label at or above its own threshold), the thresholds and where they were chosen, and the
multi-label figures (micro-, macro-, samples-F1, Hamming loss, subset accuracy) instead of the
single-label ones and the abstain section.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Mapping

import yaml

from ..models.base import resolve_model_dir
from ..models.manifest import MANIFEST, MULTI_LABEL, file_digest, read_manifest, verify_files
from ..models.metrics import LABEL_SET, ONE_LABEL, card_metrics, headline_names, metric, metrics_for, per_source_names
from ..models.scheme import OneLabel
from .run_dir import read_mapping

CARD = "README.md"
TASK_TAGS = {"topic": "topic-classification", "stance": "stance-detection"}


def card_text(manifest: Mapping[str, Any], metrics: Mapping[str, Any] | None = None,
              config: Mapping[str, Any] | None = None, provenance: Mapping[str, Any] | None = None) -> str:
    """The card's text: Hugging Face front matter, then the Markdown body."""
    from huggingface_hub import ModelCard, ModelCardData

    metrics, config, provenance = dict(metrics or {}), dict(config or {}), dict(provenance or {})
    card_cfg = dict(config.get("card") or {})
    name = config.get("name") or "khabar model"
    task = manifest.get("task", "topic")
    kind = manifest.get("kind", "")
    datasets = [d for d in card_cfg.get("datasets") or [] if d]
    scheme = _scheme(manifest)
    multi = scheme.multi_label
    data = ModelCardData(
        language="ar", license=card_cfg.get("license") or "unknown", library_name="khabar",
        pipeline_tag="text-classification",
        tags=["khabar", "arabic", "news", TASK_TAGS.get(task, task), *(["multi-label-classification"] if multi else []), kind],
        datasets=datasets or None, model_name=name,
        metrics=list(dict.fromkeys(m.card_type for m in card_metrics(scheme.name))),
        eval_results=_eval_results(metrics, config, datasets, task, scheme) or None,
    )
    body = _body(name, manifest, metrics, config, provenance, card_cfg)
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def _multi_label(manifest: Mapping[str, Any]) -> dict | None:
    """The manifest's multi-label note ({"thresholds", "allow_no_label", "chosen_on"}), None for single-label."""
    return _scheme(manifest).manifest_section().get(MULTI_LABEL)


def _scheme(manifest: Mapping[str, Any]):
    return OneLabel.from_sections(manifest.get("abstain"), manifest.get(MULTI_LABEL), list(manifest.get("labels") or []))


def _evaluated(metrics: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """The result names in metrics.json, test first, then the extra sets, then dev and the rest."""
    names = sorted({key.split(".", 1)[0] for key in metrics if key.endswith(".accuracy") and "." in key})
    names = [n for n in names if n != "train" and metrics.get(f"{n}.accuracy") is not None]
    extras = [e.get("name") for e in (config.get("eval") or {}).get("extra") or []]
    order = ["test"] + [e for e in extras if e] + ["dev"]
    return [n for n in order if n in names] + [n for n in names if n not in order]


def _eval_results(metrics, config, datasets, task, scheme) -> list:
    from huggingface_hub import EvalResult

    extras = {e.get("name"): e for e in (config.get("eval") or {}).get("extra") or []}
    out = []
    for split in _evaluated(metrics, config):
        if split == "dev":
            continue  # chosen on and calibrated on: not a fair figure for the index
        extra = extras.get(split)
        dataset_type = (datasets[0] if datasets and not extra else _data_name(extra["data"]) if extra
                        else _data_name(config.get("data") or {}))
        for metric in card_metrics(scheme.name):
            value = metrics.get(f"{split}.{metric.name}")
            if value is None:
                continue
            out.append(EvalResult(
                task_type="text-classification", task_name=f"Arabic news {task}{scheme.qualifier}",
                dataset_type=dataset_type, dataset_name=f"{config.get('name', 'data')}: {split}" if not extra else split,
                dataset_split="test" if split == "test" else (extra or {}).get("only_split") or "all",
                metric_type=metric.card_type, metric_value=round(float(value), 4), metric_name=metric.card_name,
                metric_config=metric.card_config))
    return out


def _data_name(data: Mapping[str, Any]) -> str:
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


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _body(name, manifest, metrics, config, provenance, card_cfg) -> str:
    task, kind = manifest.get("task", ""), manifest.get("kind", "")
    labels = list(manifest.get("labels") or [])
    data_cfg = config.get("data") or {}
    evaluated = _evaluated(metrics, config)
    abstain = manifest.get("abstain") if isinstance(manifest.get("abstain"), dict) else None
    multi = _multi_label(manifest)
    lines = [f"# {name}", ""]
    if multi:
        what = (f"A multi-label {kind} model that labels Arabic news articles by topic, trained with khabar "
                f"{manifest.get('khabar_version', '')}. An article may carry several of its {len(labels)} labels: "
                "it gives every label whose probability reaches that label's own threshold, with the probabilities, "
                + ("and no label when none does." if multi.get("allow_no_label") else "and at least its most probable label."))
    else:
        what = (f"A {kind} model that labels Arabic news {'articles by topic' if task == 'topic' else 'claim/headline pairs by stance'}, "
                f"trained with khabar {manifest.get('khabar_version', '')}. "
                f"It gives one of {len(labels)} labels with a probability, and abstains (no label) when "
                "its confidence is below the threshold stored with it.")
    lines += [card_cfg.get("description") or what, ""]
    if multi and card_cfg.get("description"):
        lines += ["Multi-label: an article gets every label at or above that label's threshold (below).", ""]

    lines += ["## Labels", "", ", ".join(f"`{lab}`" for lab in labels), ""]
    if task == "stance":
        lines += ["Input: a claim and a text (article or headline); the label says how the text stands to the claim.", ""]

    lines += ["## Training data", ""]
    paths = data_cfg.get("path") or []
    paths = [paths] if isinstance(paths, str) else list(paths)
    where = data_cfg.get("hub") or ", ".join(f"`{p}`" for p in paths) or "(not recorded)"
    lines.append(f"- data: {where}")
    counts = [f"{split} {metrics[f'{split}.n']}" for split in ("train", "dev", "test") if metrics.get(f"{split}.n") is not None]
    if counts:
        lines.append(f"- examples: {', '.join(counts)}")
    sources = provenance.get("train_sources")
    if sources:
        lines.append("- training sources: " + ", ".join(f"{s} ({n})" for s, n in sources.items()))
    lines.append(f"- data fingerprint (train, SHA-256 of texts and labels, 16 hex): `{manifest.get('data_fingerprint', '')}`")
    for split, fp in (provenance.get("data_fingerprint") or {}).items():
        if split != "train":
            lines.append(f"- {split} fingerprint: `{fp}`")
    if provenance.get("git_commit"):
        lines.append(f"- khabar commit: `{provenance['git_commit']}`; finished {provenance.get('finished_at', '')}")
    lines.append("")

    normalize = manifest.get("normalize") or {}
    lines += ["## Normalization", "",
              f"Preset `{normalize.get('preset', '')}`"
              + (f", steps changed: {', '.join(f'{k}={v}' for k, v in normalize['steps'].items())}" if normalize.get("steps") else "")
              + ". The model applies it itself to every input, in training and prediction alike.", ""]

    lines += ["## Parameters", "", "```yaml",
              yaml.safe_dump({"kind": kind, "model": manifest.get("params") or {}, "train": manifest.get("train") or {}},
                             allow_unicode=True, sort_keys=False).rstrip(), "```", ""]
    if manifest.get("probabilities"):
        lines += [f"Probabilities: {manifest['probabilities']}.", ""]

    lines += ["## Results", ""]
    if evaluated and multi:
        lines += _multi_label_results(metrics, evaluated)
    elif evaluated:
        proba_metrics = metrics_for(ONE_LABEL, headline=None, needs_proba=True)
        lines += [_headline_header(ONE_LABEL, ["accuracy at 80% coverage"] + [m.display for m in proba_metrics])]
        for split in evaluated:
            lines.append("| " + " | ".join([split] + _headline_cells(metrics, split, ONE_LABEL) + [
                _fmt(metrics.get(f"{split}.{k}")) for k in ["coverage_80.accuracy"] + [m.name for m in proba_metrics]]) + " |")
        lines.append("")
        extras = (config.get("eval") or {}).get("extra") or []
        for extra in extras:
            notes = []
            if extra.get("label_map"):
                notes.append("labels mapped " + ", ".join(f"{a}→{b}" for a, b in extra["label_map"].items()))
            if extra.get("labels"):
                notes.append("prediction restricted to " + ", ".join(extra["labels"]))
            unknown = {k.rsplit(".", 1)[1]: v for k, v in metrics.items() if k.startswith(f"{extra.get('name')}.unknown_label.")}
            if unknown:
                notes.append("labels the model does not know, left out: " + ", ".join(f"{k} ({v})" for k, v in unknown.items()))
            if notes:
                lines += [f"`{extra.get('name')}` ({_data_name(extra.get('data') or {})}): " + "; ".join(notes) + ".", ""]
        lines += _per_source_lines(metrics, evaluated, ONE_LABEL)
        coverage_keys = sorted({k.split(".")[1] for k in metrics if ".coverage_" in k},
                               key=lambda c: -int(c.split("_")[1]))
        if coverage_keys:
            lines += ["Risk–coverage (accuracy of the most confident share of predictions):", "",
                      "| evaluation | " + " | ".join(f"{int(c.split('_')[1])}%" for c in coverage_keys) + " |",
                      "|---|" + "---|" * len(coverage_keys)]
            for split in evaluated:
                lines.append(f"| {split} | " + " | ".join(_fmt(metrics.get(f"{split}.{c}.accuracy")) for c in coverage_keys) + " |")
            lines.append("")
    else:
        lines += ["No evaluation recorded with this model.", ""]

    if multi:
        lines += _thresholds_lines(multi, labels)
    else:
        lines += _abstain_lines(metrics, evaluated, abstain)

    lines += ["## Intended use", "",
              card_cfg.get("intended_use") or
              (f"Sorting and routing Arabic news {'by topic' if task == 'topic' else 'claims by stance'} among the labels above, "
               "with a person checking what matters. "
               + ("Each label is decided on its own: check the articles that get several labels"
                  + (", or none." if multi.get("allow_no_label") else ".")
                  if multi else "Restrict the labels to those that apply to a source (`--labels`) "
                  "and keep the abstain threshold on: an abstained article goes to a person.")), ""]

    lines += ["## Limitations", ""]
    for item in _limitations(manifest, metrics, config, provenance, evaluated) + list(card_cfg.get("limitations") or []):
        lines.append(f"- {item}")
    lines.append("")

    example = ("khabar predict MODEL_DIR articles.jsonl" if multi else
               "khabar predict MODEL_DIR articles.jsonl --min-confidence 0.9 --labels " + ",".join(labels[:3]))
    lines += ["## How to use", "", "```sh",
              'khabar predict MODEL_DIR --text "..."' + (' --pair "..."' if task == "stance" else ""),
              example, "khabar serve MODEL_DIR", "```", "",
              f"Regenerate this card with `khabar card RUN`; `{MANIFEST}` lists it with its SHA-256.", ""]
    return "\n".join(lines)


def _multi_label_results(metrics: Mapping[str, Any], evaluated: list[str]) -> list[str]:
    """The results of a multi-label model: its headline figures, the articles with 2+ labels, by source."""
    lines = [_headline_header(LABEL_SET, ["label cardinality gold / predicted"])]
    for split in evaluated:
        cells = _headline_cells(metrics, split, LABEL_SET)
        gold, predicted = metrics.get(f"{split}.cardinality.gold"), metrics.get(f"{split}.cardinality.predicted")
        cells.append(f"{_fmt(gold, 3)} / {_fmt(predicted, 3)}" if gold is not None else "")
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    lines += ["", "Subset accuracy counts an article right only when its predicted label set is exactly the gold set.", ""]
    two = [f"{split}: {_fmt(metrics[f'{split}.two_plus.all_labels'])} of {metrics.get(f'{split}.two_plus.n')}"
           for split in evaluated if metrics.get(f"{split}.two_plus.all_labels") is not None]
    if two:
        lines += ["Articles with two or more gold labels that get all of them: " + "; ".join(two) + ".", ""]
    lines += _per_source_lines(metrics, evaluated, LABEL_SET)
    return lines


def _headline_header(scheme: str, extra: list[str]) -> str:
    """The results table's header and rule: evaluation, n, the scheme's headline metrics, `extra`."""
    names = ["evaluation", "n"] + [m.display for m in metrics_for(scheme, headline=True)] + extra
    return "| " + " | ".join(names) + " |\n|" + "---|" * len(names)


def _headline_cells(metrics: Mapping[str, Any], split: str, scheme: str) -> list[str]:
    return [_fmt(metrics.get(f"{split}.{k}")) for k in headline_names(scheme)[-1:] + headline_names(scheme)[:-1]]


def _per_source_lines(metrics: Mapping[str, Any], evaluated: list[str], scheme: str) -> list[str]:
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
                lines.append(f"| {split} | {source} | " + " | ".join(_fmt(metrics.get(f"{split}.source.{source}.{k}"))
                                                            for k in keys) + " |")
    return lines + [""]


def _thresholds_lines(note: Mapping[str, Any], labels: list[str]) -> list[str]:
    """How a multi-label model decides: its per-label thresholds and where they were chosen."""
    thresholds = note.get("thresholds") or {}
    lines = ["## Thresholds", "",
             f"Each label has its own decision threshold, chosen on the {note.get('chosen_on') or 'held-out data'} "
             "where that label's F1 peaks; an article gets every label whose probability reaches its threshold, "
             "most probable first" + ("." if note.get("allow_no_label") else ", and always its most probable label."),
             "", "| label | threshold |", "|---|---|"]
    lines += [f"| {lab} | {_fmt(thresholds.get(lab))} |" for lab in labels]
    if note.get("default_for"):
        lines += ["", f"No positive example of {', '.join(note['default_for'])} to choose on: the default threshold for them."]
    return lines + [""]


def _abstain_lines(metrics: Mapping[str, Any], evaluated: list[str], abstain: Mapping[str, Any] | None) -> list[str]:
    lines = ["## Calibration and abstaining", ""]
    eces = [f"{split} {metrics[f'{split}.ece']:.4f}" for split in evaluated if metrics.get(f"{split}.ece") is not None]
    if eces:
        lines += ["Expected calibration error (15 equal-width bins of the top probability): " + ", ".join(eces) + ".", ""]
    if abstain:
        how = (f"chosen on the dev split for a target precision of {abstain['target_precision']:g}: dev precision "
               f"{_fmt(abstain.get('dev_precision'))} at coverage {_fmt(abstain.get('dev_coverage'))}"
               + ("" if abstain.get("reached", True) else "; the target was not reached, this is the best dev precision")
               ) if abstain.get("target_precision") is not None else "set in the config"
        lines += [f"Abstain threshold: **{abstain['min_confidence']:.4f}** ({how}). Below it a prediction has no label "
                  "(`\"label\": null, \"abstained\": true`, the top-k still listed); `--min-confidence 0` switches it off."]
        kept = [f"{split}: coverage {_fmt(metrics.get(f'{split}.abstain.coverage'))}, accuracy "
                f"{_fmt(metrics.get(f'{split}.abstain.accuracy'))}" for split in evaluated
                if metrics.get(f"{split}.abstain.coverage") is not None]
        if kept:
            lines += ["", "At this threshold: " + "; ".join(kept) + "."]
        lines.append("")
    else:
        lines += ["No abstain threshold is stored: every prediction gets a label unless `--min-confidence P` is given "
                  "(or the config sets `predict.min_confidence` / `predict.target_precision`).", ""]
    return lines


def _limitations(manifest, metrics, config, provenance, evaluated) -> list[str]:
    out = []
    sources = provenance.get("train_sources") or {}
    if len(sources) == 1:
        out.append(f"Trained on one source ({next(iter(sources))}): it learned that source's topics and habits too.")
    elif not sources:
        out.append("Trained on one collection without a source column: expect lower accuracy on other outlets.")
    multi = _multi_label(manifest)
    first = metrics_for(_scheme(manifest).name, headline=True)[0]
    key, figure = first.name, first.display
    test = metrics.get(f"test.{key}")
    for extra in (config.get("eval") or {}).get("extra") or []:
        value = metrics.get(f"{extra.get('name')}.{key}")
        if value is not None and test is not None:
            out.append(f"On another source ({extra.get('name')}) {figure} is {value:.4f}, against {test:.4f} on its own test split.")
    n_labels = len(manifest.get("labels") or [])
    if multi:
        out.append(f"It knows only its {n_labels} labels: an article about anything else "
                   + ("may still get some of them." if multi.get("allow_no_label") else
                      "still gets at least its most probable one."))
        out.append(f"The thresholds were chosen on the {multi.get('chosen_on') or 'held-out data'}: a label with few "
                   "examples there has a rough threshold, and on other sources the label counts per article drift "
                   "(compare the label cardinality, gold against predicted).")
    else:
        out.append(f"It knows only its {n_labels} labels: an article about anything else still gets one "
                   "of them, often with high confidence; the abstain threshold catches only part of these.")
        out.append("Probabilities are calibrated on the dev split of the training data; on other sources they are less reliable "
                   "(compare the ECE of the evaluations above).")
    return out


# -- files ----------------------------------------------------------------------------------------
def write_card(model_dir: str, text: str) -> str:
    """Write README.md into a model directory (before `Model.save` records the files)."""
    path = os.path.join(model_dir, CARD)
    os.makedirs(model_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def regenerate(path: str) -> str:
    """`khabar card RUN`: rewrite the card of a run's (or a bare model directory's) model from its
    files, and record the new card in the manifest's file list. Every other file of the model must
    still be the one saved (checked first, so the card never blesses a changed weights file).
    Returns the card's path."""
    model_dir = resolve_model_dir(path)
    manifest = read_manifest(model_dir)
    files = manifest.files
    card_path = os.path.join(model_dir, CARD)
    if files is not None:
        check = dict(files)
        if os.path.isfile(card_path):
            size, sha = file_digest(card_path)
            check[CARD] = {"size": size, "sha256": sha}  # the old card may differ: it is about to be replaced
        else:
            check.pop(CARD, None)
        verify_files(model_dir, dataclasses.replace(manifest, files=check))
    run_dir = os.path.dirname(os.path.abspath(model_dir))
    is_run = os.path.basename(os.path.normpath(model_dir)) == "model" and os.path.isfile(os.path.join(run_dir, "config.yaml"))
    metrics = read_mapping(os.path.join(run_dir, "metrics.json")) if is_run else {}
    config = read_mapping(os.path.join(run_dir, "config.yaml")) if is_run else {}
    provenance = read_mapping(os.path.join(run_dir, "provenance.json")) if is_run else {}
    if not metrics:  # a bare model directory: the headline figures the manifest keeps
        metrics = {f"{split}.{k}": v for split, fig in (manifest.metrics or {}).items() if isinstance(fig, dict)
                   for k, v in fig.items()}
    text = card_text(manifest.to_dict(), metrics, config, provenance)
    tmp = os.path.join(model_dir, f".{CARD}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    size, sha = file_digest(tmp)
    if files is not None:
        manifest.files = {**files, CARD: {"size": size, "sha256": sha}}
        tmp_manifest = os.path.join(model_dir, f".{MANIFEST}.tmp")
        with open(tmp_manifest, "w", encoding="utf-8") as fh:
            json.dump(manifest.to_dict(), fh, ensure_ascii=False, indent=2, sort_keys=True)
        os.replace(tmp, card_path)
        os.replace(tmp_manifest, os.path.join(model_dir, MANIFEST))
    else:
        os.replace(tmp, card_path)
    return card_path
