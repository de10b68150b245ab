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
from .label_cells import ONE_LABEL_CELLS, OneLabelCells
from .rows import SPLIT_NAMES, Located, rows_to_examples
from .spec import DataConfig


def load_hub(cfg: DataConfig, task: str, source: str, cells: OneLabelCells = ONE_LABEL_CELLS) -> Located:
    """Every row of every train/dev/test split of the Hub dataset `cfg.path` names (`cells`: how its gold is read)."""
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
        if cfg.label_column in data:
            data[cfg.label_column] = cells.hub_cells(ds.features.get(cfg.label_column), data[cfg.label_column],
                                                     f"hf:{name} [{split_name}]")
        out += rows_to_examples(f"hf:{name} [{split_name}]", ds.column_names, data, cfg, task, True,
                                f"{name}-{split_name}", split, {}, cells)
    return out


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
