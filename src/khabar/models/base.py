"""The interface every model kind follows, and the manifest that makes a model dir self-describing.

A model owns its normalization: `fit` and `predict_proba` both normalize with the preset stored in
the manifest, so prediction repeats exactly what training did.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any, ClassVar, Sequence, Union

import numpy as np

from .. import __version__, schema
from ..errors import KhabarError
from ..examples import Example

Inputs = Sequence[Union[str, tuple[str, str]]]
MANIFEST = "khabar.json"


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

    `__init__` stores configuration only; learned state ends in `_` (scikit-learn's rule).
    """

    kind: ClassVar[str]
    data_parallel: ClassVar[bool] = False  # True: `fit` may run under torchrun (see distributed_training)

    def __init__(self, task: str, params: Any, train: Any, normalize: Any, labels: Sequence[str] | None = None):
        self.task = task
        self.params = params
        self.train_params = train
        self.normalize = normalize
        self.labels = list(labels) if labels else None
        self.labels_: list[str] = []
        self.data_fingerprint_: str = ""
        self.extra_manifest_: dict = {}
        self._normalizer = None

    # -- normalization -------------------------------------------------------------------
    def normalize_inputs(self, inputs: Inputs) -> list:
        """Apply the model's own normalization to raw texts or (claim, text) pairs."""
        if self._normalizer is None:
            from ..normalize import build_normalizer

            self._normalizer = build_normalizer(self.normalize.preset, self.normalize.steps)
        norm = self._normalizer
        out = []
        for item in inputs:
            if isinstance(item, (tuple, list)):
                if self.task != "stance":
                    raise KhabarError("this is a topic model: give single texts, not (claim, text) pairs")
                out.append((norm(item[0]), norm(item[1])))
            else:
                if self.task == "stance":
                    raise KhabarError("this is a stance model: give (claim, text) pairs, for example with --pair")
                out.append(norm(item))
        return out

    def _label_set(self, train: Sequence[Example]) -> list[str]:
        seen = sorted({ex.label for ex in train})
        if self.labels:
            extra = [lab for lab in seen if lab not in self.labels]
            if extra:
                raise KhabarError(f"training labels {extra} are not in the configured label set {self.labels}")
            return list(self.labels)
        return seen

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
        return load_model(directory)


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
    from ..config import NormalizeConfig
    from . import params_class, train_class

    kind = manifest.get("kind")
    source = os.path.join(directory, MANIFEST)
    params = schema.build(params_class(kind), manifest.get("params", {}), "params", source)
    train = schema.build(train_class(kind), manifest.get("train", {}), "train", source)
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
        print(f"khabar: using the newest run {os.path.join(path, runs[-1])}", file=sys.stderr)
        return newest
    raise KhabarError(f"{path}: not a khabar model or run directory (no {MANIFEST}); pass a run directory or its model/ folder")


def load_model(directory: str) -> Model:
    """Load any kind from a model dir, a run dir or an experiment folder (see resolve_model_dir)."""
    directory = resolve_model_dir(directory)
    manifest = read_manifest(directory)
    from . import model_class

    model = model_class(manifest.get("kind", "?")).load_weights(directory, manifest)
    model.labels_ = list(manifest["labels"])
    model.data_fingerprint_ = manifest.get("data_fingerprint", "")
    model.extra_manifest_ = {k: v for k, v in manifest.items() if k in ("metrics",)}
    return model
