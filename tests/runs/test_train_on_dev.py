"""`data.train_on_dev`: the last fit takes the dev split into training (what the model would choose
on dev it chooses by cross-validation), dev is not evaluated, and settings that need a dev split
or a streamed train split are refused before any work."""

from __future__ import annotations

import json
import os

import pytest
from repo import CONFIGS, ROOT
from sample_runs import train_in_root

from khabar.config import load_config
from khabar.data import load_splits
from khabar.errors import KhabarError
from khabar.models.base import data_fingerprint
from khabar.models.registry import get_kind


def _json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as fh:
        return json.load(fh)


def _splits(config_name):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load_config(str(CONFIGS / config_name))
        return load_splits(config.data, config.task, config.train.seed, config.source)
    finally:
        os.chdir(cwd)


def test_the_dev_split_joins_training_and_is_not_evaluated(tmp_path, capsys):
    splits = _splits("sample_stance_tfidf.yaml")
    assert splits.dev and splits.test  # the sample has all three splits, else the test proves nothing
    run = train_in_root("sample_stance_tfidf.yaml", tmp_path, "data.train_on_dev=true")
    assert "the dev split's" in capsys.readouterr().err
    metrics = _json(run.run_dir, "metrics.json")
    assert metrics["train.n"] == len(splits.train) + len(splits.dev)
    assert not any(key.startswith("dev.") for key in metrics) and metrics["test.n"] == len(splits.test)
    fingerprints = _json(run.run_dir, "provenance.json")["data_fingerprint"]
    assert fingerprints["train"] == data_fingerprint(list(splits.train) + list(splits.dev))
    assert fingerprints["dev"] == data_fingerprint([])


def test_without_it_dev_is_evaluated_and_kept_out_of_training(tmp_path):
    splits = _splits("sample_stance_tfidf.yaml")
    run = train_in_root("sample_stance_tfidf.yaml", tmp_path)
    metrics = _json(run.run_dir, "metrics.json")
    assert metrics["train.n"] == len(splits.train) and metrics["dev.n"] == len(splits.dev)


def test_a_threshold_chosen_on_dev_is_refused_with_it():
    with pytest.raises(KhabarError, match=r"predict.target_precision chooses its threshold on the dev split.*"
                                          r"set predict.min_confidence or remove data.train_on_dev"):
        load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), ["data.train_on_dev=true", "predict.target_precision=0.9"])


def test_a_kind_that_streams_its_train_split_refuses_it():
    config = load_config(str(CONFIGS / "sanad_topic_stream.yaml"))
    assert get_kind(config.model_kind).streams
    with pytest.raises(KhabarError, match=r"data.train_on_dev: the \w+ kind streams its train split"):
        load_config(str(CONFIGS / "sanad_topic_stream.yaml"), ["data.train_on_dev=true"])


def test_tune_chooses_on_dev_then_the_final_run_trains_on_it(tmp_path):
    """The GridSearchCV `refit` pattern: the trials keep dev to be scored on, the best config's
    final run takes it into training."""
    import yaml

    from khabar.runs.tune import tune

    raw = {"base": str(CONFIGS / "sample_topic_tfidf.yaml"), "output_dir": str(tmp_path / "out"),
           "data": {"path": str(ROOT / "data" / "sample" / "topic.jsonl"), "train_on_dev": True},
           "predict": {"target_precision": None},  # the sample chooses its abstain threshold on dev
           "tune": {"space": {"model.C": {"log_uniform": [0.1, 10]}}, "trials": 2}}
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = tune(str(path), final=True)
    assert all(r["state"] == "complete" and r["dev"] is not None for r in result.trials)
    splits = _splits("sample_topic_tfidf.yaml")
    metrics = _json(result.final.run_dir, "metrics.json")
    assert metrics["train.n"] == len(splits.train) + len(splits.dev) and "dev.macro_f1" not in metrics
