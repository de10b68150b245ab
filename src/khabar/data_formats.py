"""Reading one data file: its format, its columns and the checks that name the bad line.

Why apart from `data`: the format is found from the extension (.gz allowed), text is checked as
UTF-8 and JSON line by line before `datasets` reads it (datasets only says that the build
failed), and the columns are guessed from common names. None of that knows about labels,
splits or `Example`s; `data` turns what this module reads into checked records.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

from .errors import KhabarError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".json": "json", ".parquet": "parquet", ".pq": "parquet"}
TEXT_NAMES = ("text", "article", "content", "body", "claim", "s1", "headline")
CLAIM_NAMES = ("claim", "s1", "headline", "text")
PAIR_NAMES = ("text_pair", "s2", "article", "body")
LABEL_NAMES = ("label", "stance", "topic", "category", "class")
_UTF8_FIX = "re-encode it as UTF-8 (e.g. iconv -f cp1256 -t utf-8)"


def _read_table(path: str, fmt: str, wanted: list) -> tuple[list[str], dict[str, list]]:
    """Columns of one file through `datasets`, in memory, with a throw-away cache directory."""
    from datasets import Dataset, Features, Value

    if os.path.getsize(path) == 0:
        raise KhabarError(f"{path}: empty file; expected a header row and data rows")
    kwargs: dict[str, Any] = {}
    filled, trailing = _check_utf8(path) if fmt != "parquet" else (1, 0)
    if filled <= (fmt in ("csv", "tsv")):
        raise KhabarError(f"{path}: no data rows; add rows or remove the file from data.path")
    if fmt in ("csv", "tsv"):
        header = _peek_columns(path, fmt)  # read every column as text: ids like 007 stay 007
        twice = next((c for c in header if header.count(c) > 1), None)
        if twice is not None:
            raise KhabarError(f"{path}: line 1: column {twice!r} appears twice in the header; rename one")
        # blank lines stay rows, so that row N is line N + 1 and no text vanishes unreported
        kwargs = {"features": Features({c: Value("string") for c in header}), "na_filter": False,
                  "skip_blank_lines": False, "sep": "," if fmt == "csv" else "\t"}
        if fmt == "tsv":
            kwargs["quoting"] = csv.QUOTE_NONE  # TSV has no quoting: a lone " in a headline is text
        reader = Dataset.from_csv
    elif fmt in ("json", "jsonl"):
        trailing = 0
        if fmt == "json":
            kwargs["field"] = _json_field(path)
        reader = Dataset.from_json
    else:
        reader = Dataset.from_parquet
    with tempfile.TemporaryDirectory(prefix="khabar-data-") as cache, _quiet_datasets():
        try:
            ds = reader(path, keep_in_memory=True, cache_dir=cache, **kwargs)
            data = _columns(ds, wanted)
            for values in data.values():  # blank lines at the end of a CSV are not rows
                del values[len(values) - trailing:]
            return ds.column_names, data
        except KhabarError:
            raise
        except Exception as exc:
            if fmt == "jsonl":  # name the line: pyarrow only says "Trailing data at position N"
                with _open(path, "rt") as fh:
                    for number, line in enumerate(fh, 1):
                        if line.strip():
                            _json_line(line, path, number)
            raise KhabarError(f"{path}: cannot read as {fmt} ({_reason(exc)}); fix the file or set data.format") from None


def _format_of(path: str) -> Optional[str]:
    name = path.lower()
    gz = name.endswith(".gz")
    fmt = FORMATS.get(os.path.splitext(name[:-3] if gz else name)[1])
    return None if gz and fmt == "parquet" else fmt


def _detect_format(path: str) -> str:
    fmt = _format_of(path)
    if fmt is None:
        raise KhabarError(f"{path}: unknown file type; use .csv, .tsv, .jsonl, .json (optionally .gz) or .parquet, "
                          "a folder of .txt files, or set data.format")
    return fmt


def _stem(path: str) -> str:
    name = os.path.basename(os.path.normpath(path))
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[0] if _format_of(name) else name


def _open(path: str, mode: str = "rb"):
    opener = gzip.open if path.lower().endswith(".gz") else open
    return opener(path, mode, encoding="utf-8-sig", newline="") if "t" in mode else opener(path, mode)


def _check_utf8(path: str) -> tuple[int, int]:
    """Name the first line that is not UTF-8 (datasets would only say the build failed).

    Returns the number of non-blank lines and of blank lines at the end of the file.
    """
    filled = trailing = 0
    try:
        with _open(path) as fh:
            for number, line in enumerate(fh, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    raise KhabarError(f"{path}: line {number}: not valid UTF-8; {_UTF8_FIX}") from None
                blank = not line.strip()
                filled += not blank
                trailing = trailing + 1 if blank else 0
    except (OSError, EOFError) as exc:
        raise KhabarError(f"{path}: cannot read ({_reason(exc)}); check the file (a .gz must be gzip-compressed)") from None
    return filled, trailing


def _peek_columns(path: str, fmt: str) -> list[str]:
    """Column names without loading the whole file (json and parquet excepted)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if fmt == "json":
            field = _json_field(path)
            with _open(path, "rt") as fh:
                records = json.load(fh)
            records = records[field] if field else records
            return list(records[0]) if records and isinstance(records[0], dict) else []
        with _open(path, "rt") as fh:
            if fmt == "jsonl":
                for number, line in enumerate(fh, 1):
                    if line.strip():
                        record = _json_line(line, path, number)
                        return list(record)
                return []
            if fmt == "tsv":
                header = next(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), None)
            else:
                header = next(csv.reader(fh), None)
        if not header:
            raise KhabarError(f"{path}: empty file; expected a header row with column names")
        return header
    except UnicodeDecodeError:
        _check_utf8(path)
        raise KhabarError(f"{path}: not valid UTF-8; {_UTF8_FIX}") from None
    except KhabarError:
        raise
    except Exception as exc:
        raise KhabarError(f"{path}: cannot read as {fmt} ({_reason(exc)}); fix the file or pass another one") from None


