"""Experiment configs: YAML -> typed, validated objects, before any work starts.

Every mistake names the file and the dotted key (see `schema.py`). A config may extend another
(`base: other.yaml`, relative to its own folder) and keep only what differs. `--set key=value`
overrides are applied to the raw YAML before validation, so they are checked exactly like the
file. The sections come from their owners: `data:` from `khabar.data`, `normalize:` from
`khabar.normalize`, `model:` and `train:` from the model kind's plug-in (`khabar.models.registry`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import yaml

from . import safe_yaml, schema
from .data.spec import DataConfig
from .errors import KhabarError
from .examples import TASKS, needs_pair
from .models.metrics import OBJECTIVES, ONE_LABEL, objectives
from .models.registry import KINDS, get_kind
from .normalize import NormalizeConfig, check_normalize_options


@dataclass
class ExtraEval:
    """Another labeled set to evaluate on after training (another source, another year)."""

    name: str
    data: DataConfig
    label_map: dict[str, str] = field(default_factory=dict)
    only_split: Optional[Literal["train", "dev", "test"]] = None
    # restrict the prediction to these of the model's labels (renormalized): the topics this source covers
    labels: Optional[list[str]] = None


@dataclass
class PredictConfig:
    """The reject option stored in the model: abstain (label null) below a top probability.

    `min_confidence` fixes the threshold; `target_precision` chooses it on the dev split (the
    lowest threshold whose kept dev predictions are right at least that often). One or neither.
    """

    min_confidence: Optional[float] = field(default=None, metadata={"min": 0.0, "max": 1.0})
    target_precision: Optional[float] = field(default=None, metadata={"exclusive_min": 0.0, "max": 1.0})
    # multi-label only: an article gets only the labels at or above their thresholds, possibly
    # none (the default floor: every article gets its most probable label whatever its threshold)
    allow_no_label: bool = False


@dataclass
class CardConfig:
    """What the model card (model/README.md) says that the data cannot tell: licence, datasets,
    intended use and limitations (added to the ones khabar derives, e.g. one training source)."""

    license: str = "unknown"
    datasets: list[str] = field(default_factory=list)
    description: str = ""
    intended_use: str = ""
    limitations: list[str] = field(default_factory=list)


@dataclass
class TrackingConfig:
    """MLflow tracking (khabar.runs.tracking), off unless `uri` is given: `sqlite:///mlruns.db` (a
    local store, no server) or a team's server, `http://mlflow.example:5000`."""

    uri: Optional[str] = None
    experiment: Optional[str] = None  # the MLflow experiment (default: the config's name)


@dataclass
class EvalConfig:
    # a name of the metric registry (models.metrics) that fits the scheme; for label sets
    # accuracy is subset accuracy
    primary_metric: str = field(default="macro_f1", metadata={"choices": OBJECTIVES})
    extra: list[ExtraEval] = field(default_factory=list)
    misclassified_examples: int = field(default=8, metadata={"min": 0})


@dataclass
class Config:
    """One experiment: what to train on, how to normalize, which model kind with which settings."""

    name: str
    task: str
    data: DataConfig
    model_kind: str
    model: Any
    train: Any
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    card: CardConfig = field(default_factory=CardConfig)
    output_dir: str = "experiments"
    source: str = ""
    tune: dict[str, Any] = field(default_factory=dict)  # the search space of `khabar tune` (runs.search_space)
    multi_label: bool = False  # topic only: each article carries a set of labels (data.label_sets)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    def to_dict(self) -> dict:
        """The resolved config, as it would be written back to YAML."""
        out = {
            "name": self.name,
            "task": self.task,
            **({"multi_label": True} if self.multi_label else {}),
            "data": schema.to_dict(self.data),
            "normalize": schema.to_dict(self.normalize),
            "model": {"kind": self.model_kind, **schema.to_dict(self.model)},
            "train": schema.to_dict(self.train),
            "eval": schema.to_dict(self.eval),
            "predict": schema.to_dict(self.predict),
            "card": schema.to_dict(self.card),
            "output_dir": self.output_dir,
            **({"tracking": schema.to_dict(self.tracking)} if self.tracking.uri else {}),
        }
        return out


@dataclass
class TopLevel:
    """The config file's top level, before the kind's sections are built."""

    name: str
    task: str = field(metadata={"choices": TASKS})
    data: DataConfig
    model: dict[str, Any]
    multi_label: bool = False
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    train: dict[str, Any] = field(default_factory=dict)
    eval: EvalConfig = field(default_factory=EvalConfig)
    predict: PredictConfig = field(default_factory=PredictConfig)
    card: CardConfig = field(default_factory=CardConfig)
    output_dir: str = "experiments"
    tune: dict[str, Any] = field(default_factory=dict)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


