"""khabar.models.tfidf.temperature: probabilities for a margin classifier that keep its decisions."""

from __future__ import annotations

import numpy as np
from sklearn.svm import LinearSVC

from khabar.models.tfidf.temperature import TemperatureScaled, fit_temperature


def test_the_temperature_fits_held_out_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    confident = np.eye(3)[y] * 4 + rng.normal(0, 1, (300, 3))  # scores that mostly point at the gold class
    classes = np.array([0, 1, 2])
    assert fit_temperature(confident, y, classes) < fit_temperature(rng.normal(0, 1, (300, 3)), y, classes)


def test_probabilities_keep_the_classifiers_decisions():
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (120, 5))
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    svc = LinearSVC(random_state=0).fit(X, y)
    scaled = TemperatureScaled(svc).fit(X, y)
    proba = scaled.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0) and (proba > 0).all()
    assert list(scaled.classes_[proba.argmax(axis=1)]) == list(svc.predict(X)) == list(scaled.predict(X))


def test_two_classes_give_two_columns():
    rng = np.random.default_rng(2)
    X = rng.normal(0, 1, (60, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    scaled = TemperatureScaled(LinearSVC(random_state=0).fit(X, y)).fit(X, y)
    proba = scaled.predict_proba(X)
    assert proba.shape == (60, 2) and list(scaled.classes_[proba.argmax(axis=1)]) == list(scaled.predict(X))