def _json_line(line: str, path: str, number: int) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}: line {number}: not valid JSON ({exc.msg}); each line must be one JSON object") from None
    if not isinstance(record, dict):
        raise KhabarError(f"{path}: line {number}: expected a JSON object with named fields, got {type(record).__name__}")
    return record


def _json_field(path: str) -> Optional[str]:
    """None for a JSON list of records; the key holding that list for {"data": [...]}."""
    try:
        with _open(path, "rt") as fh:
            top = json.load(fh)
    except json.JSONDecodeError as exc:
        raise KhabarError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); fix the file") from None
    if isinstance(top, list):
        return None
    if isinstance(top, dict):
        for key, value in top.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return key
    raise KhabarError(f"{path}: expected a JSON list of records, or an object holding one (like {{\"data\": [...]}})")


def _guess_columns(path: str, columns: list[str], task: Optional[str]) -> tuple[dict, str]:
    lower = {c.lower(): c for c in columns}

    def pick(names, exclude=None):
        return next((lower[n] for n in names if n in lower and lower[n] != exclude), None)

    label = pick(LABEL_NAMES)
    claim = pick(CLAIM_NAMES) if task != "topic" else None
    pair = pick(PAIR_NAMES, exclude=claim) if claim else None
    if pair is None and claim is not None and claim == lower.get("claim"):
        pair = lower.get("text")  # claim + text: the text is the article; headline + text stays topic
    if task is None and label and label.lower() in ("topic", "category"):
        pair = None  # a topic label wins over a headline + body that looks like a pair
    task = task or ("stance" if pair else "topic")
    text = claim if pair else pick(TEXT_NAMES)
    return {"text": text, "pair": pair, "label": label, "id": pick(("id",)), "split": pick(("split",)),
            "source": pick(("source",))}, task


def _no_pair(path: str, columns: list[str]) -> KhabarError:
    return KhabarError(f"{path}: task stance needs a claim column and a text column; columns present: "
                       f"{', '.join(columns)}; name them claim and text_pair (or s1 and s2), or set "
                       "data.text_column and data.pair_column (--text-column/--pair-column where offered)")


def _txt_files(root: str) -> list[Path]:
    """.txt files below root, hidden files and folders (.git, ._x.txt) left out."""
    base = Path(root)
    return sorted(p for p in base.rglob("*") if p.suffix.lower() == ".txt" and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(base).parts))


def _read_txt(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KhabarError(f"{path}: cannot read ({exc.strerror}); check the file's permissions") from None
    try:
        return raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KhabarError(f"{path}: line {line}: not valid UTF-8; {_UTF8_FIX}") from None


def _columns(ds, wanted) -> dict[str, list]:
    """Plain lists of the wanted columns (indexing a Dataset row by row is slow)."""
    keep = [c for c in ds.column_names if c in set(wanted)]
    return ds.select_columns(keep).to_dict() if keep else {}


def _reason(exc: BaseException) -> str:
    """The innermost cause's first line: datasets wraps the useful message."""
    for _ in range(20):
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


@contextmanager
def _quiet_datasets():
    """No progress bars or logs from datasets while loading; restored afterwards."""
    import datasets

    was_disabled = datasets.are_progress_bars_disabled()
    level = datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # its "Failed to read" log repeats our error
    try:
        yield
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()
        datasets.logging.set_verbosity(level)
