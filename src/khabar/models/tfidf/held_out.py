"""Cross-validated decision scores of the training split: what calibration, label offsets and the
two-stage decision are chosen on when there is no dev split.

Folds keep groups together when given: for stance, the pairs of one claim (the judge's claims are
unseen, so a claim's other pairs in the fitting part would make the held-out scores optimistic;
on UnifiedFC's three folds, offsets chosen on claim-grouped folds gave pooled macro-F1 0.499
against 0.486 on stratified ones, 2026-12-07).
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
from scipy.special import softmax
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from .temperature import two_columns


def cv_folds(y) -> int:
    """Folds of the cross-validation without a dev split: 3, fewer when no label has 3 examples."""
    return min(3, max(Counter(y).values()))


def held_out_scores(classifier, matrix, y, folds: int, seed: int = 0, groups=None) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated decision scores, one column per class of `y` (sorted), and which rows have them.

    By hand rather than `cross_val_predict`: with few labels (the first 50 of a newsroom) a label may
    be missing from a fold's training part, which scikit-learn refuses when two classes remain; here
    the missing label's column gets the row's lowest score (the fold's model never proposes it), and
    a fold whose training part holds a single label scores nothing. `groups`: rows of one group stay
    in one fold (`StratifiedGroupKFold`), when there are at least `folds` groups."""
    y = np.asarray(y)
    classes = np.unique(y)
    scores = np.zeros((len(y), len(classes)))
    scored = np.zeros(len(y), dtype=bool)
    grouped = groups is not None and len(set(groups)) >= folds
    with warnings.catch_warnings():  # "the least populated class has only 1 member": expected here
        warnings.simplefilter("ignore", UserWarning)
        splitter = (StratifiedGroupKFold if grouped else StratifiedKFold)(n_splits=folds, shuffle=True, random_state=seed)
        splits = list(splitter.split(np.zeros(len(y)), y, list(groups) if grouped else None))
    for fit_rows, held in splits:
        if len(np.unique(y[fit_rows])) < 2:
            continue
        model = clone(classifier).fit(matrix[fit_rows], y[fit_rows])
        raw = model.decision_function(matrix[held])
        raw = two_columns(raw, model)
        columns = np.searchsorted(classes, model.classes_)
        block = np.repeat(raw.min(axis=1, keepdims=True), len(classes), axis=1)
        block[:, columns] = raw
        scores[held], scored[held] = block, True
    return scores, scored


def scores_to_proba(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Held-out `two_columns` scores as probabilities at `temperature`."""
    return softmax(np.asarray(scores) / temperature, axis=1)
