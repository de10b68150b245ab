"""The label scheme of a model: one label per article, or a set of labels. Chosen once.

Why a type: whether a model gives one label or a label set changes how probabilities become
decisions, what a prediction record holds, which requests make sense, what the manifest stores and
which figures measure it. Asking a flag about it in every module spread that knowledge over twenty
files; here it lives in two classes, and the rest of khabar calls their methods. Like spaCy's
`MultiLabel_TextCategorizer`, which subclasses the single-label categorizer and overrides what
differs, `LabelSet` subclasses `OneLabel`; like SetFit's `multi_target_strategy`, the choice is
made once, when the model is built (`scheme_for`, from the config) or loaded (`from_manifest`).

- `OneLabel`: softmax probabilities that add up to 1; the decision is the most probable label
  (after the model's per-label offsets to the log-probabilities when it has them: the
  manifest's `label_offsets` note, chosen on held-out data, see `thresholds.choose_offsets`;
  `shift` applies them to the probabilities themselves, so every output agrees); a
  prediction may abstain (label None) when its top probability is below `min_confidence` (the
  model's stored threshold, the manifest's `abstain` note, unless a request gives one); a request
  may restrict the prediction to a subset of labels (renormalized over them).
- `LabelSet`: one independent probability per label; every label at or above its own threshold
  (chosen on dev, the manifest's `multi_label` note) is given, most probable first, and at least
  the top one unless `allow_no_label`. Neither abstaining on the top probability nor a renormalized
  subset means anything for it: `check_request` refuses both.

The one record shape every output writes (predict, evaluate, HTTP, Ray, predictions.jsonl):
`{label, probability, top_k: [{label, probability}, ...]}` plus `abstained` (one label) or
`labels: [{label, probability}, ...]` (every decided label; `label`/`probability` are its first,
None when there is none). Evaluation adds `gold`, `predicted`, `original_label`, `source`, `known`.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from typing import Any, Callable, Optional, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix, precision_recall_fscore_support

from ..data.label_cells import LABEL_SET_CELLS, ONE_LABEL_CELLS
from ..errors import KhabarError
from . import metrics as M
from .manifest import ABSTAIN, LABEL_OFFSETS, MULTI_LABEL  # the manifest keys of each scheme's section
from .thresholds import DEFAULT_THRESHOLD, choose_offsets, choose_thresholds, labels_above, multi_hot


def check_probability(value: Any, what: str = "min_confidence") -> Optional[float]:
    """`value` when it is a probability (0 to 1) or None; else one line naming `what`."""
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value))
            or not 0.0 <= float(value) <= 1.0):
        raise KhabarError(f"{what} {value!r}: must be a probability from 0 to 1 (0 never abstains)")
    return float(value)


def rank_top_k(proba: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k most probable label indices of each row, best first, and their probabilities:
    two (rows, min(k, labels)) arrays. Ties keep label order (stable sort), so every output
    ranks the same way."""
    proba = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(proba, order, axis=1)


def restrict_proba(proba: np.ndarray, labels: Sequence[str], subset: Optional[Sequence[str]],
                   what: str = "--labels") -> tuple[np.ndarray, list[str]]:
    """Keep only the columns of `subset` (in the model's label order) and renormalize each row
    over them: the prediction among the labels that apply. `subset` None: unchanged.
    A label the model does not know is one `KhabarError` line naming it and the model's labels."""
    labels = list(labels)
    if subset is None:
        return np.asarray(proba, dtype=np.float64), labels
    subset = list(dict.fromkeys(subset))
    unknown = [lab for lab in subset if lab not in labels]
    if unknown:
        raise KhabarError(f"{what}: {', '.join(map(repr, unknown))} not among the model's labels "
                          f"({', '.join(labels)}); name labels the model knows")
    if len(subset) < 2:
        raise KhabarError(f"{what}: {subset}: name at least two labels (one label leaves nothing to choose)")
    keep = [i for i, lab in enumerate(labels) if lab in subset]
    part = np.asarray(proba, dtype=np.float64).reshape(-1, len(labels))[:, keep]
    total = part.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(total > 0, part / np.where(total > 0, total, 1.0), 1.0 / len(keep))
    return part, [labels[i] for i in keep]


