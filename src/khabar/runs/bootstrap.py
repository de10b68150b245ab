"""A paired bootstrap of many runs at once, on counts, with numpy.

Why by hand: the bootstrap of a macro-F1 difference with scikit-learn calls `f1_score` twice per
resample and pair (about 2,000 calls of a few milliseconds for one pair), so 21 runs took minutes.
Every figure here is a function of per-example contributions that a resample only re-weights:
per-class true positives, predicted and gold counts (macro-, micro-, weighted-F1), correctness
(accuracy, subset accuracy), and per-article F1 or Hamming errors (samples-F1, Hamming loss). A
resample is a vector of how often each article was drawn, so the counts of every run under every
resample are one matrix product `W @ X` (resamples x articles times articles x columns). All runs
of a group share the same resamples, which is what makes the differences paired; any pair's
bootstrap distribution is then a subtraction.

Single-label F1 per class is 2 TP / (predicted + gold), 0 when both are 0: scikit-learn's
`f1_score(..., labels=present, zero_division=0)` exactly, with the macro average over the labels
present in the full gold (a resample that misses a class scores it 0, as scikit-learn would with
the same `labels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy.special import bdtr  # the binomial CDF; scipy.stats would cost seconds of import for it

from ..models.metrics import LABEL_SET, ONE_LABEL, metric, metrics_for

#: the per-article columns of a label-set run beyond its label counts, by metric name
PER_ARTICLE = dict(accuracy=0, samples_f1=1, hamming_loss=2)
#: the registry's metrics this module computes from counts, per scheme
COUNTED = {ONE_LABEL: frozenset({"macro_f1", "weighted_f1", "accuracy"}),
           LABEL_SET: frozenset({"micro_f1", "weighted_f1", "macro_f1", *PER_ARTICLE})}
#: resamples drawn per matrix product: bounds memory (chunk x articles float32) whatever --resamples is
CHUNK = 256


@dataclass
class Counts:
    """Per-example contributions of R runs on one test set (`columns`: articles x columns) and how
    to turn their (re-weighted) sums into each run's figures."""

    columns: np.ndarray  # float32, articles x columns
    runs: int
    labels: int
    present: np.ndarray  # bool per label: present in the full gold
    scheme: str  # the metric registry's scheme name: which figures these counts give (`FIGURES`)

    @property
    def n(self) -> int:
        return self.columns.shape[0]

    def figures(self, sums: np.ndarray, figure: str) -> np.ndarray:
        """`figure` of every run from summed columns (resamples x columns) -> resamples x runs."""
        compute = FIGURES[self.scheme].get(figure)
        if compute is None:
            raise ValueError(f"unknown figure {figure}")
        c, r = self.labels, self.runs
        per_run = (self.columns.shape[1] - c) // r  # per run: predicted, TP, then the scheme's own columns
        block = sums[:, c:].reshape(len(sums), r, per_run)
        return compute(Summed(sums[:, :c], block[:, :, :c], block[:, :, c:2 * c], block[:, :, 2 * c:], self.n, self.present))


@dataclass
class Summed:
    """Re-weighted sums of one batch of resamples: gold (resamples x labels), and per run
    (resamples x runs x ...) predicted, true positives and the per-article columns."""

    gold: np.ndarray
    predicted: np.ndarray
    tp: np.ndarray
    per_article: np.ndarray
    n: int
    present: np.ndarray


def _micro_f1(s: Summed) -> np.ndarray:
    return _ratio(2 * s.tp.sum(-1), s.predicted.sum(-1) + s.gold.sum(-1)[:, None])


def _f1_per_label(s: Summed) -> np.ndarray:
    return _ratio(2 * s.tp, s.predicted + s.gold[:, None, :])[:, :, s.present]


def _macro_f1(s: Summed) -> np.ndarray:
    f1 = _f1_per_label(s)
    return f1.mean(-1) if s.present.any() else np.zeros(f1.shape[:2])


def _weighted_f1(s: Summed) -> np.ndarray:
    support = s.gold[:, s.present]
    return (_f1_per_label(s) * support[:, None, :]).sum(-1) / np.maximum(support.sum(-1), 1)[:, None]


def _hits(s: Summed) -> np.ndarray:
    """One label: the share of articles whose label is right (true positives over articles)."""
    return s.tp.sum(-1) / s.n


def _per_article(column: int) -> Callable[[Summed], np.ndarray]:
    """A label set's per-article figure (`PER_ARTICLE`): its column's mean over articles."""
    return lambda s: s.per_article[:, :, column] / s.n


#: how each scheme's counts give each figure, by metric name; chosen once per Counts by its scheme
FIGURES: dict[str, dict[str, Callable[[Summed], np.ndarray]]] = {
    ONE_LABEL: {"accuracy": _hits, "micro_f1": _micro_f1, "macro_f1": _macro_f1, "weighted_f1": _weighted_f1},
    LABEL_SET: {"micro_f1": _micro_f1, "macro_f1": _macro_f1, "weighted_f1": _weighted_f1,
                **{name: _per_article(k) for name, k in PER_ARTICLE.items()}},
}


def scheme_of(multi_label: bool) -> str:
    return LABEL_SET if multi_label else ONE_LABEL


