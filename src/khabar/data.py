"""Every input format -> the same checked list of `Example`s, and train/dev/test splits.

Why one module: CSV/TSV/JSON-lines/JSON/parquet (read through `datasets`), a folder with one
sub-folder per label of .txt files (how SANAD ships) and Hub datasets must end in identical
records with identical checks. A user's mistake is one `KhabarError` line naming the file, the
1-based data row (after the header) and the fix; nothing is skipped silently.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import os
import random
import socket
import sys
import tempfile
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

from .config import DataConfig, SplitRatios
from .errors import KhabarError
from .examples import Example, Splits

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".json": "json", ".parquet": "parquet", ".pq": "parquet"}
SPLIT_NAMES = {"train": "train", "training": "train", "dev": "dev", "development": "dev", "val": "dev",
               "valid": "dev", "validation": "dev", "test": "test", "testing": "test"}
TEXT_NAMES = ("text", "article", "content", "body", "claim", "s1", "headline")
CLAIM_NAMES = ("claim", "s1", "headline", "text")
PAIR_NAMES = ("text_pair", "s2", "article", "body")
LABEL_NAMES = ("label", "stance", "topic", "category", "class")
HUB_TIMEOUT = 3.0  # seconds to wait for the Hub before treating the machine as offline
_UTF8_FIX = "re-encode it as UTF-8 (e.g. iconv -f cp1256 -t utf-8)"

Located = list[tuple[Example, str]]  # each example with where it came from, for error messages


# ---------------------------------------------------------------- public functions

def load_examples(cfg: DataConfig, task: str, source: str = "<config>") -> list[Example]:
    """All labeled examples `cfg` names, checked row by row, in file order."""
    _check_task(cfg, task, source)
    if cfg.format == "hub" or (cfg.format == "auto" and cfg.path and cfg.path[0].startswith("hf:")):
        located = _load_hub(cfg, task, source)
    else:
        located = []
        # train.csv + test.csv without a split column: the file names are the splits.
        by_stem = [SPLIT_NAMES.get(_stem(p).lower()) for p in cfg.path]
        if None in by_stem or len(set(by_stem)) < 2:
            by_stem = [None] * len(cfg.path)
        stems = [_stem(p) for p in cfg.path]
        for path, stem, split in zip(cfg.path, stems, by_stem):
            id_stem = stem if stems.count(stem) == 1 else os.path.splitext(path)[0]
            located += _load_path(path, cfg, task, True, id_stem, split)
    if not located:
        raise KhabarError(f"{source}: data.path: no examples found in {', '.join(cfg.path) or 'an empty list'}")
    return _unique(located)


def load_splits(cfg: DataConfig, task: str, seed: int, source: str = "<config>") -> Splits:
    """Splits named in the data when present, else a stratified split seeded by `seed`."""
    return splits_of(load_examples(cfg, task, source), cfg.split, seed, source)[0]


def splits_of(examples: list[Example], ratios: SplitRatios, seed: int, source: str = "<config>") -> tuple[Splits, bool]:
    """(splits, True) when the examples name their split, else (seeded stratified split, False)."""
    named = [ex for ex in examples if ex.split]
    if not named:
        return split_examples(examples, ratios, seed), False
    if len(named) < len(examples):
        first = next(ex for ex in examples if not ex.split)
        raise KhabarError(f"{source}: {len(named)} examples name a split and {len(examples) - len(named)} do not "
                          f"(first: id {first.id!r}); give every file a split column, or none of them")
    return Splits(*([ex for ex in examples if ex.split == name] for name in ("train", "dev", "test"))), True


def split_examples(examples: list[Example], ratios: SplitRatios, seed: int) -> Splits:
    """Stratified train/dev/test split; the same seed gives the same split.

    Labels with fewer than 3 examples go to train whole (they cannot be in all three splits),
    and every label keeps at least one training example, so a model can learn each class.
    """
    total = ratios.train + ratios.dev + ratios.test
    held = (ratios.dev + ratios.test) / total if total > 0 else 0.0
    counts = Counter(ex.label for ex in examples)
    train = [i for i, ex in enumerate(examples) if counts[ex.label] < 3]
    pool = [i for i, ex in enumerate(examples) if counts[ex.label] >= 3]
    dev: list[int] = []
    test: list[int] = []
    if held > 0 and pool:
        keep, rest = _split_indices(pool, [examples[i].label for i in pool], held, seed)
        train += keep
        test_share = ratios.test / (ratios.dev + ratios.test)
        if test_share >= 1:
            test = rest
        elif test_share <= 0:
            dev = rest
        else:
            dev, test = _split_indices(rest, [examples[i].label for i in rest], test_share, seed)
    else:
        train += pool
    in_train = {examples[i].label for i in train}
    for part in (dev, test):
        for i in list(part):
            if examples[i].label not in in_train:
                part.remove(i)
                train.append(i)
                in_train.add(examples[i].label)

    def tag(indices, name):
        return [dataclasses.replace(examples[i], split=name) for i in sorted(indices)]

    return Splits(tag(train, "train"), tag(dev, "dev"), tag(test, "test"))


def guess_data_config(path: str, task: str | None = None) -> tuple[DataConfig, str]:
    """A DataConfig and task for a bare path, from its format and common column names."""
    if path.startswith("hf:"):
        return DataConfig(path=[path], format="hub"), task or "topic"
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; pass a data file (csv, tsv, jsonl, json, parquet), "
                          "a folder with one sub-folder of .txt files per label, or hf:<dataset>")
    files = [path]
    if os.path.isdir(path):
        if any(len(p.relative_to(path).parts) > 1 for p in _txt_files(path)):
            return DataConfig(path=[path], format="folder"), task or "topic"
        files = sorted(str(p) for p in Path(path).iterdir() if p.is_file() and _format_of(str(p)))
        if not files:
            raise KhabarError(f"{path}: no .txt files in label sub-folders and no data files found; the folder "
                              f"format needs one sub-folder per label holding one .txt file per article")
    fmt = _detect_format(files[0])
    columns = _peek_columns(files[0], fmt)
    cols, task = _guess_columns(files[0], columns, task)
    if task == "stance" and cols["pair"] is None:
        raise _no_pair(files[0], columns)
    if cols["text"] is None:
        raise KhabarError(f"{files[0]}: no text column among the columns present ({', '.join(columns)}); "
                          f"rename one to text, or set data.text_column in a config (--text-column where offered)")
    fmt = fmt if all(_format_of(f) == fmt for f in files) else "auto"
    return DataConfig(path=files, format=fmt, text_column=cols["text"], pair_column=cols["pair"],
                      label_column=cols["label"] or "label", id_column=cols["id"], split_column=cols["split"],
                      source_column=cols["source"]), task


def read_unlabeled(path: str, task: str, text_column: str | None = None,
                   pair_column: str | None = None) -> list[Example]:
    """Articles to label: a .txt file, a folder of .txt files (recursively) or a table file."""
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; pass a .txt file, a folder of .txt files, or a csv/tsv/jsonl file")
    is_txt = os.path.isdir(path) or path.lower().endswith(".txt")
    if is_txt and task == "stance":
        raise KhabarError(f"{path}: stance needs a claim and a text per row; pass a csv/tsv/jsonl file with both "
                          "columns (--text-column and --pair-column)")
    if os.path.isdir(path):
        files = _txt_files(path)
        if not files:
            raise KhabarError(f"{path}: no .txt files found (searched sub-folders too); put one article per .txt file")
        return [_unlabeled_txt(f, f.relative_to(path).as_posix()) for f in files]
    if is_txt:
        return [_unlabeled_txt(Path(path), Path(path).name)]
    fmt = _detect_format(path)
    columns = _peek_columns(path, fmt)
    cols, _ = _guess_columns(path, columns, task)
    if task == "stance" and not pair_column and not cols["pair"]:
        raise _no_pair(path, columns)
    cfg = DataConfig(path=[path], format=fmt, text_column=text_column or cols["text"] or "text",
                     pair_column=(pair_column or cols["pair"] or "text_pair") if task == "stance" else None,
                     id_column=cols["id"], split_column=None)
    keys = {"text": "--text-column", "pair": "--pair-column"}
    return _unique(_load_path(path, cfg, task, False, _stem(path), None, keys))


# ---------------------------------------------------------------- files and folders

def _load_path(path: str, cfg: DataConfig, task: str, labeled: bool, stem: str,
               default_split: Optional[str], keys: dict | None = None) -> Located:
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; check data.path (relative paths start from the "
                          "directory khabar runs in)")
    if os.path.isdir(path):
        return _load_folder(path, cfg, task)
    if cfg.format == "folder":
        raise KhabarError(f"{path}: data.format is folder but this is a file; set data.format: auto")
    fmt = _detect_format(path) if cfg.format == "auto" else cfg.format
    wanted = [cfg.text_column, cfg.pair_column, cfg.id_column, cfg.split_column, cfg.source_column]
    columns, data = _read_table(path, fmt, wanted + ([cfg.label_column] if labeled else []))
    return _rows(path, columns, data, cfg, task, labeled, stem, default_split, keys or {})


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


def _rows(where: str, columns: list[str], data: dict[str, list], cfg: DataConfig, task: str, labeled: bool,
          stem: str, default_split: Optional[str], keys: dict) -> Located:
    need = [("text", cfg.text_column)] + ([("pair", cfg.pair_column)] if task == "stance" else [])
    need += ([("label", cfg.label_column)] if labeled else []) + [("source", cfg.source_column)] * bool(cfg.source_column)
    for role, col in need:
        if col not in columns:
            key = keys.get(role, f"data.{role}_column")
            raise KhabarError(f"{where}: no column {col!r} (columns present: {', '.join(columns)}); "
                              f"set {key} to the right one, or rename the column")
    n = len(data[cfg.text_column])
    if n == 0:
        raise KhabarError(f"{where}: no data rows; add rows or remove the file from data.path")

    def column(name):
        return data.get(name) if name else None

    pairs, labels, ids = column(cfg.pair_column), column(cfg.label_column), column(cfg.id_column)
    splits, sources = column(cfg.split_column), column(cfg.source_column)
    out: Located = []
    skipped = 0
    for i in range(n):
        loc = f"{where}: row {i + 1}"
        text = _cell(data[cfg.text_column][i], loc, cfg.text_column)
        pair = _cell(pairs[i], loc, cfg.pair_column) if task == "stance" else None
        if not text or (task == "stance" and not pair):
            if cfg.skip_empty and labeled:
                skipped += 1
                continue
            col = cfg.text_column if not text else cfg.pair_column
            fix = ", or set data.skip_empty: true to skip such rows" if labeled else ""
            raise KhabarError(f"{loc}: empty text in column {col!r}; fill it or remove the row{fix}")
        label = _label(_cell(labels[i], loc, cfg.label_column), loc, cfg) if labeled else None
        split = _split_name(_cell(splits[i], loc, cfg.split_column), loc) if splits is not None else default_split
        ex_id = (_cell(ids[i], loc, cfg.id_column) if ids is not None else "") or f"{stem}-{i + 1}"
        source = (_cell(sources[i], loc, cfg.source_column) if sources is not None else "") or None
        out.append((Example(ex_id, text, label, pair, source, split), loc))
    if skipped:
        print(f"khabar: skipped {skipped} empty texts in {where}", file=sys.stderr)
    return out


def _load_folder(root: str, cfg: DataConfig, task: str) -> Located:
    """SANAD layout: root/<label>/<article>.txt, or root/<split>/<label>/<article>.txt."""
    if task == "stance":
        raise KhabarError(f"{root}: a folder of .txt files holds single articles but task stance needs a claim and a "
                          "text; use a csv/jsonl file with data.text_column and data.pair_column")
    files = _txt_files(root)
    if not files:
        raise KhabarError(f"{root}: no .txt files found; the folder format needs one sub-folder per label holding "
                          f"one .txt file per article (e.g. {root}/Sports/0001.txt)")
    tops = {f.relative_to(root).parts[0] for f in files if len(f.relative_to(root).parts) > 1}
    by_split = all(t.lower() in SPLIT_NAMES for t in tops)
    depth = 3 if by_split else 2
    out: Located = []
    skipped = 0
    for f in files:
        parts = f.relative_to(root).parts
        if len(parts) < depth:
            raise KhabarError(f"{f}: not inside a label sub-folder; move it to {root}/<label>/{parts[-1]}")
        text = _read_txt(f)
        if not text:
            if cfg.skip_empty:
                skipped += 1
                continue
            raise KhabarError(f"{f}: empty text; fill or delete the file, or set data.skip_empty: true to skip such files")
        label = _label(parts[depth - 2], str(f), cfg)
        split = SPLIT_NAMES[parts[0].lower()] if by_split else None
        out.append((Example(Path(*parts).as_posix(), text, label, split=split), str(f)))
    if skipped:
        print(f"khabar: skipped {skipped} empty texts in {root}", file=sys.stderr)
    return out


# ---------------------------------------------------------------- Hugging Face Hub

def _load_hub(cfg: DataConfig, task: str, source: str) -> Located:
    if len(cfg.path) != 1:
        raise KhabarError(f"{source}: data.path: one hf:<dataset> per config; got {len(cfg.path)} entries")
    name = cfg.path[0][3:] if cfg.path[0].startswith("hf:") else cfg.path[0]
    out: Located = []
    for split_name, ds in _hub_dataset(name, cfg.hub_config).items():
        split = SPLIT_NAMES.get(split_name.lower())
        if split is None:
            print(f"khabar: ignored split {split_name!r} of hf:{name} (not train, validation/dev or test)", file=sys.stderr)
            continue
        data = _columns(ds, ds.column_names)
        feature = ds.features.get(cfg.label_column)
        if hasattr(feature, "int2str"):  # ClassLabel: ints -> names, -1 means no label
            data[cfg.label_column] = [feature.int2str(v) if v is not None and v >= 0 else None
                                      for v in data[cfg.label_column]]
        out += _rows(f"hf:{name} [{split_name}]", ds.column_names, data, cfg, task, True,
                     f"{name}-{split_name}", split, {})
    return out


def _hub_dataset(name: str, config: Optional[str]):
    """`load_dataset` that fails in seconds, not after minutes of retries, when offline."""
    import datasets
    import huggingface_hub.constants as hub

    offline = bool(datasets.config.HF_HUB_OFFLINE or hub.HF_HUB_OFFLINE) or not _hub_reachable()
    with _hub_offline(offline), _quiet_datasets():
        try:
            return datasets.load_dataset(name, config, keep_in_memory=True)
        except Exception as exc:
            if offline or isinstance(exc, (ConnectionError, TimeoutError)):
                raise KhabarError(f"hf:{name}: the dataset could not be reached (offline and not in the local cache); "
                                  f"download it once with internet, or point data.path at local files") from None
            raise KhabarError(f"hf:{name}: cannot load from the Hub ({_reason(exc)}); check the name and data.hub_config") from None


def _hub_reachable(timeout: float = HUB_TIMEOUT) -> bool:
    """One TCP connection to the Hub (or the proxy), bounded by `timeout` even if DNS hangs."""
    from urllib.parse import urlparse

    import huggingface_hub.constants as hub

    proxy = next((os.environ[k] for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy") if os.environ.get(k)), None)
    url = urlparse(proxy or hub.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    ok: list[bool] = []

    def probe():
        try:
            socket.create_connection((url.hostname, port), timeout=timeout).close()
            ok.append(True)
        except (OSError, TypeError):
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(ok)


@contextmanager
def _hub_offline(offline: bool):
    """Offline mode for this call only, so a cached dataset still loads without network."""
    import datasets
    import huggingface_hub.constants as hub

    saved = datasets.config.HF_HUB_OFFLINE, hub.HF_HUB_OFFLINE
    if offline:
        datasets.config.HF_HUB_OFFLINE = hub.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, hub.HF_HUB_OFFLINE = saved


# ---------------------------------------------------------------- small helpers

def _unique(located: Located) -> list[Example]:
    seen: dict[str, str] = {}
    for ex, loc in located:
        if ex.id in seen:
            raise KhabarError(f"{loc}: duplicate id {ex.id!r} (also at {seen[ex.id]}); make ids unique, "
                              "or set data.id_column: null to number the rows instead")
        seen[ex.id] = loc
    return [ex for ex, _ in located]


def _check_task(cfg: DataConfig, task: str, source: str) -> None:
    if task not in ("topic", "stance"):
        raise KhabarError(f"{source}: task must be topic or stance; got {task!r}")
    if task == "stance" and not cfg.pair_column and cfg.format != "folder":
        raise KhabarError(f"{source}: data.pair_column: required for task stance (the column with the article or second headline)")


def _cell(value: Any, loc: str, column: Optional[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise KhabarError(f"{loc}: column {column!r} holds {type(value).__name__}, expected text; fix the row")


def _label(raw: str, loc: str, cfg: DataConfig) -> str:
    if not raw:
        raise KhabarError(f"{loc}: missing label in column {cfg.label_column!r}; fill it or remove the row")
    label = cfg.label_map.get(raw, raw)
    if cfg.labels is not None and label not in cfg.labels:
        raise KhabarError(f"{loc}: label {label!r} is not one of data.labels ({', '.join(cfg.labels)}); fix the row, "
                          "add the label to data.labels, or rename it with data.label_map")
    return label


def _split_name(raw: str, loc: str) -> str:
    if raw.lower() not in SPLIT_NAMES:
        raise KhabarError(f"{loc}: split {raw!r} is not train, dev or test (validation/valid mean dev); fix the value")
    return SPLIT_NAMES[raw.lower()]


def _split_indices(items: list[int], labels: list, share: float, seed: int) -> tuple[list[int], list[int]]:
    """(keep, held) with about `share` held out; stratified when every class allows it."""
    from sklearn.model_selection import train_test_split

    if len(items) < 2:
        return list(items), []
    counts = Counter(labels)  # classes with one member share a stratum, so the rest stay stratified
    strata = [lab if counts[lab] > 1 else "\0rare" for lab in labels]
    if strata.count("\0rare") == 1:
        strata = [counts.most_common(1)[0][0] if s == "\0rare" else s for s in strata]
    for stratify in (strata, None):
        try:
            keep, held = train_test_split(items, test_size=share, random_state=seed, stratify=stratify)
            return list(keep), list(held)
        except ValueError:  # a class too small to stratify, or too few rows for the share
            continue
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    cut = len(shuffled) - round(share * len(shuffled))
    return shuffled[:cut], shuffled[cut:]


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


def _unlabeled_txt(path: Path, ex_id: str) -> Example:
    text = _read_txt(path)
    if not text:
        raise KhabarError(f"{path}: empty text; fill the file or remove it")
    return Example(ex_id, text)


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
