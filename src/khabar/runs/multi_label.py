"""What a label-set (multi-label) result has beyond the figures of `models.scheme.LabelSet`: its
flat metrics.json keys (per-label decision counts, label cardinality, the articles with 2+ labels)
and the cross-fitted dev figures `khabar tune` scores trials by.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..models.predict import predict_proba_in_batches
from ..models.scheme import LabelSet
from ..models.thresholds import choose_thresholds, labels_above


def flat_label_sets(result: dict, prefix: str) -> dict:
    """metrics.json keys of a label-set result beyond its metrics and per-label figures (none for
    one label): `test.tp.Sports`, `test.cardinality.gold`, `test.two_plus.all_labels`, ..."""
    flat = {}
    for label, counts in result.get("label_confusion", {}).items():
        for name, value in counts.items():
            flat[f"{prefix}.{name}.{label}"] = value
    for name, value in (result.get("cardinality") or {}).items():
        flat[f"{prefix}.cardinality.{name}"] = value
    for name, value in (result.get("two_plus") or {}).items():
        flat[f"{prefix}.two_plus.{name}"] = value
    return flat


def cross_fitted_figures(model, examples: Sequence, seed: int = 0) -> dict:
    """The figures of a multi-label model on `examples` (the dev split) with its thresholds
    cross-fitted: each half decided with thresholds chosen on the other half.

    Why: the model's own thresholds were chosen on this dev split to maximize its F1, so scoring
    them there is in-sample; `khabar tune` comparing trials that way would prefer settings whose
    thresholds fit dev's noise. Cross-fitting keeps every dev article held out from the choice
    that decides it, at the cost of choosing on half the rows.
    """
    proba = predict_proba_in_batches(model, [ex.inputs for ex in examples], 256)
    gold = model.gold_matrix(examples)
    order = np.random.default_rng(seed).permutation(len(examples))
    halves = (order[::2], order[1::2])
    decided: list = [[] for _ in examples]
    for part, other in ((halves[0], halves[1]), (halves[1], halves[0])):
        thresholds, _ = choose_thresholds(proba[other], gold[other], floor=not model.allow_no_label)
        for i, row in zip(part, labels_above(proba[part], thresholds, model.allow_no_label)):
            decided[i] = [model.labels_[j] for j in row]
    return LabelSet().figures([ex.gold for ex in examples], decided, model.labels_)
