"""Probabilities for a margin classifier that keep its decisions: softmax with one temperature.

LinearSVC has no probabilities. scikit-learn's `CalibratedClassifierCV` fits one sigmoid per class
and renormalizes, which can change the arg-max: on SANAD it cost about 0.15 points of accuracy.
A single temperature on the softmax of the decision scores (Guo et al., 2017, "On calibration of
modern neural networks") is monotone, so the predicted label is exactly the classifier's; the
temperature is fitted on held-out data by minimizing log-loss.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin


def fit_temperature(scores, y, classes) -> float:
    """The softmax temperature minimizing log-loss of held-out decision `scores` (rows x classes,
    or one column for two classes as scikit-learn gives it) against labels `y` from `classes`."""
    scores = two_columns(scores)
    index = {c: i for i, c in enumerate(classes)}
    target = np.array([index[label] for label in y])

    def loss(log_t):
        return -log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(target)), target].mean()

    return float(np.exp(minimize_scalar(loss, bounds=(-6.0, 6.0), method="bounded").x))


def two_columns(scores: np.ndarray, classifier=None) -> np.ndarray:
    """A classifier's decision scores as rows x classes whose softmax is its probabilities (at
    temperature 1 for a model with its own, at its temperature for a margin one): a binary model's
    one score s becomes (-s, s), or (-s/2, s/2) for logistic regression, whose P = sigmoid(s)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2:
        return scores
    half = 0.5 if hasattr(classifier, "predict_proba") else 1.0
    return np.column_stack([-half * scores, half * scores])


class TemperatureScaled(ClassifierMixin, BaseEstimator):
    """Wraps a fitted classifier with `decision_function`; `fit` learns only the temperature."""

    def __init__(self, classifier=None):
        self.classifier = classifier

    def fit(self, X, y):
        self.temperature_ = fit_temperature(self.classifier.decision_function(X), y, self.classes_)
        return self

    @property
    def classes_(self):
        return self.classifier.classes_

    def _scores(self, X):
        return two_columns(self.classifier.decision_function(X))

    def predict_proba(self, X):
        return softmax(self._scores(X) / self.temperature_, axis=1)

    def predict(self, X):
        return self.classes_[np.argmax(self._scores(X), axis=1)]