def load_config(path: str, overrides: list[str] | None = None) -> Config:
    """Read (following `base:`), override and validate one experiment config."""
    raw = read_yaml_with_base(path)
    for item in overrides or []:
        apply_override(raw, item, path)
    return config_from_dict(raw, path)


def read_yaml_with_base(path: str, seen: tuple[str, ...] = ()) -> dict:
    """The config at `path` merged onto the one its `base:` names, recursively.

    Mappings merge key by key (the child wins); lists and scalars are replaced whole. When the
    child's `model.kind` differs from the base's, the base's `model:`, `train:` and `normalize:`
    sections are dropped: their keys belong to the other kind, and so does the choice of
    normalization (the new kind's default applies unless the child names a preset).
    """
    raw = read_yaml(path)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str) or not base.strip():
        raise KhabarError(f"{path}: base: expected the path of another config, e.g. base: ans_stance_tfidf.yaml")
    base_path = os.path.normpath(os.path.join(os.path.dirname(path), base))
    if os.path.abspath(base_path) in seen + (os.path.abspath(path),):
        raise KhabarError(f"{path}: base: {base} leads back to a config already extended; remove the loop")
    parent = read_yaml_with_base(base_path, seen + (os.path.abspath(path),)) if os.path.isfile(base_path) else None
    if parent is None:
        raise KhabarError(f"{path}: base: {base_path} not found; the path is relative to {path}'s folder")
    child_kind = (raw.get("model") or {}).get("kind") if isinstance(raw.get("model"), dict) else None
    parent_kind = (parent.get("model") or {}).get("kind") if isinstance(parent.get("model"), dict) else None
    if child_kind is not None and child_kind != parent_kind:
        for section in ("model", "train", "normalize"):
            parent.pop(section, None)
    return merge(parent, raw)


