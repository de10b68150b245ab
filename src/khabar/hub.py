"""Is the Hugging Face Hub usable from here? One answer, in at most a few seconds.

Why: without network, `datasets.load_dataset` and `from_pretrained` retry for minutes before they
fail. Hub datasets (`data.path: hf:NAME`) and transformer checkpoints (`model.name_or_path`) both
ask this module first: offline mode set by the user, or no TCP connection to the Hub (or to the
proxy) within `HUB_TIMEOUT` seconds, means offline, and the caller ends at once with one line.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager

HUB_TIMEOUT = 3.0  # seconds to wait for a TCP connection before treating the machine as offline
_TRUE = ("1", "true", "yes", "on")


def offline_mode() -> bool:
    """True when the user switched the Hub off (HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE, HF_DATASETS_OFFLINE)."""
    if any(os.environ.get(v, "").strip().lower() in _TRUE
           for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")):
        return True
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def reachable(timeout: float = HUB_TIMEOUT) -> bool:
    """One TCP connection to the Hub (or the proxy), bounded by `timeout` even if DNS hangs."""
    from urllib.parse import urlparse

    from huggingface_hub import constants

    proxy = next((os.environ[k] for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy") if os.environ.get(k)), None)
    url = urlparse(proxy or constants.ENDPOINT)
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


def usable() -> bool:
    """The Hub may be asked: not switched off, and reachable now."""
    return not offline_mode() and reachable()


@contextmanager
def offline(active: bool = True):
    """Offline mode for the calls inside the block only (a cached dataset or model still loads)."""
    import datasets
    from huggingface_hub import constants

    saved = datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE
    if active:
        datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = saved
