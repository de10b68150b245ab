"""The registry of table formats: each declares its name, its file extensions, how to read it and
how to peek at its columns. Everything else derives from `FORMATS`: extension detection, the
config's allowed `data.format` values, the messages and the CLI help that list them, and which
files the Ray engine accepts.

Adding a format is one `register(Format(...))` call below. Reading goes through `datasets` (in
memory, with a throw-away cache directory) after the checks of `files` (UTF-8 line by line, JSON
line by line), so that a bad file ends in one line naming it and the line.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import KhabarError
from ..log import quiet_libraries
from .files import UTF8_FIX, check_utf8, json_field, json_line, nesting_error, open_file, reason


@dataclass(frozen=True)
class Format:
    """One table format.

    `open_dataset(path)` returns a `datasets.Dataset` of every row (cells of csv/tsv as text);
    `peek(path)` the column names without loading the whole file where the format allows it.
    `header` is True when the first line is a header, not a row. `text` formats are checked as
    UTF-8 and may be gzipped. `ray_reader` names the Ray Data reader for `predict --engine ray`
    (None: not accepted there).
    """

    name: str
    extensions: tuple[str, ...]
    open_dataset: Callable[[str, str], Any]  # (path, cache dir) -> datasets.Dataset
    peek: Callable[[str], list[str]]
    header: bool = False
    text: bool = True
    ray_reader: Optional[str] = None


FORMATS: dict[str, Format] = {}
#: `data.format` values that are not table formats: a folder with one sub-folder per label, a Hub dataset.
OTHER_SOURCES = ("folder", "hub")


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def format_choices() -> tuple[str, ...]:
    """Every `data.format` value a config may give."""
    return ("auto", *FORMATS, *OTHER_SOURCES)


def extensions_text() -> str:
    """`.csv, .tsv, ... (text formats optionally .gz)` for messages and help."""
    exts = [ext for fmt in FORMATS.values() for ext in fmt.extensions]
    return ", ".join(exts) + " (text formats optionally .gz)"


def format_of(path: str) -> Optional[str]:
    """The registered format of a file name, from its extension (a .gz text format too), or None."""
    name = path.lower()
    gz = name.endswith(".gz")
    ext = os.path.splitext(name[:-3] if gz else name)[1]
    fmt = next((f for f in FORMATS.values() if ext in f.extensions), None)
    return None if fmt is None or (gz and not fmt.text) else fmt.name


def detect_format(path: str) -> str:
    fmt = format_of(path)
    if fmt is None:
        raise KhabarError(f"{path}: unknown file type; use {extensions_text()}, a folder of .txt files, "
                          "or set data.format")
    return fmt


def stem(path: str) -> str:
    """The file name without folder, .gz and a known extension: `data/train.csv.gz` -> `train`."""
    name = os.path.basename(os.path.normpath(path))
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[0] if format_of(name) else name


def peek_columns(path: str, fmt: str) -> list[str]:
    """Column names of a file, with one line naming what is wrong with it."""
    try:
        return FORMATS[fmt].peek(path)
    except UnicodeDecodeError:
        check_utf8(path)
        raise KhabarError(f"{path}: not valid UTF-8; {UTF8_FIX}") from None
    except KhabarError:
        raise
    except Exception as exc:
        raise KhabarError(f"{path}: cannot read as {fmt} ({reason(exc)}); fix the file or pass another one") from None


def read_table(path: str, fmt: str, wanted: list) -> tuple[list[str], dict[str, list]]:
    """(column names, {column: values}) of the `wanted` columns present, every row in file order."""
    spec = FORMATS[fmt]
    if os.path.getsize(path) == 0:
        raise KhabarError(f"{path}: empty file; expected a header row and data rows")
    trailing = 0
    if spec.text:
        # JSON lines too deep for pyarrow (it crashes) are refused in the same pass
        filled, trailing = check_utf8(path, json_lines=fmt == "jsonl")
        if filled <= spec.header:
            raise KhabarError(f"{path}: no data rows; add rows or remove the file from data.path")
    if not spec.header:
        trailing = 0  # blank lines at the end of a csv are not rows; elsewhere they are no rows anyway
    with tempfile.TemporaryDirectory(prefix="khabar-data-") as cache, quiet_libraries("datasets"):
        try:
            ds = spec.open_dataset(path, cache)
            keep = [c for c in ds.column_names if c in set(wanted)]
            data = ds.select_columns(keep).to_dict() if keep else {}  # indexing row by row is slow
        except KhabarError:
            raise
        except Exception as exc:
            if fmt == "jsonl":  # name the line: pyarrow only says "Trailing data at position N"
                with open_file(path, "rt") as fh:
                    for number, line in enumerate(fh, 1):
                        if line.strip():
                            json_line(line, path, number)
            raise KhabarError(f"{path}: cannot read as {fmt} ({reason(exc)}); fix the file or set data.format") from None
    for values in data.values():
        del values[len(values) - trailing:]
    return ds.column_names, data


# ---------------------------------------------------------------- the formats

def _delimited(sep: str, quoting: int):
    def header(path: str) -> list[str]:
        with open_file(path, "rt") as fh:
            first = next(csv.reader(fh, delimiter=sep, quoting=quoting), None)
        if not first:
            raise KhabarError(f"{path}: empty file; expected a header row with column names")
        return first

    def open_dataset(path: str, cache: str):
        from datasets import Dataset, Features, Value

        columns = header(path)  # every column read as text: ids like 007 stay 007
        twice = next((c for c in columns if columns.count(c) > 1), None)
        if twice is not None:
            raise KhabarError(f"{path}: line 1: column {twice!r} appears twice in the header; rename one")
        kwargs = {"features": Features({c: Value("string") for c in columns}), "na_filter": False,
                  # blank lines stay rows, so that row N is line N + 1 and no text vanishes unreported
                  "skip_blank_lines": False, "sep": sep}
        if quoting == csv.QUOTE_NONE:
            kwargs["quoting"] = csv.QUOTE_NONE  # TSV has no quoting: a lone " in a headline is text
        ds = Dataset.from_csv(path, keep_in_memory=True, cache_dir=cache, **kwargs)
        if quoting != csv.QUOTE_NONE:
            check_open_quotes(path, ds.to_dict(), len(columns), sep)
        return ds

    return open_dataset, header


def check_open_quotes(path: str, data: dict, width: int, sep: str) -> None:
    """Refuse a CSV cell that swallowed the rows after it: a quote left open makes every line up to
    the next quote part of one field, and two articles silently become one. A quoted field may hold
    line breaks; a line inside it that reads as a whole row (as many fields as the header, or more)
    is taken as a sign of a quote left open, and the row is named."""
    if width < 2:
        return
    for column, values in data.items():
        for i, value in enumerate(values):
            if not isinstance(value, str) or "\n" not in value:
                continue
            for line in value.split("\n")[1:]:
                if line.count(sep) >= width - 1 and len(next(csv.reader([line], delimiter=sep), [])) >= width:
                    raise KhabarError(f"{path}: row {i + 1}: column {column!r} holds a line break followed by what "
                                      f"reads as a whole row ({line[:50]!r}); a quote left open? close or remove "
                                      "the stray quote (a quote inside a field is written twice: \"\")")


def _jsonl_peek(path: str) -> list[str]:
    with open_file(path) as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                error = nesting_error(line, path, number)  # the rest is checked with check_utf8
                if error:
                    raise error
                return list(json_line(line.decode("utf-8-sig"), path, number))
    return []


def _json_peek(path: str) -> list[str]:
    field = json_field(path)
    with open_file(path, "rt") as fh:
        records = json.load(fh)
    records = records[field] if field else records
    return list(records[0]) if records and isinstance(records[0], dict) else []


def _open_json(path: str, cache: str):
    from datasets import Dataset

    return Dataset.from_json(path, keep_in_memory=True, cache_dir=cache, field=json_field(path))


def _open_jsonl(path: str, cache: str):
    from datasets import Dataset

    _jsonl_peek(path)  # the first record must be an object: datasets reads a list line as a "text" column
    return Dataset.from_json(path, keep_in_memory=True, cache_dir=cache)


def _open_parquet(path: str, cache: str):
    from datasets import Dataset

    return Dataset.from_parquet(path, keep_in_memory=True, cache_dir=cache)


def _parquet_peek(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


register(Format("csv", (".csv",), *_delimited(",", csv.QUOTE_MINIMAL), header=True))
register(Format("tsv", (".tsv", ".tab"), *_delimited("\t", csv.QUOTE_NONE), header=True))
register(Format("jsonl", (".jsonl", ".ndjson"), _open_jsonl, _jsonl_peek, ray_reader="json"))
# Ray reads .json as JSON-lines, like .jsonl; khabar reads a .json file as a list of records
register(Format("json", (".json",), _open_json, _json_peek, ray_reader="json"))
register(Format("parquet", (".parquet", ".pq"), _open_parquet, _parquet_peek, text=False, ray_reader="parquet"))


def _open_label_studio(path: str, cache: str):
    from datasets import Dataset

    from .label_studio import COLUMNS, read_export

    rows = read_export(path)
    if not rows:
        raise KhabarError(f"{path}: no annotated task in this Label Studio export; annotate some tasks first")
    return Dataset.from_dict({c: [r[c] for r in rows] for c in COLUMNS})


def _label_studio_peek(path: str) -> list[str]:
    from .label_studio import COLUMNS

    return list(COLUMNS)


# a Label Studio JSON export (tasks with annotations): no extension of its own (it is .json); set
# data.format: label-studio, or let guess_data_config recognise it (--data, --exclude)
register(Format("label-studio", (), _open_label_studio, _label_studio_peek))
