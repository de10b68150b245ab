"""Training the shipped sample configs from tests: the helper behind the session runs of
tests/conftest.py, importable by any test that needs a run with other settings."""

from __future__ import annotations

import os
from pathlib import Path

from repo import CONFIGS, ROOT


def train_in_root(config: str, out: Path, *overrides: str):
    """Train a shipped config from the repository root (its data paths are relative to it), writing
    under `out`; `overrides` are `--set key=value` items."""
    from khabar.runs.train import train_from_config

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return train_from_config(str(CONFIGS / config), [f"output_dir={out}", *overrides])
    finally:
        os.chdir(cwd)
