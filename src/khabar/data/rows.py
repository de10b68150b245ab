"""Columns of any source -> `Example`s, one checked row at a time.

Why apart: data files and Hub datasets end in the same records with the same checks, and a bad
row is one `KhabarError` line naming the file or dataset, the 1-based data row and the fix.
"""

from __future__ import annotations

from typing import Optional

from ..errors import KhabarError
from ..examples import NOTHING_TO_READ, Example, has_something_to_read, needs_pair
from ..log import say
from .cells import cell
from .label_cells import ONE_LABEL_CELLS, OneLabelCells
from .spec import DataConfig

SPLIT_NAMES = {"train": "train", "training": "train", "dev": "dev", "development": "dev", "val": "dev",
               "valid": "dev", "validation": "dev", "test": "test", "testing": "test"}

Located = list[tuple[Example, str]]  # each example with where it came from, for error messages


def rows_to_examples(where: str, columns: list[str], data: dict[str, list], cfg: DataConfig, task: str, labeled: bool,
          stem: str, default_split: Optional[str], keys: dict, cells: OneLabelCells = ONE_LABEL_CELLS, first_row: int = 1) -> Located:
    """Checked examples from columns; `cells`: how a row's gold is read (one label or a label set);
    `first_row`: the row number of the first value (a later chunk of a file read in chunks)."""
    need = [("text", cfg.text_column)] + ([("pair", cfg.pair_column)] if needs_pair(task) else [])
    if labeled:
        gold, gold_keys = cells.needed(cfg)
        need, keys = need + gold, {**keys, **gold_keys}
    need += [("source", cfg.source_column)] * bool(cfg.source_column)
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

    pairs, ids = column(cfg.pair_column), column(cfg.id_column)
    splits, sources = column(cfg.split_column), column(cfg.source_column)
    out: Located = []
    skipped = 0
    for i in range(n):
        loc = f"{where}: row {i + first_row}"
        text = cell(data[cfg.text_column][i], loc, cfg.text_column, numbers=False)
        pair = cell(pairs[i], loc, cfg.pair_column, numbers=False) if needs_pair(task) else None
        unreadable = [(col, part) for col, part in ((cfg.text_column, text), (cfg.pair_column, pair))
                      if (col == cfg.text_column or needs_pair(task)) and not has_something_to_read(part)]
        if unreadable:  # the input rule (examples.model_input), named by row: empty or no letter
            if cfg.skip_empty and labeled:
                skipped += 1
                continue
            col, part = unreadable[0]
            what = "empty text" if not part else NOTHING_TO_READ
            fix = ", or set data.skip_empty: true to skip such rows" if labeled else ""
            raise KhabarError(f"{loc}: {what} in column {col!r}; fill it or remove the row{fix}")
        label, label_names = cells.read(data, i, loc, cfg) if labeled else (None, None)
        split = split_name(cell(splits[i], loc, cfg.split_column), loc) if splits is not None else default_split
        ex_id = (cell(ids[i], loc, cfg.id_column) if ids is not None else "") or f"{stem}-{i + first_row}"
        source = (cell(sources[i], loc, cfg.source_column) if sources is not None else "") or None
        out.append((Example(ex_id, text, label, pair, source, split, label_names), loc))
    if skipped:
        say(f"skipped {skipped} empty texts (empty, or nothing to read: no letter) in {where}")
    return out


def unique_ids(located: Located) -> list[Example]:
    seen: dict[str, str] = {}
    for ex, loc in located:
        if ex.id in seen:
            raise KhabarError(f"{loc}: duplicate id {ex.id!r} (also at {seen[ex.id]}); make ids unique, "
                              "or set data.id_column: null to number the rows instead")
        seen[ex.id] = loc
    return [ex for ex, _ in located]


def split_name(raw: str, loc: str) -> str:
    if raw.lower() not in SPLIT_NAMES:
        raise KhabarError(f"{loc}: split {raw!r} is not train, dev or test (validation/valid mean dev); fix the value")
    return SPLIT_NAMES[raw.lower()]
