"""Multi-label decisions: one probability threshold per label, chosen on the dev split.

Why apart: both kinds (one-vs-rest linear models, a sigmoid transformer head) give one independent
probability per label, and both decide the same way: every label at or above its own threshold,
most probable first, and at least the top label unless the model allows none. A fixed 0.5 (or a
linear model's 0 margin) leaves many articles with no label at all and treats a rare topic like a
common one; a threshold per label, set where that label's F1 on held-out data peaks, does not.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .metrics import macro_f1

#: the threshold of a label the dev split cannot inform (no positive example there)
DEFAULT_THRESHOLD = 0.5


def multi_hot(gold: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Rows x labels 0/1 matrix of gold label sets, columns in `labels` order (others ignored)."""
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(gold), len(labels)), dtype=np.int8)
    for row, names in enumerate(gold):
        for name in names:
            if name in index:
                out[row, index[name]] = 1
    return out


def choose_thresholds(proba: np.ndarray, gold: np.ndarray, floor: bool = True) -> tuple[np.ndarray, list[int]]:
    """Per label, the threshold where the F1 of that label's decisions on (proba, gold) peaks, and
    the label indices left at the default.

    The decisions are the ones `labels_above` makes: with `floor`, a row's most probable label is
    given whatever its threshold, so the threshold only decides the label where it is not the
    top one (the second topic of an article); choosing it as if nothing else gave the label would
    pull it down to catch articles the floor catches anyway. Candidates are the midpoints between
    consecutive distinct probabilities of the rows the threshold decides (a threshold on a
    probability seen in dev would be decided by rounding; the floor's rows do not place it), and
    one above them all (only the floor gives the label); among cuts with the
    same best F1 the middle one is taken, the widest margin a small dev split allows. A label
    with no positive example in `gold` keeps `DEFAULT_THRESHOLD`.
    """
    proba = np.asarray(proba, dtype=np.float64)
    top = proba.argmax(axis=1) if floor and len(proba) else np.full(len(proba), -1)
    thresholds = np.full(proba.shape[1], DEFAULT_THRESHOLD)
    uninformed = []
    for j in range(proba.shape[1]):
        positives = int(gold[:, j].sum())
        if positives == 0:
            uninformed.append(j)
            continue
        floored = top == j  # given the label whatever the threshold: they count, but do not place it
        base_true, base_given = int(gold[floored, j].sum()), int(floored.sum())
        free = np.flatnonzero(~floored)
        order = free[np.argsort(-proba[free, j], kind="stable")]
        scores, hits = proba[order, j], gold[order, j].astype(np.int64)
        # cut k: the k free rows of highest score get the label too (k = 0..n, at every change of score)
        cuts = np.r_[0, 1 + np.flatnonzero(np.r_[scores[:-1] > scores[1:], True])] if len(scores) else np.array([0])
        true_pos = base_true + np.r_[0, np.cumsum(hits)][cuts]
        f1 = 2 * true_pos / (base_given + cuts + positives)
        best = np.flatnonzero(np.isclose(f1, f1.max()))
        k = cuts[best[len(best) // 2]]
        above = scores[k - 1] if k > 0 else 1.0
        below = scores[k] if k < len(scores) else 0.0
        middle = (above + below) / 2
        thresholds[j] = middle if below < middle <= above else above  # no float between them: the upper one
    return thresholds, uninformed


def labels_above(proba: np.ndarray, thresholds: np.ndarray, allow_none: bool = False) -> list[list[int]]:
    """Per row, the label indices at or above their threshold, most probable first, and always the
    most probable label unless `allow_none` (the floor: every article gets at least its top topic)."""
    proba = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-proba, axis=1, kind="stable")
    chosen = []
    for row, ranked in zip(proba, order):
        picked = [int(j) for n, j in enumerate(ranked) if row[j] >= thresholds[j] or (n == 0 and not allow_none)]
        chosen.append(picked)
    return chosen


#: the candidate per-label offsets to the log-probabilities (`choose_offsets`)
OFFSET_GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)


def choose_offsets(log_proba: np.ndarray, gold: np.ndarray, rounds: int = 2) -> np.ndarray:
    """One-label decisions: an offset per label, added to the log-probabilities before the arg-max,
    that maximizes macro-F1 of the decisions on held-out (log_proba, gold label indices).

    Why: a rare label that sits between two others (claim-article "discuss", between "agree" and
    "unrelated" in how much of the claim the article holds) rarely wins the arg-max of a linear
    model even with balanced class weights; moving its score by a constant, chosen on held-out
    data, trades a little precision elsewhere for its recall. Coordinate ascent over `OFFSET_GRID`
    (`rounds` passes over the labels, each label's offset set where macro-F1 peaks, the smallest
    such offset in absolute value on ties), the first label's offset held at 0 (only differences
    matter). Labels with no held-out example keep 0."""
    log_proba = np.asarray(log_proba, dtype=np.float64)
    gold = np.asarray(gold)
    n_labels = log_proba.shape[1]
    offsets = np.zeros(n_labels)
    present = np.bincount(gold, minlength=n_labels) > 0
    grid = sorted(OFFSET_GRID, key=abs)
    labels = list(range(n_labels))

    def macro(shift):
        return macro_f1(gold, (log_proba + shift).argmax(axis=1), labels)

    for _ in range(rounds):
        for k in range(1, n_labels):
            if not present[k]:
                continue
            best, at = -1.0, 0.0
            for value in grid:
                trial = offsets.copy()
                trial[k] = value
                score = macro(trial)
                if score > best + 1e-12:
                    best, at = score, value
            offsets[k] = at
    return offsets
