"""Where a transformer checkpoint is loaded from: a local folder, the local cache, or the Hub.

Why apart: without network, transformers retries for minutes before it fails. This module asks
`khabar.hub` first (offline mode, then one bounded connection), asks the Hub itself only when it
is reachable, and ends with one `KhabarError` line saying how to get the checkpoint onto the machine.
"""

from __future__ import annotations

import os

from ... import hub
from ...errors import KhabarError
from ...log import quiet_libraries


def _local_directory(name_or_path: str):
    """The local directory `name_or_path` names (~ expanded), None for a Hub name, or one line
    when it looks like a path that is not there."""
    for path in (name_or_path, os.path.expanduser(name_or_path)):
        if os.path.isdir(path):
            return path
    looks_like_path = (
        name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1
        or "\\" in name_or_path or os.path.exists(name_or_path)
    )
    if looks_like_path:
        raise KhabarError(
            f"model.name_or_path: {name_or_path}: no such directory; point it at a folder with config.json, "
            "the weights and the tokenizer files, or use a Hub name such as aubmindlab/bert-base-arabertv02"
        )
    return None


def resolve_checkpoint(name_or_path: str) -> tuple[str, bool]:
    """Where to load `name_or_path` from: (path or Hub name, local_files_only).

    A local directory is used as is. A Hub name is used from the local cache when it is there
    (checked with local_files_only=True, no network). Otherwise the Hub is asked once, with a
    short timeout; no network, offline mode or an unknown name end at once with a `KhabarError`.
    """
    fix = (
        "download it where there is internet (e.g. `hf download NAME --local-dir DIR`, or "
        "save_pretrained), copy DIR here and set model.name_or_path to that directory; "
        "or set model.name_or_path: scratch to train a small BERT from nothing"
    ).replace("NAME", name_or_path)
    local = _local_directory(name_or_path)
    if local is not None:
        return local, True
    from transformers import AutoConfig

    try:
        with quiet_libraries():
            AutoConfig.from_pretrained(name_or_path, local_files_only=True)
        return name_or_path, True
    except Exception:
        pass
    if hub.offline_mode():
        raise KhabarError(
            f"model.name_or_path: {name_or_path} is not in the local Hugging Face cache and HF_HUB_OFFLINE "
            f"is set; {fix}"
        )
    if not hub.reachable():
        raise KhabarError(
            f"model.name_or_path: {name_or_path} is not in the local Hugging Face cache and the Hub cannot be "
            f"reached (no connection within {hub.HUB_TIMEOUT:g}s); {fix}"
        )
    from huggingface_hub import model_info

    try:
        model_info(name_or_path, timeout=hub.HUB_TIMEOUT)
    except Exception as exc:  # no network, DNS failure, timeout, unknown or gated repository
        name = type(exc).__name__
        if "NotFound" in name or "Gated" in name or "Validation" in name:
            raise KhabarError(
                f"model.name_or_path: {name_or_path} is not a model on the Hugging Face Hub (or needs a login) "
                f"and is not a local directory; check the name, or {fix}"
            ) from None
        reason = " ".join(str(exc).split())[:120] or name
        raise KhabarError(
            f"model.name_or_path: {name_or_path} is not in the local Hugging Face cache and the Hub cannot be "
            f"reached ({reason}); {fix}"
        ) from None
    return name_or_path, False
