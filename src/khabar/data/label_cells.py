"""How a row's gold is read: one label per cell, or a label set. Chosen once, passed down.

Why a type: a one-label file and a label-set file differ in which columns hold the gold, how a
cell becomes gold, which column names a guess looks for and what a Hub feature's class numbers
mean. Branching on a `multi_label` flag in every reader spread that over four files; here it is
two classes, picked once by `label_cells` where loading starts. `data` sits below `models`, so
the label scheme (`models.scheme`) exposes these as `scheme.cells` instead of the reverse.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..errors import KhabarError
from ..log import say
from .cells import cell
from .columns import LABEL_NAMES, LABEL_SET_NAMES
from .label_sets import check_label, label_set
from .spec import DataConfig


class OneLabelCells:
    """One gold label per row, in `data.label_column`."""

    multi_label = False
    #: the column names a guess looks for, best first
    column_names: Sequence[str] = LABEL_NAMES

    def check_delimiter(self, given: bool) -> None:
        """A label delimiter splits label sets: refused for one label, before any data is read."""
        if given:
            raise KhabarError("--label-delimiter: only for a multi-label model (this one gives one label per "
                              "article); drop it")

    def gold_columns(self, cfg: DataConfig) -> list[str]:
        """The columns a labeled file must hold the gold in."""
        return [cfg.label_column]

    def needed(self, cfg: DataConfig) -> tuple[list[tuple[str, str]], dict]:
        """(role, column) pairs a labeled table must have, and config keys to name when one is missing."""
        return [("label", cfg.label_column)], {}

    def read(self, data: dict[str, list], i: int, loc: str, cfg: DataConfig) -> tuple[Optional[str], Any]:
        """(label, label set) of data row `i` (0-based)."""
        return check_label(cell(data[cfg.label_column][i], loc, cfg.label_column), loc, cfg), None

    def hub_cells(self, feature, values: list, where: str) -> list:
        """A Hub label column as label names: a ClassLabel's numbers as names, -1 (no label) None."""
        if hasattr(feature, "int2str"):
            return [feature.int2str(v) if v is not None and v >= 0 else None for v in values]
        return values

    def flag_columns(self, label_names: Optional[Sequence[str]], columns: Sequence[str],
                     guessed: Optional[str]) -> Optional[list[str]]:
        """The 0/1 label columns a guessed config reads (one label: none)."""
        return None

    def check_folder(self, path: str) -> None:
        """A folder per label gives each article one label: fine here."""

    def announce(self, path: str, cfg: DataConfig) -> None:
        """Say where guessed gold comes from when a file may hold more than one kind (one label: nothing to say)."""


class LabelSetCells(OneLabelCells):
    """A set of labels per row: a list or delimited cell in `data.label_column`, or 0/1 columns
    (`data.label_columns`); see `label_sets`."""

    multi_label = True
    column_names = LABEL_SET_NAMES

    def check_delimiter(self, given: bool) -> None:
        """Label sets may come joined in one column: the delimiter is welcome."""

    def gold_columns(self, cfg: DataConfig) -> list[str]:
        return list(cfg.label_columns or [cfg.label_column])

    def needed(self, cfg: DataConfig) -> tuple[list[tuple[str, str]], dict]:
        if not cfg.label_columns:
            return super().needed(cfg)
        return [("label", col) for col in cfg.label_columns], {"label": "data.label_columns"}

    def read(self, data, i, loc, cfg):
        return None, label_set(data, i, loc, cfg)

    def hub_cells(self, feature, values, where):
        inner = getattr(feature, "feature", None)  # Sequence(ClassLabel): a label set of class numbers
        if hasattr(inner, "int2str"):
            return [_names(inner, row, f"{where}: row {i + 1}") for i, row in enumerate(values)]
        if hasattr(feature, "int2str"):  # one class per row: a set of one
            return [[feature.int2str(v)] if v is not None and v >= 0 else None for v in values]
        return values

    def flag_columns(self, label_names, columns, guessed):
        """The model's labels as 0/1 columns, when the file has one column named after each and
        no label-set column."""
        if label_names and set(label_names) <= set(columns) and guessed not in LABEL_SET_NAMES[:3]:
            return list(label_names)
        return None

    def check_folder(self, path: str) -> None:
        raise KhabarError(f"{path}: a folder per label gives each article one label; multi-label data needs a "
                          "csv/jsonl file with a label list, a delimited label column or 0/1 label columns")

    def announce(self, path: str, cfg: DataConfig) -> None:
        """A file may hold one label and a label set: say which one is the gold."""
        where = (f"the 0/1 columns {', '.join(cfg.label_columns)}" if cfg.label_columns
                 else f"column {cfg.label_column!r} (--label-column to choose another)")
        say(f"{path}: gold label sets from {where}")


def _names(feature, row, loc: str):
    """A Sequence(ClassLabel) cell as label names; a negative number (no label) is refused."""
    if row is None:
        return None
    if any(v is None or v < 0 for v in row):
        raise KhabarError(f"{loc}: label set {row} holds a class number below 0 (no label); fix the row or remove it")
    return [feature.int2str(v) for v in row]


ONE_LABEL_CELLS, LABEL_SET_CELLS = OneLabelCells(), LabelSetCells()


def label_cells(multi_label: bool) -> OneLabelCells:
    """The reader of a scheme's gold cells: chosen once, where loading starts."""
    return LABEL_SET_CELLS if multi_label else ONE_LABEL_CELLS