def _score(labels: Sequence[str], p: float, j: int, digits: Optional[int]) -> dict:
    return {"label": labels[j], "probability": float(p) if digits is None else round(float(p), digits)}


def per_class(y_true, y_pred, labels: Sequence[str], columns: Optional[list] = None) -> dict:
    """Precision, recall, F1 and support of every label (`columns`: the labels as sklearn names them)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=columns, average=None, zero_division=0)
    return {lab: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for lab, p, r, f, s in zip(labels, precision, recall, f1, support)}


class OneLabel:
    """One label per article, with an optional abstain threshold (see the module docstring)."""

    name = M.ONE_LABEL
    multi_label = False  # what a result and a config call it
    #: the transformers `problem_type` of a network with this scheme's head
    problem_type = "single_label_classification"
    describe = "one label per article"
    title = ""  # what a run's title says after the task
    qualifier = ""  # what a model card's task name says after it
    allow_no_label = False  # one label: every article gets its top label
    fields = ("label", "probability", "abstained", "top_k")  # the keys of its prediction records
    cells = ONE_LABEL_CELLS  # how a data file's gold cells are read (data sits below models)

    def __init__(self, abstain: Optional[dict] = None, offsets: Optional[dict] = None):
        # the manifest's `abstain` note: {"min_confidence": t, "chosen_on": "config" | "dev", ...}
        self.abstain = abstain
        # the manifest's `label_offsets` note: {"offsets": {label: added log-probability}, "chosen_on": str}
        self.offsets = offsets

    # -- building ---------------------------------------------------------------------------
    @staticmethod
    def from_manifest(manifest) -> "OneLabel":
        """The scheme a (validated, typed) manifest records: a label set when it has a `multi_label` note."""
        return OneLabel.from_sections(manifest.abstain, manifest.multi_label, manifest.labels, manifest.label_offsets)

    @staticmethod
    def from_sections(abstain: Optional[dict], multi_label: Optional[dict], labels: Sequence[str],
                      offsets: Optional[dict] = None) -> "OneLabel":
        """The scheme of a manifest's sections: its `multi_label` note (a label set) or its `abstain`
        and `label_offsets` notes."""
        if multi_label is not None:
            return LabelSet.from_note(multi_label, labels)
        return OneLabel(abstain, offsets)

    def manifest_section(self) -> dict:
        """What this scheme adds to khabar.json (the abstain and label-offset notes, when there are)."""
        out = {ABSTAIN: dict(self.abstain)} if self.abstain else {}
        if self.offsets:
            out[LABEL_OFFSETS] = {"offsets": dict(self.offsets["offsets"]), "chosen_on": self.offsets["chosen_on"]}
        return out

    # -- training ---------------------------------------------------------------------------
    def start(self, labels: Sequence[str], gold: Sequence[Sequence[str]]) -> None:
        """Reset what a fit decides and check the training gold (`gold`: label lists per example)."""
        self.offsets = None

    def fit_thresholds(self, labels: Sequence[str], held_out: Callable, gold: Callable, where: str,
                       say: Callable[[str], None]) -> None:
        """One label is decided by its top probability: nothing to fit on held-out data."""

    def fit_offsets(self, labels: Sequence[str], proba: np.ndarray, gold: Sequence[str], where: str,
                    say: Callable[[str], None]) -> None:
        """Per-label offsets to the log-probabilities that maximize macro-F1 of the decisions on
        held-out probabilities `proba` (the model's, before any offset) against gold labels
        (`thresholds.choose_offsets`); `where` names the data for the manifest."""
        index = {lab: i for i, lab in enumerate(labels)}
        keep = [i for i, lab in enumerate(gold) if lab in index]
        log_proba = np.log(np.clip(np.asarray(proba, dtype=np.float64)[keep], 1e-12, None))
        offsets = choose_offsets(log_proba, np.array([index[gold[i]] for i in keep], dtype=np.int64))
        self.offsets = {"offsets": {lab: round(float(v), 6) for lab, v in zip(labels, offsets)}, "chosen_on": where}
        say(f"label offsets (log-probability, chosen for macro-F1 on {where}): "
            + ", ".join(f"{lab} {v:+.1f}" for lab, v in zip(labels, offsets)))

    def shift(self, proba: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """`proba` with the model's label offsets applied (each row times exp(offset), renormalized),
        so that the arg-max, top-k and the abstain threshold all see the decision; unchanged without offsets."""
        if not self.offsets or not len(proba):
            return proba
        offsets = np.array([self.offsets["offsets"][lab] for lab in labels], dtype=np.float64)
        shifted = np.asarray(proba, dtype=np.float64) * np.exp(offsets - offsets.max())[None, :]
        return shifted / shifted.sum(axis=1, keepdims=True)

    def targets(self, examples: Sequence, labels: Sequence[str]) -> np.ndarray:
        """What a network trains on: the label index of each example."""
        index = {lab: i for i, lab in enumerate(labels)}
        return np.array([index[ex.label] for ex in examples], dtype=np.int64)

    def decision_targets(self, chosen: Sequence[Sequence[int]], n_labels: int) -> np.ndarray:
        """Decisions (`decide`) in the form of `targets`: label indices."""
        return np.array([row[0] for row in chosen], dtype=np.int64)

    def activation(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities from a network's scores: softmax."""
        from scipy.special import softmax

        return softmax(scores, axis=1)

    def class_weights_name(self) -> str:
        return "class weights"

    #: what an explanation of a network decomposes: the label's log-probability (`explained_scores`)
    explained_quantity = "log-probability"

    def explained_scores(self, logits):
        """The per-label quantity an attribution explains, from a network's logits (torch): the
        log-softmax, whose differences are the probabilities' log-ratios."""
        import torch

        return torch.log_softmax(logits, dim=-1)

    def loss(self, logits, labels, weight=None):
        """A network's training loss (torch tensors): cross-entropy, `weight` per class."""
        import torch

        return torch.nn.functional.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.view(-1), weight=weight)

    # -- decisions --------------------------------------------------------------------------
    def decide(self, proba: np.ndarray) -> list[list[int]]:
        """The label indices each row of `proba` gets, most probable first: here its top label."""
        proba = np.asarray(proba)
        return [[int(i)] for i in proba.argmax(axis=1)] if len(proba) else []

    def uncertainty(self, proba: np.ndarray) -> np.ndarray:
        """How unsure each row's decision is, in [0, 1] (what `adapt.suggest` ranks by): here
        1 - (best - second best probability)."""
        proba = np.asarray(proba, dtype=np.float64)
        if not len(proba) or proba.shape[1] < 2:
            return np.zeros(len(proba))
        top = np.sort(proba, axis=1)
        return 1.0 - (top[:, -1] - top[:, -2])

    def predicted(self, labels: Sequence[str], chosen: Sequence[int]):
        """What `Model.predict` answers for one row of `decide`: the label."""
        return labels[chosen[0]]

    @property
    def min_confidence(self) -> Optional[float]:
        """The abstain threshold the model carries, or None."""
        return None if not self.abstain else self.abstain.get("min_confidence")

    def check_request(self, min_confidence: Optional[float], subset: Optional[Sequence[str]],
                      names: tuple[str, str] = ("--min-confidence", "--labels")) -> None:
        """Refuse in one line what a request asks that this scheme cannot honour."""
        check_probability(min_confidence, names[0])

    def check_label_delimiter(self, given: bool) -> None:
        """Refuse a label delimiter this scheme's gold cells do not take (see `data.label_cells`)."""
        self.cells.check_delimiter(given)

    def threshold(self, given: Optional[float]) -> Optional[float]:
        """What a prediction abstains below: the caller's value (0 switches abstaining off), else the stored one."""
        given = check_probability(given, "--min-confidence")
        return self.min_confidence if given is None else given

    def restrict(self, proba: np.ndarray, labels: Sequence[str], subset: Optional[Sequence[str]],
                 what: str = "--labels") -> tuple[np.ndarray, list[str]]:
        return restrict_proba(proba, labels, subset, what)

    def rows(self, labels: Sequence[str], proba: np.ndarray, top_k: int = 3, digits: Optional[int] = None,
             min_confidence: Optional[float] = None) -> list[dict]:
        """{label, probability, abstained, top_k} per row (the record shape; `digits` rounds). Below
        `min_confidence` the row abstains: label None, and probability and top_k still tell what
        the model thought. None or 0 never abstains."""
        threshold = check_probability(min_confidence) or 0.0
        out = []
        for order, probs in zip(*rank_top_k(proba, top_k)):
            top = [_score(labels, p, j, digits) for j, p in zip(order, probs)]
            abstained = bool(float(probs[0]) < threshold)
            out.append({"label": None if abstained else top[0]["label"], "probability": top[0]["probability"],
                        "abstained": abstained, "top_k": top})
        return out

    def selective(self, known: list[dict], min_confidence: Optional[float], figures: Callable) -> Optional[dict]:
        """The risk–coverage and calibration figures of evaluation records (`figures`, from
        `runs.calibration`): the top probability is a confidence."""
        return figures(known, min_confidence)

    def dev_figures(self, model, dev: Sequence, evaluate: Callable, cross_fitted: Callable) -> dict:
        """The figures `khabar tune` scores a trial by on dev: the evaluation (`evaluate`) as it is."""
        return evaluate(model, dev)

    def result_notes(self, labels: Sequence[str]) -> dict:
        """What an evaluation result records of the scheme's decision rule (nothing here)."""
        return {}

    def explained_fields(self, labels: Sequence[str], proba: np.ndarray, chosen: Sequence[int]) -> dict:
        """What an explanation record adds to the explanation's own label and probability (nothing here)."""
        return {}

    def abstain_at(self, record: dict, min_confidence: Optional[float]) -> None:
        """Mark an evaluation record abstained (or not) at a threshold, from its own probability."""
        record["abstained"] = bool(record["probability"] < (min_confidence or 0.0))
        record["label"] = None if record["abstained"] else record["predicted"]

    # -- gold and figures -------------------------------------------------------------------
    def gold(self, example, label_map: dict) -> Any:
        return label_map.get(example.label, example.label)

    def original(self, example) -> Any:
        return example.label

    def known(self, gold, labels: Sequence[str]) -> bool:
        return gold in labels

    def holds(self, record: dict) -> bool:
        """Whether an evaluation record (a run's predictions.jsonl line) is of this scheme."""
        return not isinstance(record.get("gold"), (list, tuple))

    def encode(self, gold: Sequence, labels: Sequence[str]):
        return list(gold)

    def figures(self, gold: Sequence, predicted: Sequence, labels: Sequence[str]) -> dict:
        """Every figure of decisions `predicted` against `gold` over the model's `labels`."""
        labels = list(labels)
        names = [m.name for m in M.metrics_for(self.name, headline=None)]
        if not gold:
            return {"scheme": self.name, "n": 0, **{k: None for k in names}, "per_class": {}, "labels": labels,
                    **self.empty_extra()}
        y_true, y_pred = self.encode(gold, labels), self.encode(predicted, labels)
        return {"scheme": self.name, "n": len(gold), **M.compute(self.name, y_true, y_pred, labels),
                "per_class": per_class(y_true, y_pred, labels, self.columns(labels)), "labels": labels,
                **self.extra_figures(y_true, y_pred, labels)}

    def columns(self, labels: Sequence[str]) -> Optional[list]:
        return list(labels)

    def empty_extra(self) -> dict:
        return {"confusion": []}

    def extra_figures(self, y_true, y_pred, labels: Sequence[str]) -> dict:
        return {"confusion": confusion_matrix(y_true, y_pred, labels=list(labels)).tolist()}

    def unknown(self, records: list[dict], labels: Sequence[str]) -> dict:
        """Gold labels the model does not know: per label, how many and what they were predicted as."""
        return {
            label: {"n": n, "predicted_as": dict(Counter(p["predicted"] for p in records if p["gold"] == label).most_common())}
            for label, n in Counter(p["gold"] for p in records).most_common()
        }

    def wrong(self, record: dict) -> bool:
        return record["gold"] != record["predicted"]


class LabelSet(OneLabel):
    """A set of labels per article, a threshold per label (see the module docstring)."""

    name = M.LABEL_SET
    multi_label = True
    problem_type = "multi_label_classification"
    describe = "multi-label"
    title = " multi-label"
    qualifier = " (multi-label)"
    fields = ("label", "probability", "abstained", "labels", "top_k")
    cells = LABEL_SET_CELLS

    def __init__(self, allow_no_label: bool = False, thresholds: Optional[np.ndarray] = None,
                 note: Optional[dict] = None):
        super().__init__(None)
        self.allow_no_label = allow_no_label
        self.thresholds = thresholds  # one per label, in the model's label order; set by `fit_thresholds`
        self.note = note  # the manifest's `multi_label` note: thresholds by label, allow_no_label, chosen_on

    @classmethod
    def from_note(cls, note: dict, labels: Sequence[str]) -> "LabelSet":
        return cls(note["allow_no_label"], np.array([note["thresholds"][lab] for lab in labels], dtype=np.float64),
                   dict(note))

    def manifest_section(self) -> dict:
        return {MULTI_LABEL: dict(self.note)} if self.note else {}

    # -- training ---------------------------------------------------------------------------
    def start(self, labels: Sequence[str], gold: Sequence[Sequence[str]]) -> None:
        counts = Counter(label for row in gold for label in row)
        missing = [lab for lab in labels if not counts[lab]]
        if missing:
            raise KhabarError(f"labels {missing} have no training example; add examples or remove them from data.labels")
        everywhere = [lab for lab in labels if counts[lab] == len(gold)]
        if everywhere:
            raise KhabarError(f"label {everywhere[0]!r} is on every training article: a label that is never absent "
                              "cannot be learned; remove it (from data.label_columns or the label lists)")
        self.thresholds = np.full(len(labels), DEFAULT_THRESHOLD)
        self.note = None

    def targets(self, examples: Sequence, labels: Sequence[str]) -> np.ndarray:
        """One 0/1 row per example, floats for binary cross-entropy."""
        return multi_hot([ex.gold for ex in examples], labels).astype(np.float32)

    def decision_targets(self, chosen, n_labels: int) -> np.ndarray:
        return multi_hot(chosen, range(n_labels))

    def activation(self, scores: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return expit(scores)

    def class_weights_name(self) -> str:
        return "BCE pos_weight"

    explained_quantity = "logit"

    def explained_scores(self, logits):
        """Each label's own logit: its sigmoid is its probability, independent of the others."""
        return logits

    def loss(self, logits, labels, weight=None):
        """Binary cross-entropy of each label's sigmoid, `weight` its `pos_weight`."""
        import torch

        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits.float(), labels.float().view(logits.shape), pos_weight=weight)

    def fit_thresholds(self, labels: Sequence[str], held_out: Callable, gold: Callable, where: str,
                       say: Callable[[str], None]) -> None:
        """Per-label thresholds from held-out probabilities `held_out()` against the 0/1 matrix
        `gold()` (`where`: which data, for the manifest; see `thresholds.choose_thresholds`).
        `held_out()` None: no held-out data, `DEFAULT_THRESHOLD` for every label."""
        proba = held_out()
        if proba is None:
            self.thresholds, uninformed = np.full(len(labels), DEFAULT_THRESHOLD), list(range(len(labels)))
            say(f"{where}: no held-out data to choose label thresholds on; {DEFAULT_THRESHOLD} for every label")
            where = f"none ({where}), {DEFAULT_THRESHOLD} for every label"
        else:
            self.thresholds, uninformed = choose_thresholds(proba, gold(), floor=not self.allow_no_label)
        note = {"thresholds": {lab: round(float(t), 6) for lab, t in zip(labels, self.thresholds)},
                "allow_no_label": self.allow_no_label, "chosen_on": where}
        if uninformed:
            note["default_for"] = [labels[j] for j in uninformed]
            if proba is not None:
                say(f"no positive example of {', '.join(note['default_for'])} in the {where}: threshold "
                    f"{DEFAULT_THRESHOLD} for them")
        self.note = note

    # -- decisions --------------------------------------------------------------------------
    def decide(self, proba: np.ndarray) -> list[list[int]]:
        """Every label at or above its threshold, most probable first (at least the top one unless
        `allow_no_label`)."""
        return labels_above(np.asarray(proba), self.thresholds, self.allow_no_label)

    def uncertainty(self, proba: np.ndarray) -> np.ndarray:
        """1 - the smallest distance of a label's probability to its threshold: the decision
        closest to going the other way."""
        proba = np.asarray(proba, dtype=np.float64)
        if not len(proba):
            return np.zeros(0)
        return 1.0 - np.abs(proba - np.asarray(self.thresholds)[None, :]).min(axis=1)

    def predicted(self, labels: Sequence[str], chosen: Sequence[int]):
        return [labels[j] for j in chosen]

    @property
    def min_confidence(self) -> Optional[float]:
        return None

    def check_request(self, min_confidence: Optional[float], subset: Optional[Sequence[str]],
                      names: tuple[str, str] = ("--min-confidence", "--labels")) -> None:
        """Its labels are decided one by one against their own thresholds and its probabilities do
        not add up to 1: an abstain threshold on the top probability or a renormalized subset is refused."""
        if min_confidence is not None:
            raise KhabarError(f"{names[0]}: a multi-label model decides each label with its own threshold chosen on "
                              f"dev (its khabar.json multi_label.thresholds), not by the top probability; drop {names[0]}")
        if subset is not None:
            raise KhabarError(f"{names[1]}: a multi-label model decides each label on its own, so there is no subset "
                              f"to renormalize over; drop {names[1]} and read the labels you need from the answer")

    def restrict(self, proba, labels, subset, what="--labels"):
        self.check_request(None, subset, ("--min-confidence", what))
        return np.asarray(proba, dtype=np.float64), list(labels)

    def rows(self, labels: Sequence[str], proba: np.ndarray, top_k: int = 3, digits: Optional[int] = None,
             min_confidence: Optional[float] = None) -> list[dict]:
        """{label, probability, abstained, labels: [{label, probability}, ...], top_k} per row:
        `labels` every decided label, most probable first; `label`/`probability` its first, None
        when it is empty, and then `abstained` is true (as a one-label record's is when it gives
        no label), so every record says `abstained` whatever the scheme."""
        proba = np.asarray(proba, dtype=np.float64)
        out = []
        for row, (order, picked) in enumerate(zip(rank_top_k(proba, top_k)[0], self.decide(proba))):
            decided = [_score(labels, proba[row, j], j, digits) for j in picked]
            out.append({"label": decided[0]["label"] if decided else None,
                        "probability": decided[0]["probability"] if decided else None,
                        "abstained": not decided, "labels": decided, "top_k": [_score(labels, proba[row, j], j, digits) for j in order]})
        return out

    def selective(self, known, min_confidence, figures) -> Optional[dict]:
        """No single top prediction to calibrate or abstain on."""
        return None

    def dev_figures(self, model, dev, evaluate, cross_fitted) -> dict:
        """The thresholds were chosen on this dev split: scored cross-fitted (`cross_fitted`), not in-sample."""
        return cross_fitted(model, dev)

    def result_notes(self, labels: Sequence[str]) -> dict:
        return {"thresholds": {lab: float(t) for lab, t in zip(labels, self.thresholds)}}

    def explained_fields(self, labels, proba, chosen) -> dict:
        """Every decided label with its probability, and the first of them as `label`/`probability`
        (None when there is none; the explanation then covers the most probable label)."""
        decided = [_score(labels, proba[j], j, None) for j in chosen]
        first = decided[0] if decided else {"label": None, "probability": None}
        return {**first, "labels": decided}

    def abstain_at(self, record: dict, min_confidence: Optional[float]) -> None:
        """A label set never abstains on the top probability."""

    # -- gold and figures -------------------------------------------------------------------
    def gold(self, example, label_map: dict) -> Any:
        return [label_map.get(lab, lab) for lab in example.gold]

    def original(self, example) -> Any:
        return list(example.gold)

    def known(self, gold, labels: Sequence[str]) -> bool:
        return bool(gold) and all(lab in labels for lab in gold)

    def holds(self, record: dict) -> bool:
        return isinstance(record.get("gold"), (list, tuple))

    def encode(self, gold: Sequence, labels: Sequence[str]):
        return multi_hot(gold, labels)

    def figures(self, gold, predicted, labels) -> dict:
        return {**super().figures(gold, predicted, labels), "multi_label": True}

    def columns(self, labels):
        return None

    def empty_extra(self) -> dict:
        return {"label_confusion": {}}

    def extra_figures(self, y_true, y_pred, labels) -> dict:
        confusion = multilabel_confusion_matrix(y_true, y_pred)  # per label [[tn, fp], [fn, tp]]
        return {
            "label_confusion": {lab: {"tp": int(m[1, 1]), "fp": int(m[0, 1]), "fn": int(m[1, 0]), "tn": int(m[0, 0])}
                                for lab, m in zip(labels, confusion)},
            "cardinality": {"gold": float(y_true.sum(axis=1).mean()), "predicted": float(y_pred.sum(axis=1).mean())},
            "two_plus": two_plus_recall(y_true, y_pred),
        }

    def unknown(self, records: list[dict], labels: Sequence[str]) -> dict:
        """Per gold label the model does not know, how many articles carry it and which labels the
        model gave those articles instead."""
        names = set(labels)
        counts = Counter(lab for p in records for lab in p["gold"] if lab not in names)
        return {
            label: {"n": n, "predicted_as": dict(Counter(lab for p in records if label in p["gold"]
                                                         for lab in p["predicted"]).most_common())}
            for label, n in counts.most_common()
        }

    def wrong(self, record: dict) -> bool:
        return set(record["gold"]) != set(record["predicted"])


