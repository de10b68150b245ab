"""Label new articles with a trained model (any kind), from any input form.

The model directory carries its own normalization, so this module never normalizes: it loads the
model, reads inputs under the one input rule (`examples.model_input`), calls `predict_proba` in
batches, ranks the labels (`rank_top_k`, the one ranking of every output: CLI, HTTP, Ray and
evaluation) and shapes records (id, label, probability, top-k).
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Iterable, Sequence

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


def predict_examples(model: Model, examples: Sequence[Example], top_k: int = 3, batch_size: int = 64) -> list[dict]:
    """Records with the id, the label, its probability and the top-k labels."""
    if top_k < 1:
        raise KhabarError(f"--top-k {top_k}: must be at least 1")
    if batch_size < 1:
        raise KhabarError(f"--batch-size {batch_size}: must be at least 1")
    records = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start:start + batch_size]
        proba = model.predict_proba([ex.inputs for ex in batch])
        records.extend(records_from_proba(model.labels_, [ex.id for ex in batch], proba, top_k))
    return records


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


def ranked(labels: Sequence[str], proba: np.ndarray, top_k: int = 3, digits: int | None = None) -> list[dict]:
    """{label, probability, top_k: [{label, probability}, ...]} per row, best first: the prediction
    shape every output shares (`digits` rounds the probabilities)."""
    out = []
    for order, probs in zip(*rank_top_k(proba, top_k)):
        values = [float(p) if digits is None else round(float(p), digits) for p in probs]
        top = [{"label": labels[i], "probability": p} for i, p in zip(order, values)]
        out.append({"label": top[0]["label"], "probability": top[0]["probability"], "top_k": top})
    return out


def records_from_proba(labels: Sequence[str], ids: Sequence[str], proba: np.ndarray, top_k: int = 3) -> list[dict]:
    """`ranked` rows with their ids first, probabilities to 6 digits: what `khabar predict` writes."""
    return [{"id": identifier, **row} for identifier, row in zip(ids, ranked(labels, proba, top_k, digits=6))]


def write_records(records: Iterable[dict], fmt: str, stream: IO[str] | None = None) -> None:
    """JSON-lines (default) or CSV with id, label, probability and top-k as `label:p;...`."""
    stream = stream or sys.stdout
    if fmt == "jsonl":
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(stream)
    writer.writerow(["id", "label", "probability", "top_k"])
    for record in records:
        top = ";".join(f"{t['label']}:{t['probability']:.4f}" for t in record["top_k"])
        writer.writerow([record["id"], record["label"], f"{record['probability']:.6f}", top])
