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

import contextlib
import dataclasses
import hashlib
import json
import os
import shlex
from typing import Any, Mapping

import yaml

from .choose import resolve_model_dir
from ..models.manifest import MANIFEST, MULTI_LABEL, file_digest, read_manifest, verify_files
from ..models.metrics import card_metrics, metrics_for
from ..models.scheme import OneLabel
from .card_parts import data_name, part_of
from . import markdown
from .run_dir import read_mapping, staged_file

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
    data = ModelCardData(
        language="ar", license=card_cfg.get("license") or "unknown", library_name="khabar",
        pipeline_tag="text-classification",
        tags=["khabar", "arabic", "news", TASK_TAGS.get(task, task), *part_of(scheme, manifest).tags, kind],
        datasets=datasets or None, model_name=name,
        metrics=list(dict.fromkeys(m.card_type for m in card_metrics(scheme.name))),
        eval_results=_eval_results(metrics, config, datasets, task, scheme) or None,
    )
    body = _body(name, manifest, metrics, config, provenance, card_cfg)
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


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
        dataset_type = (datasets[0] if datasets and not extra else data_name(extra["data"]) if extra
                        else data_name(config.get("data") or {}))
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


def _body(name, manifest, metrics, config, provenance, card_cfg) -> str:
    raw_labels = [str(lab) for lab in manifest.get("labels") or []]  # for the shell line, quoted there
    # every string from the data or the config (labels, sources, paths) escaped for Markdown and HTML
    name, manifest, metrics, config, provenance, card_cfg = markdown.escaped(
        (name, manifest, metrics, config, provenance, card_cfg))
    task, kind = manifest.get("task", ""), manifest.get("kind", "")
    labels = list(manifest.get("labels") or [])
    evaluated = _evaluated(metrics, config)
    part = part_of(_scheme(manifest), manifest)
    lines = [f"# {name}", "", card_cfg.get("description") or part.what(kind, task, len(labels), manifest.get("khabar_version", "")), ""]
    if card_cfg.get("description"):
        lines += part.after_description()
    lines += ["## Labels", "", ", ".join(markdown.code(lab) for lab in raw_labels), ""]
    if task == "stance":
        lines += ["Input: a claim and a text (article or headline); the label says how the text stands to the claim.", ""]
    lines += _data_lines(manifest, metrics, config, provenance)
    lines += _settings_lines(manifest, kind)
    lines += ["## Results", ""]
    if evaluated:
        lines += part.results(metrics, evaluated, config)
    else:
        lines += ["No evaluation recorded with this model.", ""]
    lines += part.decision(metrics, evaluated, labels)
    lines += ["## Intended use", "",
              card_cfg.get("intended_use") or
              (f"Sorting and routing Arabic news {'by topic' if task == 'topic' else 'claims by stance'} among the labels above, "
               "with a person checking what matters. " + part.use()), ""]
    lines += ["## Limitations", ""]
    for item in _limitations(manifest, metrics, config, provenance, part) + list(card_cfg.get("limitations") or []):
        lines.append(f"- {item}")
    lines.append("")
    lines += ["## How to use", "", "```sh",
              'khabar predict MODEL_DIR --text "..."' + (' --pair "..."' if task == "stance" else ""),
              _quoted_example(part.example(raw_labels), raw_labels), "khabar serve MODEL_DIR", "```", "",
              f"Regenerate this card with `khabar card RUN`; `{MANIFEST}` lists it with its SHA-256.", ""]
    return "\n".join(lines)


def _quoted_example(example: str, labels: list[str]) -> str:
    """The card's example command with its --labels value quoted for the shell (shlex), so that
    pasting it runs nothing a label says; a placeholder when a label could close the code block or
    break the line (a backtick, a control character)."""
    head, flag, _ = example.partition("--labels ")
    if not flag:
        return example
    joined = ",".join(labels[:3])
    if any(ch == "`" or not ch.isprintable() for ch in joined):
        return head + flag + "LABEL_A,LABEL_B"
    return head + flag + shlex.quote(joined)


def _data_lines(manifest, metrics, config, provenance) -> list[str]:
    """The training data: where, how many, which sources, fingerprints and the commit."""
    data_cfg = config.get("data") or {}
    lines = ["## Training data", ""]
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
    return lines + [""]


def _settings_lines(manifest, kind: str) -> list[str]:
    """Normalization, parameters and how the probabilities were made."""
    normalize = manifest.get("normalize") or {}
    lines = ["## Normalization", "",
             f"Preset `{normalize.get('preset', '')}`"
             + (f", steps changed: {', '.join(f'{k}={v}' for k, v in normalize['steps'].items())}" if normalize.get("steps") else "")
             + ". The model applies it itself to every input, in training and prediction alike.", ""]
    lines += ["## Parameters", "", "```yaml",
              yaml.safe_dump({"kind": kind, "model": manifest.get("params") or {}, "train": manifest.get("train") or {}},
                             allow_unicode=True, sort_keys=False).rstrip(), "```", ""]
    if manifest.get("probabilities"):
        lines += [f"Probabilities: {manifest['probabilities']}.", ""]
    return lines


def _limitations(manifest, metrics, config, provenance, part) -> list[str]:
    out = []
    sources = provenance.get("train_sources") or {}
    if len(sources) == 1:
        out.append(f"Trained on one source ({next(iter(sources))}): it learned that source's topics and habits too.")
    elif not sources:
        out.append("Trained on one collection without a source column: expect lower accuracy on other outlets.")
    first = metrics_for(_scheme(manifest).name, headline=True)[0]
    test = metrics.get(f"test.{first.name}")
    for extra in (config.get("eval") or {}).get("extra") or []:
        value = metrics.get(f"{extra.get('name')}.{first.name}")
        if value is not None and test is not None:
            out.append(f"On another source ({extra.get('name')}) {first.display} is {value:.4f}, against {test:.4f} on its own test split.")
    return out + part.limitations(len(manifest.get("labels") or []))


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
    data = text.encode("utf-8")
    # both files staged (written whole under temporary names, renamed when complete) and flushed
    # before either is renamed: a write that fails (disk full, file-size limit, read-only) leaves
    # the old card and manifest, and no temporary file
    with contextlib.ExitStack() as stack:
        card_fh = stack.enter_context(staged_file(card_path, "card"))
        card_fh.write(text)
        card_fh.flush()
        if files is not None:
            manifest.files = {**files, CARD: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}
            manifest_fh = stack.enter_context(staged_file(os.path.join(model_dir, MANIFEST), "card"))
            json.dump(manifest.to_dict(), manifest_fh, ensure_ascii=False, indent=2, sort_keys=True)
            manifest_fh.flush()
    return card_path