def record_targets(record: dict) -> list[str]:
    """The labels a prediction record gives (a label set's decided labels), or its top-ranked one
    when it gives none or has no set: what an explanation of the record covers."""
    return [d["label"] for d in record.get("labels") or record["top_k"][:1]]


def two_plus_recall(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """The articles with 2+ gold labels: how many, the share that get every one of them
    (`all_labels`), and the share of their gold labels found (`label_recall`)."""
    rows = y_true.sum(axis=1) >= 2
    n = int(rows.sum())
    if not n:
        return {"n": 0, "all_labels": None, "label_recall": None}
    gold, found = y_true[rows].astype(bool), y_pred[rows].astype(bool)
    return {"n": n, "all_labels": float(np.mean(np.all(found | ~gold, axis=1))),
            "label_recall": float((gold & found).sum() / gold.sum())}


#: every scheme, by name
SCHEMES = (OneLabel, LabelSet)


def scheme_for(multi_label: bool, allow_no_label: bool = False) -> OneLabel:
    """The scheme a config asks for (`multi_label`, `predict.allow_no_label`): chosen once, here."""
    return LabelSet(allow_no_label) if multi_label else OneLabel()


def scheme_of_records(records: Sequence[dict]) -> OneLabel:
    """The scheme whose evaluation records these are (a run's predictions.jsonl, read back)."""
    return next((cls() for cls in reversed(SCHEMES) if records and cls().holds(records[0])), OneLabel())


def scheme_of_result(result: dict) -> OneLabel:
    """The scheme of an evaluation result (its `scheme` key; results of older code: `multi_label`)."""
    name = result.get("scheme") or (M.LABEL_SET if result.get("multi_label") else M.ONE_LABEL)
    return next(cls() for cls in SCHEMES if cls.name == name)