def figures_for(multi_label: bool) -> list[str]:
    """The metrics of the registry a bootstrap of this scheme computes, the scheme's default first
    (macro-F1 for one label, micro-F1 for label sets), then in the registry's table order."""
    scheme = scheme_of(multi_label)
    names = [m.name for m in metrics_for(scheme, headline=None) if m.name in COUNTED[scheme]]
    first = "micro_f1" if multi_label else "macro_f1"
    return [first] + [name for name in dict.fromkeys(names) if name != first]


def lower_is_better(figure: str, multi_label: bool) -> bool:
    return not metric(figure, scheme_of(multi_label)).greater_is_better


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def single_label_counts(gold: Sequence[str], predicted: Sequence[Sequence[str]]) -> tuple[Counts, np.ndarray]:
    """Counts of R runs (`predicted`: one list of labels per run, aligned with `gold`) and their
    correctness (articles x runs, bool)."""
    labels = sorted(set(gold).union(*map(set, predicted)))
    index = {lab: j for j, lab in enumerate(labels)}
    eye = np.eye(len(labels), dtype=np.float32)
    g = eye[[index[x] for x in gold]]
    blocks, correct = [g], []
    for run in predicted:
        p = eye[[index[x] for x in run]]
        blocks += [p, p * g]
        correct.append(np.asarray(run, dtype=object) == np.asarray(gold, dtype=object))
    present = g.sum(0) > 0
    return Counts(np.hstack(blocks), len(predicted), len(labels), present, ONE_LABEL), np.stack(correct, axis=1)


def multi_label_counts(gold: Sequence[Iterable[str]], predicted: Sequence[Sequence[Iterable[str]]]) -> tuple[Counts, np.ndarray]:
    """Counts of R multi-label runs (label sets) and their exact-set correctness (articles x runs)."""
    labels = sorted(set().union(*map(set, gold), *(set(lab for s in run for lab in s) for run in predicted)))
    index = {lab: j for j, lab in enumerate(labels)}

    def hot(sets) -> np.ndarray:
        out = np.zeros((len(gold), len(labels)), dtype=np.float32)
        for i, s in enumerate(sets):
            out[i, [index[lab] for lab in s]] = 1
        return out

    g = hot(gold)
    blocks, correct = [g], []
    for run in predicted:
        p = hot(run)
        tp = p * g
        exact = np.all(p == g, axis=1)
        sizes = p.sum(1) + g.sum(1)
        samples_f1 = _ratio(2 * tp.sum(1), sizes)
        hamming = np.abs(p - g).sum(1) / max(len(labels), 1)
        blocks += [p, tp, np.stack([exact, samples_f1, hamming], axis=1).astype(np.float32)]
        correct.append(exact)
    present = g.sum(0) > 0
    return Counts(np.hstack(blocks), len(predicted), len(labels), present, LABEL_SET), np.stack(correct, axis=1)


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """resamples x n: how often each of n articles is drawn in each resample (n draws with replacement)."""
    draws = rng.integers(0, n, (resamples, n)) + (np.arange(resamples) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float32)


def bootstrap(counts: Counts, figure: str, resamples: int, seed: int = 0,
              step: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(observed figure per run, resamples x runs of resampled figures); `step(k)` after each chunk of k."""
    observed = counts.figures(counts.columns.sum(0, dtype=np.float64)[None, :], figure)[0]
    rng = np.random.default_rng(seed)
    values = np.empty((resamples, counts.runs))
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        sums = resample_weights(counts.n, size, rng) @ counts.columns
        values[start:start + size] = counts.figures(sums.astype(np.float64), figure)
        if step:
            step(size)
    return observed, values


def bootstrap_p(deltas: np.ndarray) -> np.ndarray | float:
    """Two-sided: how often the resampled difference falls on the other side of zero, counted as
    (k + 1) / (B + 1) so that B resamples never claim p = 0 (they can only say p < 2/(B+1)).
    `deltas`: one difference per resample (a float back), or resamples x pairs (one p per pair)."""
    deltas = np.asarray(deltas)
    other_side = np.minimum((deltas <= 0).sum(0), (deltas >= 0).sum(0))
    p = np.minimum(1.0, 2 * (other_side + 1) / (len(deltas) + 1))
    return float(p) if deltas.ndim == 1 else p


def mcnemar_p(correct: np.ndarray, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """McNemar's exact test on who is right where, for each (a, b) of `pairs`: (p, a-only-right,
    b-only-right). Exact two-sided binomial at 1/2: min(1, 2 P(X <= min(a, b)))."""
    right = correct.astype(np.int64)
    only = right.T @ (1 - right)  # [a, b]: articles a gets right and b does not
    a, b = np.array([only[i, j] for i, j in pairs], dtype=np.int64), np.array([only[j, i] for i, j in pairs], dtype=np.int64)
    total = a + b
    p = np.where(total > 0, np.minimum(1.0, 2 * bdtr(np.minimum(a, b), np.maximum(total, 1), 0.5)), 1.0)
    return p, a, b


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of m p-values: the i-th smallest times (m - i), never below the
    adjusted one before it, at most 1. Controls the chance of any false 'significant' in the family."""
    p = np.asarray(p, dtype=float)
    if not len(p):
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted
