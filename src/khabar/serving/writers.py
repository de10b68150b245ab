"""The registry of output formats: each declares its name, its file extensions, which records it
writes (predictions or explanations) and how. Everything else derives from `WRITERS`: the
`--format` choices and help of `khabar predict` and `khabar explain`, and the format an
`--output` file's extension selects. It is the output side of `khabar.data.formats`.

Adding a format is one `register(Writer(...))` call below.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import sys
from dataclasses import dataclass
from typing import IO, Callable, Iterable, Optional, Sequence

from ..errors import KhabarError

#: the records a writer may take: `predict_examples` rows, `explain_examples` rows
RECORD_KINDS = ("prediction", "explanation")


@dataclass(frozen=True)
class Writer:
    """One output format. `write(records, stream, inputs)` writes every record to the text stream;
    `inputs` are the articles the records are about, in order (`Example.inputs`), for formats that
    quote them, else None. `kinds` are the records it accepts (see `RECORD_KINDS`)."""

    name: str
    extensions: tuple[str, ...]
    kinds: tuple[str, ...]
    write: Callable[[Iterable[dict], IO[str], Optional[Sequence]], None]
    summary: str


WRITERS: dict[str, Writer] = {}


def register(writer: Writer) -> Writer:
    WRITERS[writer.name] = writer
    return writer


def writer_names(kind: str) -> list[str]:
    """The formats that write `kind` records, the default first."""
    return [w.name for w in WRITERS.values() if kind in w.kinds]


def writers_help(kind: str) -> str:
    """`jsonl (.jsonl, default): ...; csv (.csv): ...` for `--help`."""
    parts = []
    for i, name in enumerate(writer_names(kind)):
        writer = WRITERS[name]
        tags = ", ".join([*writer.extensions, *(["default"] if i == 0 else [])])
        parts.append(f"{name} ({tags}): {writer.summary}")
    return "; ".join(parts)


def choose_writer(kind: str, name: str | None = None, output: str | None = None) -> Writer:
    """The writer named by `--format`, else the one whose extension `output` has, else the default
    (the first registered for `kind`)."""
    names = writer_names(kind)
    if name is not None:
        if name not in names:
            raise KhabarError(f"--format {name}: not a format for {kind}s; use one of {', '.join(names)}")
        return WRITERS[name]
    ext = os.path.splitext(output or "")[1].lower()
    return next((WRITERS[n] for n in names if ext and ext in WRITERS[n].extensions), WRITERS[names[0]])


def write_records(records: Iterable[dict], fmt: str, stream: IO[str] | None = None,
                  inputs: Sequence | None = None) -> None:
    """Write `records` in the registered format `fmt` to `stream` (standard output by default)."""
    if fmt not in WRITERS:
        raise KhabarError(f"--format {fmt}: unknown; use one of {', '.join(WRITERS)}")
    WRITERS[fmt].write(records, stream or sys.stdout, inputs)


def _write_jsonl(records: Iterable[dict], stream: IO[str], inputs=None) -> None:
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_csv(records: Iterable[dict], stream: IO[str], inputs=None) -> None:
    """id, label (empty when abstaining), probability, abstained (true/false) and top-k as
    `label:p;...`. Multi-label records (with `labels`) go to `_write_label_set_csv`."""
    records = iter(records)
    first = next(records, None)
    if first is not None and "labels" in first:
        _write_label_set_csv(itertools.chain([first], records), stream)
        return
    writer = csv.writer(stream)
    writer.writerow(["id", "label", "probability", "abstained", "top_k"])
    for record in itertools.chain([] if first is None else [first], records):
        top = ";".join(f"{t['label']}:{t['probability']:.4f}" for t in record["top_k"])
        abstained = bool(record.get("abstained"))
        writer.writerow([record["id"], "" if record["label"] is None else record["label"],
                         f"{record['probability']:.6f}", "true" if abstained else "false", top])


def _write_label_set_csv(records: Iterable[dict], stream: IO[str]) -> None:
    """Multi-label records as CSV: id, label and probability (the first decided label, empty when
    none), labels and probabilities (every decided label and its probability, joined by "|") and
    top_k."""
    writer = csv.writer(stream)
    writer.writerow(["id", "label", "probability", "labels", "probabilities", "top_k"])
    for record in records:
        top = ";".join(f"{t['label']}:{t['probability']:.4f}" for t in record["top_k"])
        first = "" if record["probability"] is None else f"{record['probability']:.6f}"
        writer.writerow([record["id"], "" if record["label"] is None else record["label"], first,
                         "|".join(d["label"] for d in record["labels"]),
                         "|".join(f"{d['probability']:.6f}" for d in record["labels"]), top])


def _write_explanation_text(records: Iterable[dict], stream: IO[str], inputs: Sequence | None) -> None:
    from .explain import explanation_text

    if inputs is None:
        raise KhabarError("--format text: needs the articles the explanations are about")
    for record, given in zip(records, inputs):
        stream.write(explanation_text(record, given) + "\n")


register(Writer("jsonl", (".jsonl",), RECORD_KINDS, _write_jsonl, "one JSON object per line"))
register(Writer("csv", (".csv",), ("prediction",), _write_csv,
                "id, label, probability, abstained, top_k (multi-label: labels, probabilities)"))
register(Writer("text", (".txt",), ("explanation",), _write_explanation_text,
                "the words for and against each label, as written"))
