"""Hugging Face Hub datasets (`hf:<name>`) as checked rows, failing in seconds when offline.

Why apart: `datasets.load_dataset` retries for minutes without network. A bounded TCP probe
decides first, and an unreachable Hub switches offline mode on for that one call, so a cached
dataset still loads and an uncached one ends at once with one `KhabarError` line.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from contextlib import contextmanager
from typing import Optional

from .config import DataConfig
from .data_formats import _columns, _quiet_datasets, _reason
from .data_rows import SPLIT_NAMES, Located, _rows
from .errors import KhabarError

HUB_TIMEOUT = 3.0  # seconds to wait for the Hub before treating the machine as offline


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
