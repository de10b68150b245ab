"""Labeled examples read in chunks, for corpora larger than memory.

Why apart from `load`: `load_examples` reads every row into memory (through `datasets`), which
is what most kinds want and what a corpus of millions of articles cannot afford. Here a file is
read a batch of rows at a time (JSON lines line by line, Parquet a row group batch at a time, CSV
and TSV row by row, a Hub dataset with `streaming=True`), each batch goes through the same row
checks as everywhere else (`rows.rows_to_examples`, naming the file and the 1-based row), and
only the batch is in memory.

`stream_splits` gives the `Splits` a streaming kind (`Kind.streams`) fits on: the train split is
a `StreamedSplit`, which reads the files again on every pass, and dev and test are small lists
kept in memory. The split of each row must be in the data (a split column, or files named
train/dev/test): a seeded stratified split needs every label count first.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Iterator, Optional

from ..errors import KhabarError
from ..examples import Example, Splits
from .files import json_line, open_file, reason
from .formats import detect_format, format_of, stem
from .rows import SPLIT_NAMES, rows_to_examples
from .spec import DataConfig

#: rows read and checked at a time
CHUNK_ROWS = 2048


def data_files(cfg: DataConfig, source: str) -> list[str]:
    """The files `data.path` names, a folder standing for the data files below it (sorted)."""
    files = []
    for path in cfg.path:
        if path.startswith("hf:"):
            files.append(path)
        elif os.path.isdir(path):
            found = sorted(str(p) for p in Path(path).rglob("*") if p.is_file() and format_of(str(p))
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise KhabarError(f"{path}: no data files in this folder; streaming reads .jsonl, .parquet, .csv or "
                                  ".tsv files (or a folder of them)")
            files += found
        elif not os.path.exists(path):
            raise KhabarError(f"{source}: data.path: {path}: no such file or folder")
        else:
            files.append(path)
    return files


def iter_examples(cfg: DataConfig, task: str, source: str, splits: Optional[set[str]] = None,
                  chunk_rows: int = CHUNK_ROWS) -> Iterator[list[Example]]:
    """Checked examples of every file in `data.path`, in lists of `chunk_rows` (the last may be
    shorter); only those whose split is in `splits` (None: every row)."""
    chunk: list[Example] = []
    for path in data_files(cfg, source):
        by_name = SPLIT_NAMES.get(stem(path).lower())
        for where, first_row, columns, data in _column_batches(path, cfg, chunk_rows):
            located = rows_to_examples(where, columns, data, cfg, task, True, stem(path), by_name, {},
                                       first_row=first_row)
            for ex, loc in located:
                if ex.split is None:
                    raise KhabarError(f"{loc}: no split; streaming needs each row's split in the data (a split "
                                      f"column, data.split_column, or files named train/dev/test)")
                if splits is None or ex.split in splits:
                    chunk.append(ex)
                    if len(chunk) == chunk_rows:
                        yield chunk
                        chunk = []
    if chunk:
        yield chunk


class StreamedSplit:
    """One split of a corpus, read from disk again on every pass: iterating gives `Example`s,
    `chunks()` lists of them. `len()` counts the rows once (one pass) and remembers it."""

    def __init__(self, cfg: DataConfig, task: str, source: str, split: str = "train"):
        self.cfg, self.task, self.source, self.split = cfg, task, source, split
        self._length: Optional[int] = None

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[list[Example]]:
        count = 0
        for chunk in iter_examples(self.cfg, self.task, self.source, {self.split}, rows):
            count += len(chunk)
            yield chunk
        self._length = count

    def __iter__(self) -> Iterator[Example]:
        for chunk in self.chunks():
            yield from chunk

    def __len__(self) -> int:
        if self._length is None:
            for _ in self.chunks():
                pass
        return self._length or 0

    def __bool__(self) -> bool:
        return True  # a streamed split is never tested for emptiness by reading it

    def __repr__(self) -> str:
        return f"StreamedSplit({', '.join(self.cfg.path)}, split={self.split})"


def stream_splits(cfg: DataConfig, task: str, source: str = "<config>") -> Splits:
    """Train as a `StreamedSplit`; dev and test read into memory in one pass."""
    if cfg.format not in ("auto", "jsonl", "parquet", "csv", "tsv", "hub"):
        raise KhabarError(f"{source}: data.format {cfg.format}: streaming reads jsonl, parquet, csv, tsv or a Hub dataset")
    held_out = Splits()
    for chunk in iter_examples(cfg, task, source, {"dev", "test"}):
        for ex in chunk:
            (held_out.dev if ex.split == "dev" else held_out.test).append(ex)
    train = StreamedSplit(cfg, task, source)
    if not len(train):
        raise KhabarError(f"{source}: data.path: no rows of the train split in {', '.join(cfg.path)}")
    return Splits(train=train, dev=held_out.dev, test=held_out.test)


# ---------------------------------------------------------------- readers, one batch of columns at a time

def _column_batches(path: str, cfg: DataConfig, rows: int):
    """(where, first row number, column names, {column: values}) for each batch of rows."""
    if path.startswith("hf:"):
        yield from _hub_batches(path[3:], cfg, rows)
        return
    fmt = detect_format(path) if cfg.format == "auto" else cfg.format
    reader = {"jsonl": _jsonl_rows, "csv": _delimited_rows, "tsv": _delimited_rows}.get(fmt)
    if fmt == "parquet":
        yield from _parquet_batches(path, rows)
        return
    if reader is None:
        raise KhabarError(f"{path}: streaming reads .jsonl, .parquet, .csv and .tsv files (optionally .gz), not {fmt}")
    batch: list[dict] = []
    first = 1
    try:
        for record in reader(path, fmt):
            batch.append(record)
            if len(batch) == rows:
                yield path, first, *_columns(batch)
                first += len(batch)
                batch = []
    except UnicodeDecodeError:
        raise KhabarError(f"{path}: not valid UTF-8 (row {first + len(batch)}); re-encode it as UTF-8") from None
    except OSError as exc:
        raise KhabarError(f"{path}: cannot read ({reason(exc)}); check the file (a .gz must be gzip-compressed)") from None
    if batch:
        yield path, first, *_columns(batch)


def _columns(records: list[dict]) -> tuple[list[str], dict[str, list]]:
    names = list(dict.fromkeys(k for r in records for k in r))
    return names, {k: [r.get(k) for r in records] for k in names}


def _jsonl_rows(path: str, fmt: str):
    with open_file(path, "rt") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield json_line(line, path, number)


def _delimited_rows(path: str, fmt: str):
    sep, quoting = (",", csv.QUOTE_MINIMAL) if fmt == "csv" else ("\t", csv.QUOTE_NONE)
    with open_file(path, "rt") as fh:
        yield from csv.DictReader(fh, delimiter=sep, quoting=quoting)


def _parquet_batches(path: str, rows: int):
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
        first = 1
        for batch in table.iter_batches(batch_size=rows):
            data = batch.to_pydict()
            yield path, first, list(data), data
            first += batch.num_rows
    except KhabarError:
        raise
    except Exception as exc:
        raise KhabarError(f"{path}: cannot read as parquet ({reason(exc)}); fix the file") from None


def _hub_batches(name: str, cfg: DataConfig, rows: int):
    """A Hub dataset in streaming mode (nothing downloaded whole); ClassLabel numbers as names."""
    import datasets

    from .. import hub

    if not hub.usable():
        raise KhabarError(f"hf:{name}: the Hub cannot be reached; streaming reads a Hub dataset over the network")
    try:
        splits = datasets.load_dataset(name, cfg.hub_config, streaming=True)
    except Exception as exc:
        raise KhabarError(f"hf:{name}: cannot stream from the Hub ({reason(exc)}); check the name and data.hub_config") from None
    for split_name, ds in splits.items():
        split = SPLIT_NAMES.get(split_name.lower())
        if split is None:
            continue
        feature = (ds.features or {}).get(cfg.label_column)
        where, first, batch = f"hf:{name} [{split_name}]", 1, []
        for record in ds:
            if hasattr(feature, "int2str") and isinstance(record.get(cfg.label_column), int):
                value = record[cfg.label_column]
                record = {**record, cfg.label_column: feature.int2str(value) if value >= 0 else None}
            batch.append({**record, cfg.split_column or "split": split})
            if len(batch) == rows:
                yield where, first, *_columns(batch)
                first, batch = first + len(batch), []
        if batch:
            yield where, first, *_columns(batch)


def write_jsonl(examples, path: str) -> None:
    """Examples as JSON lines (id, text, label, split): how the benchmarks build larger corpora."""
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps({"id": ex.id, "text": ex.text, "label": ex.label, "split": ex.split},
                                ensure_ascii=False) + "\n")
