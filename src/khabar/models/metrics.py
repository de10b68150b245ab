"""The metric registry: every figure khabar reports, named once, in the manner of scikit-learn's scorers.

Why one registry: the CLI summary, report.md, the model card, `khabar tune`'s objective and
`compare` all show metrics, and transformer early stopping picks epochs by one. Each used to carry
its own list of names, and macro-F1 had two definitions. Here a `Metric` says its `name` (the key in
results and metrics.json), how a person reads it (`display`), which label scheme it applies to
(`schemes`: "one_label", "label_set"; see `models.scheme`), whether it needs probabilities rather
than decisions (`needs_proba`), whether a larger value is better, whether tables show it
(`headline`) and per source (`per_source`), and its function. Renderers iterate `metrics_for`;
adding a metric is one entry here (and its card field, if the card lists it).

Functions take `(y_true, y_pred, labels)` in the scheme's form: label names per article for one
label, 0/1 matrices (rows = articles, columns = `labels`) for label sets. Figures that need
probabilities (calibration, risk–coverage) are computed by `runs.calibration` from the prediction
records; their entries here name and describe them for the renderers.

Macro-F1 is the mean F1 over the labels **present in the gold data**: a test set (or a source, or a
dev split) without some topic is not punished for it, and a label with no gold example has no
defined recall. The transformer's early stopping uses the same function, so the epoch it keeps is
the one with the best reported figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

# scikit-learn is imported by the functions that use it: reading a config (which checks metric
# names against this registry) imports no training library

ONE_LABEL = "one_label"
LABEL_SET = "label_set"
BOTH = (ONE_LABEL, LABEL_SET)


@dataclass(frozen=True)
class Metric:
    """One figure: see the module docstring."""

    name: str
    display: str
    schemes: tuple[str, ...]
    function: Optional[Callable] = None
    needs_proba: bool = False
    greater_is_better: bool = True
    headline: bool = True
    per_source: bool = False
    # the model card's model-index entry, when the card lists the metric: Hugging Face's metric
    # type, its name on the card and its config (the average of an F1)
    card_type: Optional[str] = None
    card_name: Optional[str] = None
    card_config: Optional[str] = None

    def __call__(self, y_true, y_pred, labels: Sequence):
        return float(self.function(y_true, y_pred, labels))


def present_labels(y_true, labels: Sequence) -> list:
    """The labels (names; column indices of a 0/1 matrix) with at least one gold example, in `labels` order."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 2:
        return [j for j in range(len(labels)) if y_true[:, j].any()]
    seen = set(y_true.tolist())
    return [lab for lab in labels if lab in seen]


def macro_f1(y_true, y_pred, labels: Sequence) -> float:
    """The one macro-F1: mean F1 over the labels present in gold (0.0 when none is)."""
    present = present_labels(y_true, labels)
    if not present:
        return 0.0
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def _weighted_f1(y_true, y_pred, labels: Sequence) -> float:
    # one label: over the present labels (an absent label weighs 0 either way); a matrix: every column
    from sklearn.metrics import f1_score

    present = None if np.asarray(y_true).ndim == 2 else present_labels(y_true, labels)
    return float(f1_score(y_true, y_pred, labels=present, average="weighted", zero_division=0))


def _averaged_f1(average: str) -> Callable:
    def f1(y_true, y_pred, labels):
        from sklearn.metrics import f1_score

        return f1_score(y_true, y_pred, average=average, zero_division=0)
    return f1


def _micro(index: int) -> Callable:
    def figure(y_true, y_pred, labels):
        from sklearn.metrics import precision_recall_fscore_support

        return precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)[index]
    return figure


def _accuracy(y_true, y_pred, labels) -> float:
    from sklearn.metrics import accuracy_score

    return accuracy_score(y_true, y_pred)


def _hamming_loss(y_true, y_pred, labels) -> float:
    from sklearn.metrics import hamming_loss

    return hamming_loss(y_true, y_pred)


