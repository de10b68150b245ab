"""khabar.runs.bootstrap: the vectorized paired bootstrap gives scikit-learn's figures on every resample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, hamming_loss

from khabar.models.thresholds import multi_hot
from khabar.runs.bootstrap import (bootstrap, bootstrap_p, holm, mcnemar_p, multi_label_counts, resample_weights,
                                   single_label_counts)


def _runs(rng, n=400):
    labels = np.array(["a", "b", "c", "d"])
    gold = list(rng.choice(labels, n, p=[0.5, 0.3, 0.15, 0.05]))
    runs = [[g if rng.random() < share else rng.choice(labels[:3]) for g in gold] for share in (0.8, 0.5)]
    return gold, runs


@pytest.mark.parametrize("figure, average", [("macro_f1", "macro"), ("weighted_f1", "weighted"), ("accuracy", None)])
def test_single_label_figures_match_sklearn_on_each_resample(figure, average):
    rng = np.random.default_rng(1)
    gold, runs = _runs(rng)
    counts, correct = single_label_counts(gold, runs)
    present = sorted(set(gold))
    weights = resample_weights(len(gold), 5, np.random.default_rng(2))
    values = counts.figures((weights @ counts.columns).astype(float), figure)
    g = np.array(gold)
    for b, w in enumerate(weights):
        idx = np.repeat(np.arange(len(gold)), w.astype(int))
        for r, run in enumerate(runs):
            p = np.array(run)[idx]
            want = accuracy_score(g[idx], p) if average is None else \
                f1_score(g[idx], p, labels=present, average=average, zero_division=0)
            assert values[b, r] == pytest.approx(want)
    assert correct.shape == (len(gold), 2) and correct[:, 0].mean() == pytest.approx(accuracy_score(gold, runs[0]))


def test_multi_label_figures_match_sklearn():
    rng = np.random.default_rng(3)
    labels = ["a", "b", "c"]
    gold = [tuple(sorted({labels[rng.integers(3)], labels[rng.integers(3)]})) for _ in range(200)]
    runs = [[tuple(sorted(set(g[:1]) | ({"c"} if rng.random() < q else set()))) for g in gold] for q in (0.1, 0.5)]
    counts, _ = multi_label_counts(gold, runs)
    y = multi_hot(gold, labels)
    for figure, want in (("micro_f1", lambda p: f1_score(y, p, average="micro", zero_division=0)),
                         ("macro_f1", lambda p: f1_score(y, p, average="macro", zero_division=0)),
                         ("samples_f1", lambda p: f1_score(y, p, average="samples", zero_division=0)),
                         ("accuracy", lambda p: accuracy_score(y, p)),
                         ("hamming_loss", lambda p: hamming_loss(y, p))):
        observed, values = bootstrap(counts, figure, 20)
        assert values.shape == (20, 2)
        for r, run in enumerate(runs):
            assert observed[r] == pytest.approx(want(multi_hot(run, labels))), figure


def test_resample_weights_draw_n_articles_each():
    w = resample_weights(50, 7, np.random.default_rng(0))
    assert w.shape == (7, 50) and (w.sum(1) == 50).all() and (w >= 0).all()


def test_holm_matches_its_definition():
    p = [0.01, 0.04, 0.03, 0.5]
    # sorted 0.01, 0.03, 0.04, 0.5 -> x4, x3, x2, x1 -> 0.04, 0.09, 0.08->0.09 (monotone), 0.5
    assert list(holm(p)) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert list(holm([])) == []


def test_mcnemar_and_bootstrap_p():
    correct = np.array([[1, 0]] * 12 + [[0, 1]] * 2 + [[1, 1]] * 20, dtype=bool)
    p, a, b = mcnemar_p(correct, [(0, 1)])
    from scipy.stats import binomtest
    assert (a[0], b[0]) == (12, 2) and p[0] == pytest.approx(binomtest(12, 14, 0.5).pvalue)
    assert bootstrap_p(np.zeros(99)) == 1.0
    assert bootstrap_p(np.ones(99)) == pytest.approx(2 / 100)