def merge(base: dict, child: dict) -> dict:
    """`child` over `base`: nested mappings merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in child.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def read_yaml(path: str) -> dict:
    """One YAML file as a mapping, or one line naming the file (and the line) and the fix."""
    if not os.path.isfile(path):
        raise KhabarError(f"{path}: config file not found; pass a path like configs/sample_topic_tfidf.yaml")
    try:
        with open(path, encoding="utf-8") as fh:
            raw = safe_yaml.load(fh, path)
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
    """A validated `Config` from a raw mapping; every check that needs no data runs here."""
    top = schema.build(TopLevel, raw, "", source)
    model_raw = dict(top.model)
    kind_name = model_raw.pop("kind", None)
    if kind_name is None:
        raise KhabarError(f"{source}: model.kind: required key is missing; use one of {', '.join(sorted(KINDS))}")
    try:
        kind = get_kind(kind_name)
    except KhabarError as exc:
        raise KhabarError(f"{source}: model.kind: {exc}") from None
    model = schema.build(kind.params, model_raw, "model", source)
    train = schema.build(kind.train, top.train, "train", source)
    kind.validate(model, f"{source}: model")
    if top.data.unlabeled is not None and not kind.unlabeled:
        raise KhabarError(f"{source}: data.unlabeled: the {kind.name} kind does not learn from unlabeled articles; "
                          f"remove the key (kinds that do: {', '.join(n for n in sorted(KINDS) if get_kind(n).unlabeled)})")
    if top.data.train_on_dev and kind.streams:
        raise KhabarError(f"{source}: data.train_on_dev: the {kind.name} kind streams its train split from the files; "
                          "mark those rows train in the split column instead")
    if "preset" not in (raw.get("normalize") or {}):
        top.normalize.preset = kind.default_preset(model)  # the kind's documented default
    _check_cross_fields(top, source)
    return Config(
        name=top.name, task=top.task, data=top.data, model_kind=kind.name, model=model, train=train,
        normalize=top.normalize, eval=top.eval, predict=top.predict, card=top.card, output_dir=top.output_dir,
        source=source, tune=top.tune, multi_label=top.multi_label, tracking=top.tracking,
    )


def _check_cross_fields(top: TopLevel, source: str) -> None:
    name = top.name
    if (not name.strip() or name != os.path.basename(name) or name.startswith(".") or "\\" in name
            or not name.isprintable()):
        raise KhabarError(f"{source}: name: {name!r} must be a plain folder name (no '/', '\\', leading '.', line "
                          "break or control character), "
                          "since runs go to output_dir/<name>/; e.g. name: sanad_topic_tfidf")
    check_normalize_options(top.normalize.preset, top.normalize.steps, f"{source}: normalize")
    if needs_pair(top.task) and top.data.format == "folder":
        raise KhabarError(f"{source}: data.format: a folder per label holds single articles; for {top.task} use a "
                          "csv/jsonl file with claim and text columns")
    if needs_pair(top.task) and not top.data.pair_column:
        raise KhabarError(f"{source}: data.pair_column: required for task {top.task} (the column with the article or "
                          "second headline)")
    if not needs_pair(top.task) and top.data.pair_column:
        raise KhabarError(f"{source}: data.pair_column: only for task stance; remove it or set task: stance")
    _check_multi_label(top, source)
    ratios = top.data.split
    if abs(ratios.train + ratios.dev + ratios.test - 1.0) > 1e-6:
        raise KhabarError(f"{source}: data.split: train + dev + test must add up to 1; got {ratios.train + ratios.dev + ratios.test:g}")
    if top.predict.min_confidence is not None and top.predict.target_precision is not None:
        raise KhabarError(f"{source}: predict: give min_confidence (a fixed threshold) or target_precision (chosen on "
                          "dev), not both")
    if top.data.train_on_dev and top.predict.target_precision is not None:
        raise KhabarError(f"{source}: predict.target_precision chooses its threshold on the dev split, which "
                          "data.train_on_dev puts into training; set predict.min_confidence or remove data.train_on_dev")
    for extra in top.eval.extra:
        if extra.labels is not None:
            names = [lab.strip() for lab in extra.labels]
            if len(set(names)) < 2 or not all(names):
                raise KhabarError(f"{source}: eval.extra {extra.name}: labels: name at least two of the model's labels, "
                                  f"got {extra.labels}")
            known = top.data.labels
            unknown = [lab for lab in names if known and lab not in known]
            if unknown:
                raise KhabarError(f"{source}: eval.extra {extra.name}: labels: {', '.join(map(repr, unknown))} not among "
                                  f"data.labels ({', '.join(known)})")


def _check_multi_label(top: TopLevel, source: str) -> None:
    """The keys that belong to multi-label topics, and the ones that do not fit them."""
    data, predict = top.data, top.predict
    if not top.multi_label:
        for key, given in (("data.label_columns", data.label_columns is not None),
                           ("predict.allow_no_label", predict.allow_no_label),
                           ("eval.primary_metric", top.eval.primary_metric not in objectives(ONE_LABEL))):
            if given:
                raise KhabarError(f"{source}: {key}: only for multi-label data; set multi_label: true or remove it")
        return
    if needs_pair(top.task):
        raise KhabarError(f"{source}: multi_label: a stance pair has one stance; multi-label is for task topic")
    if (top.model or {}).get("label_offsets"):
        raise KhabarError(f"{source}: model.label_offsets: for one label per article; a multi-label model decides "
                          "each label with its own threshold chosen on dev, so remove it")
    if data.format == "folder":
        raise KhabarError(f"{source}: data.format: a folder per label gives each article one label; multi-label "
                          "data needs a csv/jsonl file (a label list, a delimited column or 0/1 label columns)")
    if not data.label_delimiter:
        raise KhabarError(f"{source}: data.label_delimiter: give the character between labels, e.g. '|'")
    if data.label_columns is not None:
        names = [c.strip() if isinstance(c, str) else c for c in data.label_columns]
        if len(set(names)) < 2 or not all(names) or len(set(names)) != len(names):
            raise KhabarError(f"{source}: data.label_columns: name at least two distinct 0/1 columns, one per label; "
                              f"got {data.label_columns}")
        roles = {"text_column": data.text_column, "pair_column": data.pair_column, "id_column": data.id_column,
                 "split_column": data.split_column, "source_column": data.source_column}
        clash = next(((key, col) for key, col in roles.items() if col in names), None)
        if clash:
            raise KhabarError(f"{source}: data.label_columns: {clash[1]!r} is also data.{clash[0]}; a 0/1 label column "
                              "holds flags, not the text or ids: name the label columns only")
    if predict.min_confidence is not None or predict.target_precision is not None:
        raise KhabarError(f"{source}: predict: a multi-label model decides each label with its own threshold chosen "
                          "on dev; remove min_confidence/target_precision (predict.allow_no_label lets it give none)")
    if any(extra.labels is not None for extra in top.eval.extra):
        raise KhabarError(f"{source}: eval.extra: labels: restricting to a subset is for single-label models; each "
                          "label of a multi-label model is decided on its own, so leave labels out")


def apply_override(raw: dict, item: str, source: str) -> None:
    """Apply `a.b.c=value` (value parsed as YAML) to the raw mapping."""
    if "=" not in item:
        raise KhabarError(f"--set {item!r}: expected key=value, for example --set train.seed=7")
    key, _, text = item.partition("=")
    try:
        value = safe_yaml.load(text, f"--set {key.strip()}")
    except yaml.YAMLError:
        value = text
    set_key(raw, key.strip(), value, f"--set {key.strip()}", source)


def set_key(raw: dict, dotted: str, value: Any, what: str, source: str) -> None:
    """raw[a][b][c] = value for `a.b.c`, creating mappings on the way; `what` names the key in errors."""
    node = raw
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise KhabarError(f"{what}: {part} is not a mapping in {source}")
        node = child
    node[parts[-1]] = value
