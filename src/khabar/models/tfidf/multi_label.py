"""Multi-label topics for the TF-IDF kind: one linear model per label over the shared features.

scikit-learn's `OneVsRestClassifier` fits the per-label models. What it lacks, and this module
adds: probabilities for LinearSVC (which has none) that keep its decisions, and the label names
as classes (fitted on a 0/1 matrix, its classes are column numbers). The probability is one
logistic curve of the decision score shared by every label (Platt scaling, pooled): a single
slope and intercept, which a small dev split can fit where one curve per label (a handful of
positives each) could not. It is monotone per label, so each label's threshold (chosen on dev by
`models.thresholds`) cuts at a fixed margin of that label's own model.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin


class LabelSetProbabilities(ClassifierMixin, BaseEstimator):
    """A fitted one-vs-rest classifier, its label names, and per-label probabilities.

    `fit(X, Y)` on held-out rows (Y: rows x labels, 0/1) learns only the shared logistic curve,
    and only for a classifier without `predict_proba`; its own probabilities are kept otherwise.
    """

    def __init__(self, classifier=None, labels=None):
        self.classifier = classifier
        self.labels = labels

    def fit(self, X, Y):
        if not hasattr(self.classifier, "predict_proba"):
            self.fit_scores(self.classifier.decision_function(X), Y)
        return self

    def fit_scores(self, scores, Y) -> "LabelSetProbabilities":
        """The shared curve from held-out decision `scores` (rows x labels) and their 0/1 gold.

        Platt's (1999) targets, (positives + 1) / (positives + 2) and 1 / (negatives + 2) rather
        than 1 and 0: a small dev split that the scores separate perfectly would otherwise give an
        infinitely steep curve and probabilities of 1.0000.
        """
        scores, target = np.asarray(scores, dtype=np.float64).reshape(-1), np.asarray(Y).reshape(-1)
        positives = int(target.sum())
        negatives = len(target) - positives
        if positives == 0 or negatives == 0:  # all positive or all negative: no curve to fit
            self.slope_, self.intercept_ = 1.0, 0.0
            return self
        soft = np.where(target == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))

        def loss(params):
            z = params[0] * scores + params[1]
            return float(np.mean(np.logaddexp(0, z) - soft * z))  # log-loss against the soft targets

        # a positive slope: the curve may flatten, never turn a label's ranking upside down
        fitted = minimize(loss, x0=np.array([1.0, 0.0]), method="L-BFGS-B", bounds=[(1e-6, None), (None, None)])
        self.slope_, self.intercept_ = float(fitted.x[0]), float(fitted.x[1])
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted when the wrapped classifier is: a native one needs no curve (Pipeline asks)."""
        fitted = hasattr(self.classifier, "estimators_")
        return fitted and (hasattr(self.classifier, "predict_proba") or hasattr(self, "slope_"))

    @property
    def classes_(self):
        return np.asarray(self.labels, dtype=object)

    def predict_proba(self, X):
        if hasattr(self.classifier, "predict_proba"):
            return np.asarray(self.classifier.predict_proba(X), dtype=np.float64)
        return self.curve(self.classifier.decision_function(X))

    def curve(self, scores) -> np.ndarray:
        """Probabilities of decision scores (rows x labels) through the shared fitted curve."""
        scores = np.asarray(scores, dtype=np.float64)
        return expit(self.slope_ * scores.reshape(len(scores), -1) + self.intercept_)

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(np.int8)
