"""The `data:` section of a config: where labeled examples come from and how their columns are named.

It lives with the loaders that read it (not in `khabar.config`), so the data package never imports
upwards; `khabar.config` assembles it with the other sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .formats import format_choices


@dataclass
class SplitRatios:
    """Ratios for a seeded, stratified split when the data has no split column."""

    train: float = field(default=0.8, metadata={"exclusive_min": 0.0, "max": 1.0})
    dev: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    test: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})


@dataclass
class DataConfig:
    """Where labeled examples come from and how their columns are named.

    `path`: one or more files (see `data.formats.FORMATS`: csv, tsv, jsonl, json, parquet, text ones
    optionally .gz), a folder with a sub-folder per label of .txt files, or `hf:<dataset name>` for
    the Hugging Face Hub. Relative paths are relative to the directory khabar runs in.
    """

    path: list[str]
    format: str = field(default="auto", metadata={"choices": format_choices()})
    text_column: str = "text"
    pair_column: Optional[str] = None
    label_column: str = "label"
    # multi-label data (config `multi_label: true`): a list field or a string split on this delimiter
    # in `label_column`, or one 0/1 column per label named here (the column names are the labels)
    label_delimiter: str = "|"
    label_columns: Optional[list[str]] = None
    id_column: Optional[str] = "id"
    split_column: Optional[str] = "split"
    source_column: Optional[str] = None
    labels: Optional[list[str]] = None
    label_map: dict[str, str] = field(default_factory=dict)
    split: SplitRatios = field(default_factory=SplitRatios)
    skip_empty: bool = False
    hub_config: Optional[str] = None
    # the outlet's unlabeled articles (a file or folder `read_unlabeled` reads), for kinds that
    # learn from them (`Kind.unlabeled`): the TF-IDF kind fits its vocabulary and IDF on them too
    unlabeled: Optional[str] = None
    # the dev split joins the training split: the model is fitted on both, and what its kind would
    # choose on dev (calibration, label offsets, the two-stage decision) it chooses by
    # cross-validation of the union instead; dev is then not evaluated (it is training data).
    # For the last fit, once the settings are chosen: more labels beat a split kept aside
    train_on_dev: bool = False
