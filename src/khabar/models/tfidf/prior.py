"""A trained model of another taxonomy (a public prior) read as extra features of a TF-IDF model.

Why: a newsroom that labels 100 of its own articles has too few to learn its vocabulary, but a model
trained on a large public corpus (SANAD's seven topics) already knows much of it, even when its
labels are not the newsroom's. Its opinion of each article (the log-probability of each of its
labels, standardized over the articles the new model is fitted on, times `weight`) becomes a few
dense columns beside the TF-IDF ones, and the linear classifier learns how the prior's labels map to
the outlet's (on JawharaFM, with 100 chosen labels, macro-F1 0.52 with the prior and 0.4 without:
see bench/outlet_adapt.py).

Any kind and any label set works: only `predict_proba` is used, on the raw texts (the prior
normalizes with its own preset). The prior's directory is copied whole into the new model's
`prior/` folder, so the saved model predicts on its own, and it is loaded back with the same checked
loader as any model (`load_model`: manifest, file hashes, skops types; never pickle).
"""

from __future__ import annotations

import math
import os
import shutil
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ...errors import KhabarError
from ..manifest import RESTORE

#: the folder, inside a model directory, that holds the prior's own files
PRIOR_DIR = "prior"
#: the manifest entry that describes it
PRIOR_NOTE = "prior"
#: log-probabilities below log(FLOOR) are cut, so a prior that is sure of itself gives no -inf
FLOOR = 1e-6


class PriorFeatures:
    """The prior's standardized log-probabilities as sparse columns (float32), `weight` times."""

    def __init__(self, prior, weight: float = 1.0, source: str | None = None):
        self.prior = prior
        self.weight = float(weight)
        self.source = source  # the directory the prior was loaded from (copied into the saved model)

    def _log_proba(self, inputs: Sequence) -> np.ndarray:
        proba = np.asarray(self.prior.predict_proba(list(inputs)), dtype=np.float64)
        return np.log(np.clip(proba, FLOOR, 1.0))

    def fit(self, inputs: Sequence) -> "PriorFeatures":
        """Mean and spread of each column over `inputs` (the training and unlabeled articles)."""
        scores = self._log_proba(inputs)
        self.mean_ = scores.mean(axis=0)
        self.scale_ = np.maximum(scores.std(axis=0), 1e-6)
        return self

    def transform(self, inputs: Sequence) -> sp.csr_matrix:
        if not len(inputs):
            return sp.csr_matrix((0, len(self.prior.labels_)), dtype=np.float32)
        z = (self._log_proba(inputs) - self.mean_) / self.scale_
        return sp.csr_matrix((self.weight * z).astype(np.float32))

    def names(self) -> list[str]:
        """One name per column, for explanations: `prior: <its label>`."""
        return [f"prior: {label}" for label in self.prior.labels_]

    # -- persistence ------------------------------------------------------------------------------
    def note(self) -> dict:
        return {"labels": list(self.prior.labels_), "kind": self.prior.kind, "weight": self.weight,
                "mean": [float(v) for v in self.mean_], "scale": [float(v) for v in self.scale_],
                "folder": PRIOR_DIR}

    def save(self, directory: str) -> None:
        """The prior's own files into `directory/prior` (a copy: the saved model needs nothing outside itself)."""
        target = os.path.join(directory, PRIOR_DIR)
        if os.path.abspath(self.source or "") == os.path.abspath(target):
            return
        if os.path.exists(target):
            shutil.rmtree(target)
        shutil.copytree(self.source, target)

    @classmethod
    def load(cls, directory: str, note) -> "PriorFeatures":
        """The prior saved beside a model, checked against the manifest's note."""
        from ..base import load_model

        where = f"{directory}: khabar.json {PRIOR_NOTE}"
        if not isinstance(note, dict):
            raise KhabarError(f"{where}: expected a mapping, got {type(note).__name__}; {RESTORE}")
        folder = os.path.join(directory, PRIOR_DIR)
        if not os.path.isdir(folder):
            raise KhabarError(f"{folder}: missing; the model was trained with a prior and needs its files; {RESTORE}")
        prior = load_model(folder)
        n = len(prior.labels_)
        weight = note.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight <= 0:
            raise KhabarError(f"{where}.weight: {weight!r} is not a positive number; {RESTORE}")
        block = cls(prior, weight, folder)
        for key in ("mean", "scale"):
            values = note.get(key)
            if (not isinstance(values, list) or len(values) != n
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)):
                raise KhabarError(f"{where}.{key}: expected {n} finite numbers (one per prior label); {RESTORE}")
            setattr(block, f"{key}_", np.asarray(values, dtype=np.float64))
        if np.any(block.scale_ <= 0):
            raise KhabarError(f"{where}.scale: every value must be positive; {RESTORE}")
        if list(note.get("labels") or []) != list(prior.labels_):
            raise KhabarError(f"{where}.labels differ from the labels of {folder}; {RESTORE}")
        return block


def load_prior(path: str, task: str, weight: float, where: str = "model.prior") -> PriorFeatures:
    """The model at `path` (a run, its model/ folder or an experiment folder) as a prior for `task`."""
    from ..base import load_model, resolve_model_dir

    try:
        directory = resolve_model_dir(path)
        prior = load_model(directory)
    except KhabarError as exc:
        raise KhabarError(f"{where}: {exc}") from None
    if prior.task != task:
        raise KhabarError(f"{where}: {path} is a {prior.task} model; a prior for a {task} model must be a {task} model too")
    return PriorFeatures(prior, weight, directory)
