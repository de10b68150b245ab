"""Experiment configs: YAML -> typed, validated objects, before any work starts.

Every mistake names the file and the dotted key (see `schema.py`). `--set key=value` overrides
are applied to the raw YAML before validation, so they are checked exactly like the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import yaml

from . import schema
from .errors import KhabarError
from .models import params_class, train_class


@dataclass
class SplitRatios:
    """Ratios for a seeded, stratified split when the data has no split column."""

    train: float = field(default=0.8, metadata={"exclusive_min": 0.0, "max": 1.0})
    dev: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    test: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})


@dataclass
class DataConfig:
    """Where labeled examples come from and how their columns are named.

    `path`: one or more files (csv, tsv, jsonl, json, parquet, optionally .gz), a folder with a
    sub-folder per label of .txt files, or `hf:<dataset name>` for the Hugging Face Hub.
    Relative paths are relative to the directory khabar runs in.
    """

    path: list[str]
    format: Literal["auto", "csv", "tsv", "jsonl", "json", "parquet", "folder", "hub"] = "auto"
    text_column: str = "text"
    pair_column: Optional[str] = None
    label_column: str = "label"
    id_column: Optional[str] = "id"
    split_column: Optional[str] = "split"
    source_column: Optional[str] = None
    labels: Optional[list[str]] = None
    label_map: dict[str, str] = field(default_factory=dict)
    split: SplitRatios = field(default_factory=SplitRatios)
    skip_empty: bool = False
    hub_config: Optional[str] = None


@dataclass
class NormalizeConfig:
    """A preset (see `khabar normalize --help`) plus single steps switched on or off."""

    preset: str = "standard"
    steps: dict[str, bool] = field(default_factory=dict)


@dataclass
class ExtraEval:
    """Another labeled set to evaluate on after training (another source, another year)."""

    name: str
    data: DataConfig
    label_map: dict[str, str] = field(default_factory=dict)
    only_split: Optional[Literal["train", "dev", "test"]] = None


@dataclass
class EvalConfig:
    primary_metric: Literal["accuracy", "macro_f1", "weighted_f1"] = "macro_f1"
    extra: list[ExtraEval] = field(default_factory=list)
    misclassified_examples: int = field(default=8, metadata={"min": 0})


@dataclass
class Config:
    name: str
    task: Literal["topic", "stance"]
    data: DataConfig
    model_kind: str
    model: Any
    train: Any
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    output_dir: str = "experiments"
    source: str = ""

    def to_dict(self) -> dict:
        """The resolved config, as it would be written back to YAML."""
        out = {
            "name": self.name,
            "task": self.task,
            "data": schema.to_dict(self.data),
            "normalize": schema.to_dict(self.normalize),
            "model": {"kind": self.model_kind, **schema.to_dict(self.model)},
            "train": schema.to_dict(self.train),
            "eval": schema.to_dict(self.eval),
            "output_dir": self.output_dir,
        }
        return out


@dataclass
class _Top:
    name: str
    task: Literal["topic", "stance"]
    data: DataConfig
    model: dict[str, Any]
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    train: dict[str, Any] = field(default_factory=dict)
    eval: EvalConfig = field(default_factory=EvalConfig)
    output_dir: str = "experiments"


def load_config(path: str, overrides: list[str] | None = None) -> Config:
    """Read, override and validate one experiment config."""
    raw = read_yaml(path)
    for item in overrides or []:
        apply_override(raw, item, path)
    return config_from_dict(raw, path)


def read_yaml(path: str) -> dict:
    if not os.path.isfile(path):
        raise KhabarError(f"{path}: config file not found; pass a path like configs/sample_topic_tfidf.yaml")
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except UnicodeDecodeError:
        raise KhabarError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise KhabarError(f"{path}:{where}: invalid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None
    if not isinstance(raw, dict):
        raise KhabarError(f"{path}: expected a mapping with name, task, data, model; got {type(raw).__name__}")
    return raw


def config_from_dict(raw: dict, source: str = "<config>") -> Config:
    top = schema.build(_Top, raw, "", source)
    model_raw = dict(top.model)
    kind = model_raw.pop("kind", None)
    if kind is None:
        raise KhabarError(f"{source}: model.kind: required key is missing; use one of tfidf, transformer")
    try:
        params_cls, train_cls = params_class(kind), train_class(kind)
    except KhabarError as exc:
        raise KhabarError(f"{source}: model.kind: {exc}") from None
    model = schema.build(params_cls, model_raw, "model", source)
    train = schema.build(train_cls, top.train, "train", source)
    if "preset" not in (raw.get("normalize") or {}) and "arabert" in str(getattr(model, "name_or_path", "")).lower():
        # AraBERT checkpoints were pre-trained on text preprocessed this way: match it unless told otherwise
        top.normalize.preset = "arabert"
    _check_cross_fields(top, model, source)
    return Config(
        name=top.name, task=top.task, data=top.data, model_kind=kind, model=model, train=train,
        normalize=top.normalize, eval=top.eval, output_dir=top.output_dir, source=source,
    )


def _check_cross_fields(top: _Top, model: Any, source: str) -> None:
    from .normalize import check_normalize_options

    check_normalize_options(top.normalize.preset, top.normalize.steps, f"{source}: normalize")
    if top.task == "stance" and top.data.format == "folder":
        raise KhabarError(f"{source}: data.format: a folder per label holds single articles; for stance use a csv/jsonl file with claim and text columns")
    if top.task == "stance" and not top.data.pair_column:
        raise KhabarError(f"{source}: data.pair_column: required for task stance (the column with the article or second headline)")
    if top.task == "topic" and top.data.pair_column:
        raise KhabarError(f"{source}: data.pair_column: only for task stance; remove it or set task: stance")
    if getattr(model, "name_or_path", None) is not None:
        from .models.transformer_params import check_params

        check_params(model, f"{source}: model")  # window and scratch sizes, before any data is read
    ratios = top.data.split
    if abs(ratios.train + ratios.dev + ratios.test - 1.0) > 1e-6:
        raise KhabarError(f"{source}: data.split: train + dev + test must add up to 1; got {ratios.train + ratios.dev + ratios.test:g}")
    for name in ("word_ngrams", "char_ngrams"):
        rng = getattr(model, name, None)
        if rng is not None and (len(rng) != 2 or not 1 <= rng[0] <= rng[1]):
            raise KhabarError(f"{source}: model.{name}: expected [min, max] with 1 <= min <= max, or null; got {rng}")
    if getattr(model, "word_ngrams", 0) is None and getattr(model, "char_ngrams", 0) is None:
        raise KhabarError(f"{source}: model: word_ngrams and char_ngrams are both null; keep at least one")


def apply_override(raw: dict, item: str, source: str) -> None:
    """Apply `a.b.c=value` (value parsed as YAML) to the raw mapping."""
    if "=" not in item:
        raise KhabarError(f"--set {item!r}: expected key=value, for example --set train.seed=7")
    key, _, text = item.partition("=")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    node = raw
    parts = key.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise KhabarError(f"--set {key}: {part} is not a mapping in {source}")
        node = child
    node[parts[-1]] = value
