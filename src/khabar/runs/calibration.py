"""How far to trust a model's confidence: the risk–coverage curve, the calibration error, and the
abstain threshold chosen on dev.

Everything here works on two arrays over the examples whose gold label the model knows: the
confidence of each prediction (its top probability) and whether the prediction was right.

- Risk–coverage: sort by confidence, most confident first; the accuracy at coverage c is the
  accuracy of the ceil(c * n) most confident predictions (ties keep the examples' order), the
  threshold is the confidence of the last one kept. AURC is the area under the risk (error rate)
  curve over the n coverages k/n, the mean of the error rates of the top k (Geifman et al., 2018):
  0 for a perfect ranking of right before wrong, the error rate itself for a useless one.
- Calibration: the expected calibration error (Guo et al., 2017) over 15 equal-width confidence
  bins, sum over bins of (bin size / n) * |accuracy - mean confidence|, the bins and their means
  as scikit-learn's `calibration_curve` makes them (bins closed on the right: a confidence of
  exactly 1/15 falls in the first bin).
- The abstain threshold for a target precision: the lowest confidence t such that the
  predictions with confidence >= t are right at least that often on dev (the most coverage that
  still meets the target). Chosen on dev, applied to new articles: on another source the same
  threshold keeps fewer of them and may reach a different precision; the cross-source benchmark
  measures exactly that.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from ..log import say

#: the coverages the reports show: metrics.json keys test.coverage_100 ... test.coverage_50
COVERAGES = (1.0, 0.95, 0.9, 0.8, 0.5)
#: equal-width confidence bins of the expected calibration error and the reliability diagram
ECE_BINS = 15


def confidence_and_correct(predictions: Iterable[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(top probability, right or not) of the prediction records whose gold label the model knows."""
    known = [p for p in predictions if p.get("known", True)]
    confidence = np.array([float(p["probability"]) for p in known], dtype=np.float64)
    correct = np.array([p["gold"] == p["predicted"] for p in known], dtype=bool)
    return confidence, correct


def _sorted(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    if confidence.shape != correct.shape or confidence.ndim != 1:
        raise ValueError("confidence and correct must be two 1-d arrays of one length")
    order = np.argsort(-confidence, kind="stable")
    return confidence[order], correct[order]


def coverage_key(coverage: float) -> str:
    """0.8 -> "coverage_80": the name of a coverage in metrics.json."""
    return f"coverage_{round(coverage * 100):d}"


def risk_coverage(confidence: Sequence[float], correct: Sequence[bool],
                  coverages: Sequence[float] = COVERAGES) -> dict:
    """{"coverage_80": {"accuracy", "threshold", "n"}, ..., "aurc": float}; empty input: {}."""
    conf, right = _sorted(np.asarray(confidence), np.asarray(correct))
    n = len(conf)
    if n == 0:
        return {}
    out = {}
    for c in coverages:
        k = max(1, min(n, math.ceil(c * n - 1e-9)))
        out[coverage_key(c)] = {"accuracy": float(right[:k].mean()), "threshold": float(conf[k - 1]), "n": int(k)}
    errors = np.cumsum(~right) / np.arange(1, n + 1)
    out["aurc"] = float(errors.mean())
    return out


def curve(confidence: Sequence[float], correct: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    """(coverage k/n, accuracy of the k most confident) for k = 1..n: the plotted curve."""
    conf, right = _sorted(np.asarray(confidence), np.asarray(correct))
    k = np.arange(1, len(conf) + 1)
    return k / max(len(conf), 1), np.cumsum(right) / k


def reliability(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = ECE_BINS) -> dict:
    """The expected calibration error and its bins: {"ece", "bins": [{"low", "high", "n",
    "accuracy", "confidence"}, ...]} (non-empty bins only); empty input: {}."""
    from sklearn.calibration import calibration_curve

    conf = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    right = np.asarray(correct, dtype=bool).astype(int)
    if len(conf) == 0:
        return {}
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], conf), minlength=n_bins)  # calibration_curve's binning
    accuracy, mean_conf = calibration_curve(right, conf, n_bins=n_bins, strategy="uniform", pos_label=1)
    filled = np.flatnonzero(counts)
    ece = float(np.sum(counts[filled] / len(conf) * np.abs(accuracy - mean_conf)))
    bins = [{"low": float(edges[b]), "high": float(edges[b + 1]), "n": int(counts[b]),
             "accuracy": float(a), "confidence": float(m)} for b, a, m in zip(filled, accuracy, mean_conf)]
    return {"ece": ece, "bins": bins}


