"""The interface every model kind follows, and the manifest that makes a model dir self-describing.

A model owns its normalization: `fit` and `predict_proba` both normalize with the preset stored in
the manifest, so prediction repeats exactly what training did.
"""

from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any, ClassVar, Sequence, Union

import numpy as np

from .. import __version__, schema
from ..errors import KhabarError
from ..examples import Example, model_input
from ..log import say
from ..normalize import NormalizeConfig
from .registry import get_kind

Inputs = Sequence[Union[str, tuple[str, str]]]
MANIFEST = "khabar.json"
#: manifest keys every kind writes; any other key is a kind's own note (e.g. how it got probabilities)
MANIFEST_KEYS = frozenset(("khabar_version", "kind", "task", "labels", "normalize", "params", "train",
                           "data_fingerprint", "saved_at"))


def data_fingerprint(examples: Sequence[Example]) -> str:
    """A short hash of texts and labels: two runs on the same data share it."""
    digest = hashlib.sha256()
    for ex in examples:
        for part in (ex.text, ex.text_pair or "", ex.label or ""):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
    return digest.hexdigest()[:16]


class Model(ABC):
    """fit / predict / predict_proba / save / load, shared by every kind.

    `__init__` stores configuration only; learned state ends in `_` and is set by `fit` (through
    `start_fit`) or by loading (scikit-learn's rule), so an unfitted model has no `labels_`.
    """

    kind: ClassVar[str]

    def __init__(self, task: str, params: Any, train: Any, normalize: NormalizeConfig,
                 labels: Sequence[str] | None = None):
        self.task = task
        self.params = params
        self.train_params = train
        self.normalize = normalize
        self.labels = list(labels) if labels else None

    # -- learned state ---------------------------------------------------------------------
    def start_fit(self, train: Sequence[Example]) -> None:
        """Reset what a previous fit learned and set the label set and data fingerprint."""
        seen = sorted({ex.label for ex in train})
        if self.labels:
            extra = [lab for lab in seen if lab not in self.labels]
            if extra:
                raise KhabarError(f"training labels {extra} are not in the configured label set {self.labels}")
        self.labels_ = list(self.labels) if self.labels else seen
        self.data_fingerprint_ = data_fingerprint(train)
        self.extra_manifest_ = {}

    def check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise KhabarError(f"this {self.kind} model is not trained; call fit or load a model directory")

    # -- normalization -------------------------------------------------------------------
    def normalize_inputs(self, inputs: Inputs) -> list:
        """Apply the model's own normalization to raw texts or (claim, text) pairs, after checking
        each against the one input rule (`examples.model_input`)."""
        norm = self.__dict__.get("normalizer_")
        if norm is None:
            norm = self.normalizer_ = self.normalize.build()
        out = []
        for i, item in enumerate(inputs):
            parts = tuple(item) if isinstance(item, (tuple, list)) else (item,)
            if len(parts) > 2:
                raise KhabarError(f"input {i + 1}: expected a text or a (claim, text) pair, got {len(parts)} parts")
            model_input(self.task, *parts, where=f"input {i + 1}")
            out.append(tuple(norm(p) for p in parts) if len(parts) == 2 else norm(parts[0]))
        return out

    # -- the interface ---------------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "Model":
        ...

    @abstractmethod
    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        """Probabilities, shape (n, len(labels_)), columns in `labels_` order."""

    def set_device(self, device: str) -> None:
        """Where inference runs: "auto", "cpu" or "cuda". CPU-only kinds accept "auto" and "cpu"."""
        if device not in ("auto", "cpu"):
            raise KhabarError(f"--device {device}: a {self.kind} model runs on the CPU only; use --device cpu")

    def predict(self, inputs: Inputs) -> list[str]:
        """The most probable label of each input."""
        proba = self.predict_proba(inputs)
        return [self.labels_[i] for i in np.asarray(proba).argmax(axis=1)]

    @abstractmethod
    def save_weights(self, directory: str) -> None:
        ...

    @classmethod
    @abstractmethod
    def load_weights(cls, directory: str, manifest: dict) -> "Model":
        ...

    def save(self, directory: str) -> None:
        """The weights and the manifest (khabar.json) in `directory`."""
        self.check_fitted()
        os.makedirs(directory, exist_ok=True)
        self.save_weights(directory)
        with open(os.path.join(directory, MANIFEST), "w", encoding="utf-8") as fh:
            json.dump(self.manifest(), fh, ensure_ascii=False, indent=2, sort_keys=True)

    def manifest(self) -> dict:
        return {
            "khabar_version": __version__,
            "kind": self.kind,
            "task": self.task,
            "labels": list(self.labels_),
            "normalize": schema.to_dict(self.normalize),
            "params": schema.to_dict(self.params),
            "train": schema.to_dict(self.train_params),
            "data_fingerprint": self.data_fingerprint_,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **self.extra_manifest_,
        }

    @classmethod
    def load(cls, directory: str) -> "Model":
        """A saved model of this class (any kind when called on `Model`)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise KhabarError(f"{directory}: holds a {model.kind} model, not a {cls.kind} one")
        return model


def read_manifest(directory: str) -> dict:
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        raise KhabarError(f"{directory}: not a khabar model directory (no {MANIFEST}); pass a run directory or its model/ folder")
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KhabarError(f"{path}: broken manifest ({exc}); re-train or restore the file") from None


def rebuild_config(manifest: dict, directory: str):
    """(params, train, normalize) dataclasses from a manifest, validated like a config."""
    source = os.path.join(directory, MANIFEST)
    kind = _manifest_kind(manifest, source)
    params = schema.build(kind.params, manifest.get("params", {}), "params", source)
    train = schema.build(kind.train, manifest.get("train", {}), "train", source)
    normalize = schema.build(NormalizeConfig, manifest.get("normalize", {}), "normalize", source)
    return params, train, normalize


def resolve_model_dir(path: str) -> str:
    """A model directory from a model dir, a run dir, or an experiment's folder of runs (newest run)."""
    if not os.path.isdir(path):
        raise KhabarError(f"{path}: no such directory; pass a run directory such as experiments/<name>/<timestamp>")
    if os.path.isfile(os.path.join(path, MANIFEST)):
        return path
    if os.path.isfile(os.path.join(path, "model", MANIFEST)):
        return os.path.join(path, "model")
    runs = sorted(d for d in os.listdir(path)
                  if not d.startswith(".") and os.path.isfile(os.path.join(path, d, "model", MANIFEST)))
    if runs:
        newest = os.path.join(path, runs[-1], "model")
        say(f"using the newest run {os.path.join(path, runs[-1])}")
        return newest
    raise KhabarError(f"{path}: not a khabar model or run directory (no {MANIFEST}); pass a run directory or its model/ folder")


def load_model(directory: str) -> Model:
    """Load any kind from a model dir, a run dir or an experiment folder (see resolve_model_dir)."""
    directory = resolve_model_dir(directory)
    manifest = read_manifest(directory)
    kind = _manifest_kind(manifest, os.path.join(directory, MANIFEST))
    labels = manifest.get("labels")
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(lab, str) for lab in labels):
        raise KhabarError(f"{os.path.join(directory, MANIFEST)}: labels must be a list of at least two names; "
                          "re-train or restore the file")
    model = kind.model_class().load_weights(directory, manifest)
    model.labels_ = list(labels)
    model.data_fingerprint_ = manifest.get("data_fingerprint", "")
    # every note the manifest carries beyond the standard keys (metrics, how probabilities were made)
    model.extra_manifest_ = {k: v for k, v in manifest.items() if k not in MANIFEST_KEYS}
    return model


def _manifest_kind(manifest: dict, source: str):
    try:
        return get_kind(manifest.get("kind"))
    except KhabarError as exc:
        raise KhabarError(f"{source}: {exc}; this khabar cannot load it") from None
