"""Every input format -> the same checked list of `Example`s, and train/dev/test splits.

Why one front door: CSV/TSV/JSON-lines/JSON/parquet (read through `datasets`), a folder with one
sub-folder per label of .txt files (how SANAD ships) and Hub datasets must end in identical
records with identical checks. A user's mistake is one `KhabarError` line naming the file, the
1-based data row (after the header) and the fix; nothing is skipped silently.

The pieces live beside it: `formats` (the reader registry), `files` (bytes, UTF-8, JSON lines),
`columns` (guessing column names), `rows` (row checks), `hub` (Hub datasets) and `splits`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..errors import KhabarError
from ..examples import NOTHING_TO_READ, TASKS, Example, Splits, has_something_to_read, model_input, needs_pair
from ..log import say
from .columns import guess_columns, no_pair_error
from .files import check_utf8_name, read_txt, txt_files
from .formats import detect_format, extensions_text, format_of, peek_columns, read_table, stem
from .hub import load_hub
from .label_cells import ONE_LABEL_CELLS, OneLabelCells, label_cells
from .label_sets import check_label
from .label_studio import looks_like_export
from .rows import SPLIT_NAMES, Located, rows_to_examples, unique_ids
from .spec import DataConfig
from .splits import splits_of


# ---------------------------------------------------------------- public functions

def load_examples(cfg: DataConfig, task: str, source: str = "<config>", multi_label: bool = False) -> list[Example]:
    """All labeled examples `cfg` names, checked row by row, in file order.

    `multi_label`: each example carries a label set (`Example.labels`), read as `data.label_sets` says.
    """
    _check_task(cfg, task, source)
    cells = label_cells(multi_label)
    if cfg.format == "hub" or (cfg.format == "auto" and cfg.path and cfg.path[0].startswith("hf:")):
        located = load_hub(cfg, task, source, cells)
    else:
        located = []
        # train.csv + test.csv without a split column: the file names are the splits.
        by_stem = [SPLIT_NAMES.get(stem(p).lower()) for p in cfg.path]
        if None in by_stem or len(set(by_stem)) < 2:
            by_stem = [None] * len(cfg.path)
        stems = [stem(p) for p in cfg.path]
        for path, name, split in zip(cfg.path, stems, by_stem):
            id_stem = name if stems.count(name) == 1 else os.path.splitext(path)[0]
            located += _load_path(path, cfg, task, True, id_stem, split, cells=cells)
    if not located:
        raise KhabarError(f"{source}: data.path: no examples found in {', '.join(cfg.path) or 'an empty list'}")
    return unique_ids(located)


def load_splits(cfg: DataConfig, task: str, seed: int, source: str = "<config>", multi_label: bool = False) -> Splits:
    """Splits named in the data when present, else a stratified split seeded by `seed`."""
    return splits_of(load_examples(cfg, task, source, multi_label), cfg.split, seed, source)[0]


def guess_data_config(path: str, task: str | None = None, multi_label: bool = False,
                      label_names: list[str] | None = None) -> tuple[DataConfig, str]:
    """A DataConfig and task for a bare path, from its format and common column names
    (`multi_label`: for a multi-label model, whose gold is a label set; see `columns`; when the
    file has no label-set column but one column named after each of `label_names`, the model's
    labels, those are read as 0/1 label columns)."""
    if path.startswith("hf:"):
        return DataConfig(path=[path], format="hub"), task or "topic"
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; pass a data file ({extensions_text()}), "
                          "a folder with one sub-folder of .txt files per label, or hf:<dataset>")
    files = [path]
    if os.path.isdir(path):
        if any(len(p.relative_to(path).parts) > 1 for p in txt_files(path)):
            return DataConfig(path=[path], format="folder"), task or "topic"
        files = sorted(str(p) for p in Path(path).iterdir() if p.is_file() and format_of(str(p)))
        if not files:
            raise KhabarError(f"{path}: no .txt files in label sub-folders and no data files found; the folder "
                              f"format needs one sub-folder per label holding one .txt file per article")
    fmt = detect_format(files[0])
    columns = peek_columns(files[0], fmt)
    if fmt == "json" and looks_like_export(columns):
        fmt = "label-studio"
        columns = peek_columns(files[0], fmt)
    cells = label_cells(multi_label)
    cols, task = guess_columns(columns, task, cells.column_names)
    if needs_pair(task) and cols["pair"] is None:
        raise no_pair_error(files[0], columns)
    if cols["text"] is None:
        raise KhabarError(f"{files[0]}: no text column among the columns present ({', '.join(columns)}); "
                          f"rename one to text, or set data.text_column in a config (--text-column where offered)")
    fmt = fmt if fmt == "label-studio" or all(format_of(f) == fmt for f in files) else "auto"
    flags = cells.flag_columns(label_names, columns, cols["label"])
    return DataConfig(path=files, format=fmt, text_column=cols["text"], pair_column=cols["pair"],
                      label_column=cols["label"] or "label", label_columns=flags, id_column=cols["id"],
                      split_column=cols["split"], source_column=cols["source"]), task


def read_unlabeled(path: str, task: str, text_column: str | None = None,
                   pair_column: str | None = None) -> list[Example]:
    """Articles to label: a .txt file, a folder of .txt files (recursively) or a table file."""
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; pass a .txt file, a folder of .txt files, or a csv/tsv/jsonl file")
    is_txt = os.path.isdir(path) or path.lower().endswith(".txt")
    if is_txt and needs_pair(task):
        raise KhabarError(f"{path}: stance needs a claim and a text per row; pass a csv/tsv/jsonl file with both "
                          "columns (--text-column and --pair-column)")
    if os.path.isdir(path):
        files = txt_files(path)
        if not files:
            raise KhabarError(f"{path}: no .txt files found (searched sub-folders too); put one article per .txt file")
        return [_unlabeled_txt(f, f.relative_to(path).as_posix()) for f in files]
    if is_txt:
        return [_unlabeled_txt(Path(path), Path(path).name)]
    fmt = detect_format(path)
    columns = peek_columns(path, fmt)
    cols, _ = guess_columns(columns, task)
    if needs_pair(task) and not pair_column and not cols["pair"]:
        raise no_pair_error(path, columns)
    cfg = DataConfig(path=[path], format=fmt, text_column=text_column or cols["text"] or "text",
                     pair_column=(pair_column or cols["pair"] or "text_pair") if needs_pair(task) else None,
                     id_column=cols["id"], split_column=None)
    keys = {"text": "--text-column", "pair": "--pair-column"}
    return unique_ids(_load_path(path, cfg, task, False, stem(path), None, keys))


# ---------------------------------------------------------------- files and folders

def _load_path(path: str, cfg: DataConfig, task: str, labeled: bool, id_stem: str,
               default_split: Optional[str], keys: dict | None = None,
               cells: OneLabelCells = ONE_LABEL_CELLS) -> Located:
    if not os.path.exists(path):
        raise KhabarError(f"{path}: no such file or folder; check data.path (relative paths start from the "
                          "directory khabar runs in)")
    if os.path.isdir(path):
        if labeled:
            cells.check_folder(path)
        return _load_folder(path, cfg, task)
    if cfg.format == "folder":
        raise KhabarError(f"{path}: data.format is folder but this is a file; set data.format: auto")
    fmt = detect_format(path) if cfg.format == "auto" else cfg.format
    wanted = [cfg.text_column, cfg.pair_column, cfg.id_column, cfg.split_column, cfg.source_column]
    columns, data = read_table(path, fmt, wanted + (cells.gold_columns(cfg) if labeled else []))
    return rows_to_examples(path, columns, data, cfg, task, labeled, id_stem, default_split, keys or {}, cells)


def _load_folder(root: str, cfg: DataConfig, task: str) -> Located:
    """SANAD layout: root/<label>/<article>.txt, or root/<split>/<label>/<article>.txt."""
    if needs_pair(task):
        raise KhabarError(f"{root}: a folder of .txt files holds single articles but task stance needs a claim and a "
                          "text; use a csv/jsonl file with data.text_column and data.pair_column")
    files = txt_files(root)
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
        text = read_txt(f)
        if not has_something_to_read(text):  # the input rule (examples.model_input): empty or no letter
            if cfg.skip_empty:
                skipped += 1
                continue
            what = "empty text" if not text else NOTHING_TO_READ
            raise KhabarError(f"{f}: {what}; fill or delete the file, or set data.skip_empty: true to skip such files")
        label = check_label(parts[depth - 2], str(f), cfg)
        split = SPLIT_NAMES[parts[0].lower()] if by_split else None
        out.append((Example(Path(*parts).as_posix(), text, label, split=split), str(f)))
    if skipped:
        say(f"skipped {skipped} empty texts (empty, or nothing to read: no letter) in {root}")
    return out


def _check_task(cfg: DataConfig, task: str, source: str) -> None:
    if task not in TASKS:
        raise KhabarError(f"{source}: task must be one of {', '.join(TASKS)}; got {task!r}")
    if needs_pair(task) and not cfg.pair_column and cfg.format != "folder":
        raise KhabarError(f"{source}: data.pair_column: required for task stance (the column with the article or second headline)")


def _unlabeled_txt(path: Path, ex_id: str) -> Example:
    check_utf8_name(str(path))
    text = read_txt(path)
    model_input("topic", text, where=str(path))  # the input rule: empty or nothing to read is refused
    return Example(ex_id, text)