#: every metric, in the order tables show them (a scheme's figures keep this order)
METRICS: tuple[Metric, ...] = (
    Metric("micro_f1", "micro-F1", (LABEL_SET,), _averaged_f1("micro"), per_source=True,
           card_type="f1", card_name="Micro F1", card_config="micro"),
    Metric("accuracy", "accuracy", (ONE_LABEL,), _accuracy, per_source=True, card_type="accuracy", card_name="Accuracy"),
    Metric("macro_f1", "macro-F1", BOTH, macro_f1, per_source=True, card_type="f1", card_name="Macro F1",
           card_config="macro"),
    Metric("weighted_f1", "weighted-F1", (ONE_LABEL,), _weighted_f1),
    Metric("samples_f1", "samples-F1", (LABEL_SET,), _averaged_f1("samples"), per_source=True,
           card_type="f1", card_name="Samples F1", card_config="samples"),
    Metric("hamming_loss", "Hamming loss", (LABEL_SET,), _hamming_loss,
           greater_is_better=False, card_type="hamming_loss",
           card_name="Hamming loss"),
    # a label set's `accuracy` is subset accuracy (the exact set), so code reading `accuracy` keeps working
    Metric("accuracy", "subset accuracy", (LABEL_SET,), _accuracy, per_source=True, card_type="accuracy",
           card_name="Subset accuracy (exact label set)"),
    Metric("subset_accuracy", "subset accuracy", (LABEL_SET,), _accuracy, headline=False),
    Metric("weighted_f1", "weighted-F1", (LABEL_SET,), _weighted_f1, headline=False),
    Metric("micro_precision", "micro precision", (LABEL_SET,), _micro(0), headline=False),
    Metric("micro_recall", "micro recall", (LABEL_SET,), _micro(1), headline=False),
    # from probabilities, computed by runs.calibration on the prediction records
    Metric("ece", "ECE", (ONE_LABEL,), needs_proba=True, greater_is_better=False, headline=False,
           card_type="expected_calibration_error", card_name="Expected calibration error (15 bins)"),
    Metric("aurc", "AURC", (ONE_LABEL,), needs_proba=True, greater_is_better=False, headline=False),
)


def metrics_for(scheme: str, headline: Optional[bool] = None, needs_proba: Optional[bool] = False) -> list[Metric]:
    """The metrics of a scheme in table order; `headline`/`needs_proba` None: either."""
    return [m for m in METRICS if scheme in m.schemes
            and (headline is None or m.headline == headline)
            and (needs_proba is None or m.needs_proba == needs_proba)]


def metric(name: str, scheme: str) -> Metric:
    """The metric `name` of a scheme; KeyError when it has none of that name."""
    for m in METRICS:
        if m.name == name and scheme in m.schemes:
            return m
    raise KeyError(name)


def headline_names(scheme: str) -> tuple[str, ...]:
    """The keys a table shows for a scheme's result, and its size `n`."""
    return tuple(m.name for m in metrics_for(scheme, headline=True)) + ("n",)


def per_source_names(scheme: str) -> tuple[str, ...]:
    """The keys of each source's figures in a result's `by_source`."""
    return ("n",) + tuple(m.name for m in metrics_for(scheme, headline=True) if m.per_source)


def compute(scheme: str, y_true, y_pred, labels: Sequence) -> dict:
    """Every decision metric of `scheme` (headline and not) on (y_true, y_pred), by name."""
    return {m.name: m(y_true, y_pred, labels) for m in metrics_for(scheme, headline=None)}


def card_metrics(scheme: str) -> list[Metric]:
    """The metrics a model card's model-index lists for a scheme, in table order."""
    return [m for m in metrics_for(scheme, headline=None, needs_proba=None) if m.card_type]


def objectives(scheme: str) -> list[str]:
    """The figures `khabar tune` may maximize for a scheme: its headline metrics where more is better."""
    return [m.name for m in metrics_for(scheme, headline=True) if m.greater_is_better]


def display(name: str, scheme: str) -> str:
    return metric(name, scheme).display


#: every name `objectives` gives for some scheme: what a config's eval.primary_metric and
#: tune.metric may say (the config then checks it fits its scheme)
OBJECTIVES: tuple[str, ...] = tuple(dict.fromkeys(name for scheme in BOTH for name in objectives(scheme)))
