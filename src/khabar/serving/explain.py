"""Explanations as every output shows them: records for `khabar explain`, and the HTTP shape.

The model does the explaining (`Model.explain`, any kind that supports it); this module only
batches, rounds and lays the result out. The shape (one record per input):

    {"id": "line-1", "label": "Sports", "probability": 0.93, "method": "...",
     "explained": [{"label": "Sports", "probability": 0.93, "score": 1.2, "base": -0.7,
                    "toward": [{"word": "المباراة", "part": "text", "weight": 0.41,
                                "spans": [{"start": 12, "end": 20}]}, ...],
                    "against": [...], "signals": [...], "unassigned": 0.0}, ...]}

`spans` are character offsets (Unicode code points, as Python counts them) into the original
input part, before normalization: `text[start:end]` is the word as written.

A multi-label model's record explains every label it decides (`Model.labels_to_explain`) and says which
they are: `labels` (each with its probability, most probable first) and `label`/`probability`,
the first of them (null when the model allows no label and none passes; the most probable label
is then explained, to show what the model saw).
"""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np

from ..errors import KhabarError
from ..log import progress_bar
from ..examples import Example
from ..models.base import EXPLAIN_TOP, Model
from ..models.evidence import aligned_words

#: digits of the weights and scores in records and HTTP answers
DIGITS = 6
#: explained inputs per model call
BATCH = 32


def explain_examples(model: Model, examples: Sequence[Example], top: int = EXPLAIN_TOP,
                     runner_up: bool = False) -> list[dict]:
    """One record per example: its id, then the model's explanation (see the module docstring),
    numbers rounded to `DIGITS` digits. A model whose kind gives no explanation is one line."""
    if not model.explains:
        model.explain([], top)  # the kind's own one-line refusal
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise KhabarError(f"--top {top}: list at least 1 word on each side")
    records = []
    starts = range(0, len(examples), BATCH)
    for start in progress_bar(starts, len(starts), "explaining", "batch"):
        batch = examples[start:start + BATCH]
        inputs = [ex.inputs for ex in batch]
        proba = np.asarray(model.predict_proba(inputs), dtype=np.float64)
        targets = [[model.labels_[j] for j in row] for row in model.labels_to_explain(proba, runner_up)]
        found = model.explain(inputs, top=top, targets=targets)
        for ex, row, picked, explanation in zip(batch, proba, model.decide(proba), found):
            records.append(rounded({"id": ex.id, **explanation, **model.scheme.explained_fields(model.labels_, row, picked)}))
    return records


def explain_inputs(model: Model, inputs: Sequence, targets: Sequence[Sequence[str]],
                   top: int = EXPLAIN_TOP) -> list[dict]:
    """What `POST /predict` with `"explain": true` adds to each prediction: the explanation of
    `targets`, one list of labels per input (the label it ranks first, which may differ from the
    model's own top label when the labels are restricted; every label a multi-label model
    decides, `scheme.record_targets`), rounded."""
    return [rounded(found) for found in model.explain(list(inputs), top=top, targets=[list(t) for t in targets])]


def rounded(value, digits: int = DIGITS):
    """`value` with every float rounded to `digits` digits (ints, strings and None unchanged)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def explanation_text(record: dict, inputs) -> str:
    """A record as lines for a person: the label, then per explained label the words for and
    against it with their weights, each word as written in the input."""
    parts = {"claim": inputs[0], "text": inputs[1]} if isinstance(inputs, tuple) else {"text": inputs}
    if "labels" in record:  # multi-label: every label it decides
        decided = ", ".join(f"{d['label']} {d['probability']:.3f}" for d in record["labels"]) or "(no label)"
        lines = [f"{record.get('id', '')}\t{decided}".lstrip("\t")]
    else:
        lines = [f"{record.get('id', '')}\t{record['label']}\t{record['probability']:.3f}".lstrip("\t")]

    def shown(word: dict) -> str:
        source = parts.get(word["part"], "")
        written = source[word["spans"][0]["start"]:word["spans"][0]["end"]] if word["spans"] else word["word"]
        where = f"{word['part']}: " if len(parts) > 1 else ""
        return f"{where}{written} {word['weight']:+.3f}"

    for entry in record["explained"]:
        lines.append(f"  {entry['label']} (p={entry['probability']:.3f}, score {entry['score']:+.3f}, "
                     f"base {entry['base']:+.3f})")
        lines.append("    for:     " + ", ".join(shown(w) for w in entry["toward"]))
        lines.append("    against: " + ", ".join(shown(w) for w in entry["against"]))
        for signal in entry.get("signals", [])[:5]:
            lines.append(f"    signal:  {signal['name']} = {signal['value']} {signal['weight']:+.3f}")
        if entry.get("sentence"):  # a claim-article model: the article sentence that carried the label
            at = entry["sentence"]
            lines.append(f"    sentence [{at['start']}:{at['end']}] {at['weight']:+.3f}: {parts['text'][at['start']:at['end']].strip()}")
    return "\n".join(lines)


# -- are the explanations faithful? -------------------------------------------------------------------
def delete_spans(text: str, spans) -> str:
    """`text` without the characters of `spans` ((start, end) pairs; overlaps allowed)."""
    keep = np.ones(len(text), dtype=bool)
    for start, end in spans:
        keep[start:end] = False
    return "".join(char for char, kept in zip(text, keep) if kept)


def deletion_check(model: Model, inputs: Sequence, k: int = 5, draws: int = 5, seed: int = 0) -> dict:
    """How much the predicted label's probability drops when its top-`k` evidence words (toward
    it) are deleted from the original input, against deleting as many random words of the input
    (`draws` draws per input, `random.Random(seed)`). A word is deleted with all its
    occurrences, in both cases. Inputs that the deletion leaves with nothing to read are skipped.

    Returns {"k", "inputs" (used), "evidence_drop", "random_drop"}: mean drops over the inputs."""
    inputs = list(inputs)
    found = model.explain(inputs, top=k)
    rng = random.Random(seed)
    norm = model.normalize.build()
    index = {label: i for i, label in enumerate(model.labels_)}
    evidence_drops, random_drops = [], []
    for item, explanation in zip(inputs, found):
        parts = {"claim": item[0], "text": item[1]} if isinstance(item, tuple) else {"text": item}
        label = index[explanation["label"]]
        before = explanation["probability"]
        evidence = [((w["part"]), [(s["start"], s["end"]) for s in w["spans"]])
                    for w in explanation["explained"][0]["toward"][:k] if w["spans"]]
        pool: dict = {}
        for part, text in parts.items():
            for word, _, _, span in aligned_words(text, norm):
                if span is not None:
                    pool.setdefault((part, word), []).append(span)
        keys = sorted(pool)

        def without(chosen, parts=parts) -> object:
            cut = {part: [] for part in parts}
            for part, spans in chosen:
                cut[part].extend(spans)
            left = {part: delete_spans(text, cut[part]) for part, text in parts.items()}
            return (left["claim"], left["text"]) if len(parts) == 2 else left["text"]

        try:
            after = [without(evidence)] + [without([(key[0], pool[key]) for key in
                                                    rng.sample(keys, min(len(evidence), len(keys)))])
                                           for _ in range(draws)]
            proba = model.predict_proba(after)[:, label]
        except KhabarError:  # nothing left to read
            continue
        evidence_drops.append(before - proba[0])
        random_drops.append(before - float(np.mean(proba[1:])))
    return {"k": k, "inputs": len(evidence_drops), "evidence_drop": float(np.mean(evidence_drops)) if evidence_drops else 0.0,
            "random_drop": float(np.mean(random_drops)) if random_drops else 0.0}
