"""Labeled data for evaluating a trained model on a bare path (`khabar evaluate --data`): the data
config guessed from the file and the model (its task, whether its gold is a label set, its label
names), with the columns the user named taking precedence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import KhabarError
from ..examples import Example
from .label_cells import label_cells
from .load import guess_data_config, load_examples
from .spec import DataConfig


@dataclass
class GoldColumns:
    """The columns a user may name instead of letting them be guessed (None: guessed)."""

    text_column: Optional[str] = None
    pair_column: Optional[str] = None
    label_column: Optional[str] = None
    label_delimiter: Optional[str] = None


def check_gold_columns(columns: GoldColumns, multi_label: bool) -> None:
    """Refuse a label delimiter for a one-label model, before any data is read."""
    label_cells(multi_label).check_delimiter(columns.label_delimiter is not None)


def load_gold(path: str, task: str, multi_label: bool, label_names: list[str], columns: GoldColumns,
              split: str | None = None) -> list[Example]:
    """The labeled examples of `path` for a model of `task` (only those of `split` when given)."""
    check_gold_columns(columns, multi_label)
    try:
        cfg, _ = guess_data_config(path, task, multi_label, label_names)
    except KhabarError:
        if not columns.text_column:
            raise
        cfg = DataConfig(path=[path])  # the user named the columns: no guessing needed
    for name in ("text_column", "pair_column", "label_column", "label_delimiter"):
        if getattr(columns, name):
            setattr(cfg, name, getattr(columns, name))
    if columns.label_column:  # named by the user: not the 0/1 columns guessed from the model's labels
        cfg.label_columns = None
    label_cells(multi_label).announce(path, cfg)
    examples = load_examples(cfg, task, path, multi_label=multi_label)
    return [ex for ex in examples if ex.split == split] if split else examples
