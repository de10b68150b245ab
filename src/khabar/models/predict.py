"""The prediction core every front end shares: batching, top-k ranking, label restriction,
abstaining and records.

Why in `models`: evaluation (`runs`) and the front ends (`serving`: CLI, HTTP, Ray) all turn a
model's probabilities into the same records; living under `serving` made `runs` import a front
end. What differs between one label and a label set is the model's scheme's (`models.scheme`);
this module only batches and names the rows.

Two ways to trust a one-label prediction less, shared by every output: `labels` keeps only the
labels that apply to a source (renormalized over them), and `min_confidence` makes a prediction
abstain (label None) when its top probability is below it; the model's stored threshold (chosen
at training time, see `runs.calibration`) is the default everywhere (`resolve_min_confidence`).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import KhabarError
from ..examples import Example
from ..log import progress_bar

#: probabilities in the records a prediction writes are rounded to this many digits
DIGITS = 6


def predict_proba_in_batches(model, inputs: list, batch_size: int = 256) -> np.ndarray:
    """`predict_proba` over `inputs` in slices of `batch_size`, one (n, labels) array."""
    starts = range(0, len(inputs), batch_size)
    parts = [model.predict_proba(inputs[i:i + batch_size])
             for i in progress_bar(starts, len(starts), "predicting", "batch")]
    return np.vstack(parts) if parts else np.zeros((0, len(model.labels_)))


def check_labels(model, subset: Optional[Sequence[str]], what: str = "--labels") -> Optional[list[str]]:
    """The labels a restriction to `subset` keeps (model order), refusing a bad subset in one line
    before any work; None for None."""
    if subset is None:
        return None
    return model.scheme.restrict(np.zeros((0, len(model.labels_))), model.labels_, subset, what)[1]


def resolve_min_confidence(model, given: Optional[float]) -> Optional[float]:
    """What a prediction abstains below: the caller's value when given (0 switches abstaining
    off), else the model's stored threshold (None when it has none)."""
    return model.scheme.threshold(given)


def check_request(model, min_confidence: Optional[float], labels: Optional[Sequence[str]],
                  names: tuple[str, str] = ("--min-confidence", "--labels")) -> None:
    """One line refusing what the model's scheme cannot honour, then a bad label subset: before any work."""
    model.scheme.check_request(min_confidence, labels, names)
    check_labels(model, labels, names[1])


def rows(model, proba: np.ndarray, top_k: int = 3, digits: Optional[int] = None,
         min_confidence: Optional[float] = None, labels: Optional[Sequence[str]] = None,
         what: str = "--labels") -> list[dict]:
    """The record of each row of `proba` (see `models.scheme` for the shape), restricted to `labels`."""
    proba, names = model.scheme.restrict(proba, model.labels_, labels, what)
    return model.scheme.rows(names, proba, min(top_k, len(names)), digits, min_confidence)


def predict_examples(model, examples: Sequence[Example], top_k: int = 3, batch_size: int = 64,
                     min_confidence: Optional[float] = None, labels: Optional[Sequence[str]] = None) -> list[dict]:
    """Records with the id first (probabilities to `DIGITS` digits), in batches of `batch_size`.
    `min_confidence` is used as given: callers that want the model's stored threshold pass
    `resolve_min_confidence(model, flag)`."""
    if top_k < 1:
        raise KhabarError(f"--top-k {top_k}: must be at least 1")
    if batch_size < 1:
        raise KhabarError(f"--batch-size {batch_size}: must be at least 1")
    check_request(model, min_confidence, labels)
    records = []
    starts = range(0, len(examples), batch_size)
    for start in progress_bar(starts, len(starts), "predicting", "batch"):
        batch = examples[start:start + batch_size]
        found = rows(model, model.predict_proba([ex.inputs for ex in batch]), top_k, DIGITS, min_confidence, labels)
        records.extend({"id": ex.id, **row} for ex, row in zip(batch, found))
    return records
