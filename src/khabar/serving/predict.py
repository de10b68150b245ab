"""Label new articles with a trained model (any kind), from any input form.

The model directory carries its own normalization, so this module never normalizes: it loads the
model, reads inputs under the one input rule (`examples.model_input`), calls `predict_proba` in
batches, ranks the labels (`rank_top_k`, the one ranking of every output: CLI, HTTP, Ray and
evaluation) and shapes records (id, label, probability, abstained, top-k).

A multi-label model's records have no `abstained`: each carries `labels`, every label the model
decides (`Model.decide`, the one rule: each label at or above its own threshold, chosen on dev),
with its probability, most probable first; `label`/`probability` are the first of them (null
when the model allows no label and none passes). Its probabilities are independent per label,
so neither abstaining on the top probability nor renormalizing over a subset means anything for
it: `check_multi_label_request` refuses both.

Two ways to trust a prediction less, shared by every output: `restrict_proba` keeps only the
labels that apply to a source (renormalized over them), and `min_confidence` makes a prediction
abstain (label None) when its top probability is below it; `stored_threshold` is the threshold a
model carries from training (chosen on dev, see `runs.calibration`), the default everywhere.
"""

from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

from ..data.files import decode_lines
from ..errors import KhabarError
from ..examples import Example, model_input, needs_pair
from ..models.base import Model, load_model


def load_for_prediction(path: str, device: str = "auto") -> Model:
    """A model from a run directory or a model directory, placed on `device`."""
    model = load_model(path)
    model.set_device(device)
    return model


def examples_from_strings(task: str, text: str, pair: str | None) -> list[Example]:
    """`--text` (and `--pair` for stance: text is the claim, pair the article)."""
    where = "--text/--pair" if needs_pair(task) else "--text"
    if needs_pair(task) and pair is None:
        where += " (give the claim with --text and the article or headline with --pair)"
    model_input(task, text, pair, where)
    return [Example(id="text-1", text=text, text_pair=pair)]


def examples_from_stream(task: str, stream, name: str = "<stdin>") -> list[Example]:
    """Standard input: one article per non-empty line (stance: claim<TAB>text per line).

    The stream is read as bytes (a text stream's `.buffer`) and decoded strictly, whatever the
    locale: under a C locale Python would let undecodable bytes through as surrogates.
    """
    raw = getattr(stream, "buffer", stream).read()
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise KhabarError(f"{name}: not valid UTF-8; re-encode the input as UTF-8") from None
    examples = []
    for number, line in enumerate(decode_lines(raw, name), 1):
        if not line.strip():
            continue
        if needs_pair(task):
            claim, tab, text = line.partition("\t")
            if not tab or not claim.strip() or not text.strip():
                raise KhabarError(f"{name}: line {number}: a stance model needs 'claim<TAB>text' on each line")
            model_input(task, claim, text, f"{name}: line {number}")
            examples.append(Example(id=f"line-{number}", text=claim, text_pair=text))
        else:
            model_input(task, line, None, f"{name}: line {number}")
            examples.append(Example(id=f"line-{number}", text=line))
    if not examples:
        raise KhabarError(f"{name}: no text to label; pipe one article per line")
    return examples


def predict_examples(model: Model, examples: Sequence[Example], top_k: int = 3, batch_size: int = 64,
                     min_confidence: float | None = None, labels: Sequence[str] | None = None) -> list[dict]:
    """Records with the id, the label (None when abstaining below `min_confidence`), its
    probability, whether it abstained and the top-k labels; `labels` restricts the prediction to
    that subset of the model's labels (see `restrict_proba`). `min_confidence` is used as given:
    callers that want the model's stored threshold pass `resolve_min_confidence(model, flag)`."""
    if top_k < 1:
        raise KhabarError(f"--top-k {top_k}: must be at least 1")
    if batch_size < 1:
        raise KhabarError(f"--batch-size {batch_size}: must be at least 1")
    check_min_confidence(min_confidence, "--min-confidence")
    check_multi_label_request(model.multi_label, min_confidence, labels)
    check_labels(model.labels_, labels)  # a bad subset: refused before any work
    records = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start:start + batch_size]
        ids = [ex.id for ex in batch]
        if model.multi_label:
            proba = np.asarray(model.predict_proba([ex.inputs for ex in batch]), dtype=np.float64)
            records.extend(records_of_label_sets(model.labels_, ids, proba, model.decide(proba), top_k))
            continue
        proba, names = restrict_proba(model.predict_proba([ex.inputs for ex in batch]), model.labels_, labels)
        records.extend(records_from_proba(names, ids, proba, top_k, min_confidence))
    return records


def check_multi_label_request(multi_label: bool, min_confidence: float | None, labels: Sequence[str] | None,
                              names: tuple[str, str] = ("--min-confidence", "--labels")) -> None:
    """For a multi-label model (`multi_label`), one line refusing what it cannot honour: an
    abstain threshold on the top probability (`names[0]`) or a label subset renormalized
    (`names[1]`). Its labels are decided one by one against their own thresholds, and its
    probabilities do not add up to 1."""
    if not multi_label:
        return
    if min_confidence is not None:
        raise KhabarError(f"{names[0]}: a multi-label model decides each label with its own threshold chosen on dev "
                          f"(its khabar.json multi_label.thresholds), not by the top probability; drop {names[0]}")
    if labels is not None:
        raise KhabarError(f"{names[1]}: a multi-label model decides each label on its own, so there is no subset to "
                          f"renormalize over; drop {names[1]} and read the labels you need from the answer")


