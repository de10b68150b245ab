"""Shared fixtures: the repository's sample corpus and runs trained on it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_bert import stance_data, tiny_bert_dir, topic_data  # noqa: F401  (session fixtures, registered once here)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _train_in_root(config: str, out: Path):
    """Train a shipped config from the repository root (its data paths are relative to it)."""
    from khabar.train import train_from_config

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return train_from_config(str(ROOT / "configs" / config), [f"output_dir={out}"])
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def topic_run(tmp_path_factory):
    """A TF-IDF topic run on the embedded sample (trained once)."""
    return _train_in_root("sample_topic_tfidf.yaml", tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def stance_run(tmp_path_factory):
    """A TF-IDF stance run on the embedded sample (trained once)."""
    return _train_in_root("sample_stance_tfidf.yaml", tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def small_tfidf_dir(tmp_path_factory) -> Path:
    """A TF-IDF topic model (logistic regression, min_df 1) trained once on SMALL_TOPIC_TRAIN;
    the directory of the saved model."""
    from khabar.config import NormalizeConfig
    from khabar.examples import Example
    from khabar.models.params import SeedOnlyTrain, TfidfParams
    from khabar.models.tfidf import TfidfModel
    from small_corpus import SMALL_TOPIC_TRAIN

    train = [Example(id=f"{label}-{i}", text=text, label=label)
             for label, texts in SMALL_TOPIC_TRAIN.items() for i, text in enumerate(texts)]
    directory = tmp_path_factory.mktemp("tfidf") / "model"
    TfidfModel("topic", TfidfParams(classifier="logreg", min_df=1), SeedOnlyTrain(), NormalizeConfig()).fit(train).save(str(directory))
    return directory