def selective(confidence: Sequence[float], correct: Sequence[bool], min_confidence: float) -> dict:
    """Coverage and accuracy of the predictions kept at a threshold (confidence >= it)."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    kept = conf >= min_confidence
    n_kept = int(kept.sum())
    return {"min_confidence": float(min_confidence), "coverage": float(n_kept / len(conf)) if len(conf) else None,
            "accuracy": float(right[kept].mean()) if n_kept else None, "n": int(n_kept)}


def choose_threshold(confidence: Sequence[float], correct: Sequence[bool], target_precision: float,
                     where: str = "dev") -> dict:
    """The lowest threshold whose kept predictions reach `target_precision` on these (dev)
    examples: {"min_confidence", "target_precision", "dev_precision", "dev_coverage", "dev_n",
    "reached"}. When no threshold reaches the target, the one with the best precision (the most
    coverage among equals), "reached": false, and a notice saying so."""
    conf, right = _sorted(np.asarray(confidence), np.asarray(correct))
    n = len(conf)
    if n == 0:
        from ..errors import KhabarError

        raise KhabarError(f"predict.target_precision: needs labeled {where} examples to choose the threshold on; "
                          "give the data a dev split or set predict.min_confidence instead")
    precision = np.cumsum(right) / np.arange(1, n + 1)
    # a threshold keeps every example at least as confident: only the last of a run of equal
    # confidences is a place the kept set can end
    ends = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))
    good = ends[precision[ends] >= target_precision - 1e-12]
    reached = len(good) > 0
    if reached:
        end = int(good[-1])
    else:
        best = precision[ends].max()
        end = int(ends[precision[ends] >= best - 1e-12][-1])
        say(f"predict.target_precision {target_precision:g}: no threshold reaches it on {where} (the best is "
            f"{best:.4f} keeping {(end + 1) / n:.1%}); using that threshold")
    return {"min_confidence": float(conf[end]), "target_precision": float(target_precision),
            "dev_precision": float(precision[end]), "dev_coverage": float((end + 1) / n), "dev_n": int(n),
            "reached": bool(reached)}


def flat_selective(result: dict, prefix: str) -> dict:
    """metrics.json keys of a result's `selective` entry: `test.coverage_80.accuracy`,
    `test.coverage_80.threshold`, `test.aurc`, `test.ece`, `test.abstain.coverage`, ..."""
    figures = result.get("selective") or {}
    flat = {}
    for key, value in figures.get("risk_coverage", {}).items():
        if isinstance(value, dict):
            flat[f"{prefix}.{key}.accuracy"] = value["accuracy"]
            flat[f"{prefix}.{key}.threshold"] = value["threshold"]
        else:
            flat[f"{prefix}.{key}"] = value
    if "ece" in figures.get("calibration", {}):
        flat[f"{prefix}.ece"] = figures["calibration"]["ece"]
    abstain = figures.get("abstain")
    if abstain:
        for key in ("min_confidence", "coverage", "accuracy"):
            flat[f"{prefix}.abstain.{key}"] = abstain[key]
    return flat


def selective_figures(predictions: Sequence[dict], min_confidence: float | None = None) -> dict:
    """A result's `selective` entry: {"risk_coverage", "calibration", "abstain" (with a threshold)}."""
    confidence, correct = confidence_and_correct(predictions)
    if len(confidence) == 0:
        return {}
    out = {"risk_coverage": risk_coverage(confidence, correct), "calibration": reliability(confidence, correct)}
    if min_confidence:
        out["abstain"] = selective(confidence, correct, min_confidence)
    return out
