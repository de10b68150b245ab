"""A two-stage decision for stance: is the text about the claim at all, then which stance it takes.

Why: in claim-article stance the "unrelated" articles were retrieved for the same claim, so they
share its topic, and the rare labels (discuss, disagree) sit between agree and unrelated; one
multi-class model spends its capacity on the frequent separation. Here the first stage separates
one label (`model.two_stage`, e.g. unrelated) from the rest on every pair, and the second chooses
among the other labels, fitted only on their pairs, with its own class weights. The probabilities
are one distribution: P(label) = P(not separated) x P(label | not separated) for the other labels,
P(separated label) from the first stage, so the rows add up to 1 and everything downstream (label
offsets, abstaining, top-k, calibration figures) reads them as it reads a one-stage model's.

Each stage is the configured classifier (`model.classifier`, `model.C`; the second stage's own
with `model.second_stage_classifier` / `second_stage_C`), with its own probabilities: native for
logistic regression, a softmax at a temperature fitted on held-out data for LinearSVC. Both
stages are linear in the same features, so `coef_` / `intercept_` give, per label, the exact
linear score whose softmax within each stage makes the probabilities (first stage's score /
its temperature plus, for the other labels, the second stage's / its temperature): the
explanations decompose it as they do a one-stage model's.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ...errors import KhabarError
from .held_out import scores_to_proba
from .temperature import TemperatureScaled, fit_temperature, two_columns

#: the first stage's class for every label but the separated one
OTHERS = "(other labels)"


class TwoStage(ClassifierMixin, BaseEstimator):
    """The fitted two stages as one classifier (the pipeline's last step)."""

    def __init__(self, first=None, second=None, separated: str = "unrelated"):
        self.first = first  # fitted, with predict_proba: classes [OTHERS, separated]
        self.second = second  # fitted, with predict_proba: the other labels
        self.separated = separated

    @property
    def classes_(self) -> np.ndarray:
        return np.array(sorted([str(c) for c in self.second.classes_] + [self.separated]))

    def stage_proba(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(P(not separated) per row, P(label | not separated) rows in the second stage's class order)."""
        first = self.first.predict_proba(X)
        others = first[:, list(self.first.classes_).index(OTHERS)]
        return others, self.second.predict_proba(X)

    def predict_proba(self, X) -> np.ndarray:
        return self.combine(*self.stage_proba(X))

    def combine(self, others: np.ndarray, second: np.ndarray) -> np.ndarray:
        """One distribution over `classes_` from P(not separated) per row and the second stage's
        P(label | not separated) rows: P(separated) = 1 - P(not separated), P(label) = their product."""
        out = np.zeros((len(others), len(self.classes_)))
        classes = list(self.classes_)
        out[:, classes.index(self.separated)] = 1.0 - others
        for j, label in enumerate(self.second.classes_):
            out[:, classes.index(str(label))] = others * second[:, j]
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    # -- the linear scores the explanations decompose ---------------------------------------
    @property
    def coef_(self) -> np.ndarray:
        return self._linear()[0]

    @property
    def intercept_(self) -> np.ndarray:
        return self._linear()[1]

    def _linear(self) -> tuple[np.ndarray, np.ndarray]:
        w1, b1 = _stage_linear(self.first)
        w2, b2 = _stage_linear(self.second)
        first, second = list(self.first.classes_), [str(c) for c in self.second.classes_]
        rows, intercepts = [], []
        for label in self.classes_:
            if label == self.separated:
                k = first.index(self.separated)
                rows.append(w1[k]), intercepts.append(b1[k])
            else:
                k, j = first.index(OTHERS), second.index(label)
                rows.append(w1[k] + w2[j]), intercepts.append(b1[k] + b2[j])
        return np.vstack(rows), np.asarray(intercepts)


def _stage_linear(stage) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, intercepts), one row per class, of the scores whose softmax is the stage's probabilities."""
    inner = stage.classifier if isinstance(stage, TemperatureScaled) else stage
    coef = np.asarray(inner.coef_.toarray() if hasattr(inner.coef_, "toarray") else inner.coef_, dtype=np.float64)
    intercept = np.atleast_1d(np.asarray(inner.intercept_, dtype=np.float64))
    if coef.shape[0] == 1:  # binary: the one score as two columns, as `two_columns` makes them
        half = two_columns(np.ones(1), inner)[0, 1]
        coef, intercept = np.vstack([-half * coef, half * coef]), np.concatenate([-half * intercept, half * intercept])
    t = getattr(stage, "temperature_", 1.0)
    return coef / t, intercept / t


def check_two_stage(separated: str, labels, pair: bool, multi_label: bool = False) -> None:
    """One line for a configuration where a two-stage decision means nothing."""
    if not pair or multi_label:
        raise KhabarError("model.two_stage: a two-stage decision (is the text about the claim, then its stance) is for "
                          "task stance; remove it for a topic task")
    if separated not in labels:
        raise KhabarError(f"model.two_stage: label {separated!r} is not among the labels ({', '.join(labels)}); "
                          "name the label the first stage separates from the rest, e.g. unrelated")
    if len(labels) < 3:
        raise KhabarError(f"model.two_stage: with {len(labels)} labels there is no second stage; remove it")


def fit_two_stage(make: Callable[[str], object], matrix, y, separated: str, held_out: Callable,
                  dev: Optional[tuple] = None) -> tuple[TwoStage, str, tuple]:
    """The fitted `TwoStage`, how its probabilities were made, and (held-out probabilities in its
    `classes_` order, their gold labels, where) for the label offsets.

    `make(stage)`: an unfitted classifier for "first" or "second"; `held_out(classifier, rows,
    y)`: cross-validated `(scores, scored)` of the training rows `rows` (indices) with labels `y`
    (`held_out.held_out_scores`, folds keeping a claim's pairs together);
    `dev`: (dev matrix, dev labels) when the dev split has examples: calibration and the
    held-out probabilities come from it, else from the cross-validated scores."""
    y = np.asarray(y)
    rest = y != separated
    y_first = np.where(rest, OTHERS, separated)
    if len(set(y[rest])) < 2:
        raise KhabarError(f"model.two_stage: the training data has {len(set(y[rest]))} label(s) besides {separated!r}; "
                          "the second stage needs at least 2")
    first = make("first").fit(matrix, y_first)
    second = make("second").fit(matrix[rest], y[rest])
    dev_rows = None
    if dev is not None and len(set(dev[1])) >= 2:
        dev_rows = (dev[0], np.asarray(dev[1]))
    every = np.arange(len(y))
    first, how1, held1 = _calibrated(first, lambda: held_out(make("first"), every, y_first), y_first, dev_rows and
                                     (dev_rows[0], np.where(dev_rows[1] != separated, OTHERS, separated)))
    dev_second = None
    if dev_rows is not None and len(set(dev_rows[1][dev_rows[1] != separated])) >= 2:
        keep = dev_rows[1] != separated
        dev_second = (dev_rows[0][keep], dev_rows[1][keep])
    where_rest = np.flatnonzero(rest)
    second, how2, held2 = _calibrated(second, lambda: held_out(make("second"), where_rest, y[rest]), y[rest], dev_second)
    model = TwoStage(first, second, separated)
    how = (f"two stages: P({separated}) from the first ({how1}); P(label) = P(not {separated}) x P(label | not "
           f"{separated}) from the second, fitted on the other labels' pairs ({how2})")
    if dev_rows is not None:
        return model, how, (model.predict_proba(dev_rows[0]), list(dev_rows[1]), "the dev split")
    # cross-validated: the first stage's held-out P(not separated) of every training row, the
    # second's held-out P(label | not separated) of its own rows and the fitted second stage's of
    # the separated rows (which it never saw)
    p_first, p_first_rows = held1
    p_second = second.predict_proba(matrix)
    q_rows, q_scored = held2
    p_second[where_rest[q_scored]] = q_rows[q_scored]
    scored = p_first_rows.copy()
    scored[where_rest[~q_scored]] = False
    combined = model.combine(p_first[:, list(first.classes_).index(OTHERS)], p_second)
    return model, how, (combined[scored], list(y[scored]), "cross-validation of the training split")


def _calibrated(fitted, held_out: Callable, y, dev):
    """(the stage with probabilities, how, (held-out probabilities of its training rows, which rows
    have them)); the held-out ones (`held_out()`: cross-validated scores) only without a dev split."""
    if dev is not None:
        if hasattr(fitted, "predict_proba"):
            return fitted, "native", None
        scaled = TemperatureScaled(fitted).fit(*dev)
        return scaled, f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted on the dev split", None
    scores, scored = held_out()
    if hasattr(fitted, "predict_proba"):
        return fitted, "native", (scores_to_proba(scores), scored)
    scaled = TemperatureScaled(fitted)
    scaled.temperature_ = fit_temperature(scores[scored], y[scored], fitted.classes_)
    return (scaled, f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted by cross-validation",
            (scores_to_proba(scores, scaled.temperature_), scored))