def predict_proba_in_batches(model: Model, inputs: list, batch_size: int = 256) -> np.ndarray:
    """`predict_proba` over `inputs` in slices of `batch_size`, one (n, labels) array."""
    parts = [model.predict_proba(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)]
    return np.vstack(parts) if parts else np.zeros((0, len(model.labels_)))


def rank_top_k(proba: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k most probable label indices of each row, best first, and their probabilities:
    two (rows, min(k, labels)) arrays. Ties keep label order (stable sort), so every output
    (records, Ray tables, the server) ranks the same way."""
    proba = np.asarray(proba, dtype=np.float64)
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(proba, order, axis=1)


def check_min_confidence(value: float | None, what: str = "min_confidence") -> float | None:
    """`value` when it is a probability (0 to 1) or None; else one line naming `what`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise KhabarError(f"{what} {value!r}: must be a probability from 0 to 1 (0 never abstains)")
    return float(value)


def stored_threshold(model: Model) -> float | None:
    """The abstain threshold the model carries (chosen at training time, `khabar.json`'s
    `abstain.min_confidence`), or None when it has none: the default of every output."""
    note = getattr(model, "extra_manifest_", {}).get("abstain")
    if not isinstance(note, dict):
        return None
    value = note.get("min_confidence")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        return None
    return float(value)


def resolve_min_confidence(model: Model, given: float | None) -> float | None:
    """What a prediction uses: the caller's value when given (0 switches abstaining off), else the
    model's stored threshold."""
    given = check_min_confidence(given, "--min-confidence")
    return stored_threshold(model) if given is None else given


def parse_labels(text: str | None, what: str = "--labels") -> list[str] | None:
    """`A,B,C` -> ["A", "B", "C"] (None for None); blanks and repeats dropped."""
    if text is None:
        return None
    out = []
    for item in (part.strip() for part in text.split(",")):
        if item and item not in out:
            out.append(item)
    if not out:
        raise KhabarError(f"{what} {text!r}: expected label names separated by commas, e.g. {what} Sports,Finance")
    return out


def restrict_proba(proba: np.ndarray, labels: Sequence[str], subset: Sequence[str] | None,
                   what: str = "--labels") -> tuple[np.ndarray, list[str]]:
    """Keep only the columns of `subset` (in the model's label order) and renormalize each row
    over them: the prediction among the labels that apply. `subset` None: unchanged.

    A label the model does not know is one `KhabarError` line naming it and the model's labels.
    """
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


def check_labels(labels: Sequence[str], subset: Sequence[str] | None, what: str = "--labels") -> list[str] | None:
    """The labels `restrict_proba` would keep (model order), refusing a bad subset in one line
    before any work; None for None."""
    if subset is None:
        return None
    return restrict_proba(np.zeros((0, len(labels))), labels, subset, what)[1]


def ranked(labels: Sequence[str], proba: np.ndarray, top_k: int = 3, digits: int | None = None,
           min_confidence: float | None = None) -> list[dict]:
    """{label, probability, abstained, top_k: [{label, probability}, ...]} per row, best first: the
    prediction shape every output shares (`digits` rounds the probabilities).

    Below `min_confidence` (the top probability < it) the row abstains: label None, abstained
    true; probability and top_k still tell what the model thought. None or 0 never abstains.
    """
    threshold = check_min_confidence(min_confidence) or 0.0
    out = []
    for order, probs in zip(*rank_top_k(proba, top_k)):
        values = [float(p) if digits is None else round(float(p), digits) for p in probs]
        top = [{"label": labels[i], "probability": p} for i, p in zip(order, values)]
        abstained = bool(float(probs[0]) < threshold)
        out.append({"label": None if abstained else top[0]["label"], "probability": top[0]["probability"],
                    "abstained": abstained, "top_k": top})
    return out


def records_from_proba(labels: Sequence[str], ids: Sequence[str], proba: np.ndarray, top_k: int = 3,
                       min_confidence: float | None = None) -> list[dict]:
    """`ranked` rows with their ids first, probabilities to 6 digits: what `khabar predict` writes."""
    rows = ranked(labels, proba, top_k, digits=6, min_confidence=min_confidence)
    return [{"id": identifier, **row} for identifier, row in zip(ids, rows)]


def label_sets(labels: Sequence[str], proba: np.ndarray, chosen: Sequence[Sequence[int]], top_k: int = 3,
               digits: int | None = None) -> list[dict]:
    """{label, probability, labels: [{label, probability}, ...], top_k} per row: a multi-label
    model's prediction shape. `chosen` is `Model.decide(proba)` (label indices, most probable
    first); `label`/`probability` are its first, None when it is empty (a model that allows no
    label); `top_k` ranks all labels as `ranked` does. `digits` rounds the probabilities."""
    proba = np.asarray(proba, dtype=np.float64)

    def score(row: int, j: int) -> dict:
        p = float(proba[row, j])
        return {"label": labels[j], "probability": p if digits is None else round(p, digits)}

    out = []
    for row, (order, picked) in enumerate(zip(rank_top_k(proba, top_k)[0], chosen)):
        decided = [score(row, j) for j in picked]
        out.append({"label": decided[0]["label"] if decided else None,
                    "probability": decided[0]["probability"] if decided else None,
                    "labels": decided, "top_k": [score(row, j) for j in order]})
    return out


def records_of_label_sets(labels: Sequence[str], ids: Sequence[str], proba: np.ndarray,
                          chosen: Sequence[Sequence[int]], top_k: int = 3) -> list[dict]:
    """`label_sets` rows with their ids first, probabilities to 6 digits: a multi-label model's records."""
    rows = label_sets(labels, proba, chosen, top_k, digits=6)
    return [{"id": identifier, **row} for identifier, row in zip(ids, rows)]
