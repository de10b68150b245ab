"""Shared fixtures: the repository's sample corpus and runs trained on it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _train(config: str, out: Path, *overrides: str):
    from khabar.train import train_from_config

    return train_from_config(str(ROOT / "configs" / config), [f"output_dir={out}", *overrides])


@pytest.fixture(scope="session")
def topic_run(tmp_path_factory):
    """A TF-IDF topic run on the embedded sample (trained once)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return _train("sample_topic_tfidf.yaml", tmp_path_factory.mktemp("runs"))
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def stance_run(tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return _train("sample_stance_tfidf.yaml", tmp_path_factory.mktemp("runs"))
    finally:
        os.chdir(cwd)


def shared_or_skip(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} not found: the benchmark corpora live in ../shared/data beside the repository")
    return path
