"""Hugging Face Hub datasets (`data.path: hf:<name>`) as checked rows, failing in seconds when offline.

Why apart: `datasets.load_dataset` retries for minutes without network. `khabar.hub` decides
first, and an unusable Hub switches offline mode on for that one call, so a cached dataset still
loads and an uncached one ends at once with one `KhabarError` line.
"""

from __future__ import annotations

from typing import Optional

from .. import hub
from ..errors import KhabarError
from ..log import quiet_libraries, say
from .files import reason
from .rows import SPLIT_NAMES, Located, rows_to_examples
from .spec import DataConfig


def load_hub(cfg: DataConfig, task: str, source: str, multi_label: bool = False) -> Located:
    """Every row of every train/dev/test split of the Hub dataset `cfg.path` names."""
    if len(cfg.path) != 1:
        raise KhabarError(f"{source}: data.path: one hf:<dataset> per config; got {len(cfg.path)} entries")
    name = cfg.path[0][3:] if cfg.path[0].startswith("hf:") else cfg.path[0]
    out: Located = []
    for split_name, ds in _hub_dataset(name, cfg.hub_config).items():
        split = SPLIT_NAMES.get(split_name.lower())
        if split is None:
            say(f"ignored split {split_name!r} of hf:{name} (not train, validation/dev or test)")
            continue
        data = ds.to_dict()
        feature = ds.features.get(cfg.label_column)
        inner = getattr(feature, "feature", None)  # Sequence(ClassLabel): a label set of class numbers
        if multi_label and hasattr(inner, "int2str"):
            data[cfg.label_column] = [_names(inner, row, f"hf:{name} [{split_name}]: row {i + 1}")
                                      for i, row in enumerate(data[cfg.label_column])]
        elif multi_label and hasattr(feature, "int2str"):  # one class per row: a set of one
            data[cfg.label_column] = [[feature.int2str(v)] if v is not None and v >= 0 else None
                                      for v in data[cfg.label_column]]
        elif hasattr(feature, "int2str"):  # ClassLabel: ints -> names, -1 means no label
            data[cfg.label_column] = [feature.int2str(v) if v is not None and v >= 0 else None
                                      for v in data[cfg.label_column]]
        out += rows_to_examples(f"hf:{name} [{split_name}]", ds.column_names, data, cfg, task, True,
                                f"{name}-{split_name}", split, {}, multi_label)
    return out


def _names(feature, row, loc: str):
    """A Sequence(ClassLabel) cell as label names; a negative number (no label) is refused."""
    if row is None:
        return None
    if any(v is None or v < 0 for v in row):
        raise KhabarError(f"{loc}: label set {row} holds a class number below 0 (no label); fix the row or remove it")
    return [feature.int2str(v) for v in row]


def _hub_dataset(name: str, config: Optional[str]):
    """`load_dataset` that fails in seconds, not after minutes of retries, when offline."""
    import datasets

    offline = not hub.usable()
    with hub.offline(offline), quiet_libraries("datasets"):
        try:
            return datasets.load_dataset(name, config, keep_in_memory=True)
        except Exception as exc:
            if offline or isinstance(exc, (ConnectionError, TimeoutError)):
                raise KhabarError(f"hf:{name}: the dataset could not be reached (offline and not in the local cache); "
                                  f"download it once with internet, or point data.path at local files") from None
            raise KhabarError(f"hf:{name}: cannot load from the Hub ({reason(exc)}); check the name and data.hub_config") from None
