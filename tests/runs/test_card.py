"""The model card (model/README.md): a Hugging Face card with the run's figures, listed in the
manifest's files so the model still loads, and rewritten by `khabar card RUN`. No Hub access."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.runs.card import CARD, card_text, regenerate


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _card(path):
    from huggingface_hub import ModelCard

    return ModelCard.load(str(path))  # a local path: read from disk


def _json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def test_every_run_has_a_card_that_parses_with_the_right_metrics(topic_run):
    model_dir = os.path.join(topic_run.run_dir, "model")
    card = _card(os.path.join(model_dir, CARD))
    data = card.data
    assert data.language == "ar" and data.library_name == "khabar" and data.pipeline_tag == "text-classification"
    assert {"arabic", "topic-classification", "tfidf"} <= set(data.tags)
    assert data.license == "apache-2.0" and data.model_name == "sample_topic_tfidf"  # card.license of the config
    metrics = _json(os.path.join(topic_run.run_dir, "metrics.json"))
    found = {(r.dataset_split, r.metric_type): r.metric_value for r in data.eval_results}
    assert found[("test", "accuracy")] == pytest.approx(metrics["test.accuracy"], abs=5e-5)
    assert found[("test", "f1")] == pytest.approx(metrics["test.macro_f1"], abs=5e-5)
    assert found[("test", "expected_calibration_error")] == pytest.approx(metrics["test.ece"], abs=5e-5)
    assert not any(r.dataset_split == "dev" for r in data.eval_results)  # dev was chosen and calibrated on
    text = card.text
    manifest = _json(os.path.join(model_dir, "khabar.json"))
    for needle in ("## Labels", "`Sports`", manifest["data_fingerprint"], "Preset `standard`", "## Parameters",
                   "| test | 36 |", "Per source:", "alraed_daily", "Risk–coverage", "## Calibration and abstaining",
                   "Abstain threshold: **", "chosen on the dev split for a target precision of 0.95",
                   "## Intended use", "## Limitations", "khabar predict"):
        assert needle in text, needle


def test_a_model_dir_with_its_card_loads_and_lists_it(topic_run):
    model_dir = os.path.join(topic_run.run_dir, "model")
    manifest = _json(os.path.join(model_dir, "khabar.json"))
    assert CARD in manifest["files"]
    assert load_model(model_dir).labels_  # verified with the card among its files


def test_khabar_card_regenerates_the_card_and_keeps_the_hashes(topic_run, tmp_path, cli, capsys):
    run = tmp_path / "run"
    shutil.copytree(topic_run.run_dir, run)
    card_path = run / "model" / CARD
    before = card_path.read_text(encoding="utf-8")
    card_path.write_text("stale", encoding="utf-8")  # an edited card: replaced, not refused
    with open(run / "config.yaml", "a", encoding="utf-8") as fh:
        fh.write("card:\n  license: cc-by-4.0\n  limitations: [Written by hand for tests.]\n")
    assert cli("card", str(run)) == 0
    assert f"written: {card_path}" in capsys.readouterr().out
    after = card_path.read_text(encoding="utf-8")
    assert after != before and _card(card_path).data.license == "cc-by-4.0" and "Written by hand for tests." in after
    manifest = _json(run / "model" / "khabar.json")
    assert manifest["files"][CARD]["size"] == len(after.encode("utf-8"))
    load_model(str(run))  # every hash still matches
    assert cli("card", str(run / "model")) == 0 and card_path.read_text(encoding="utf-8") == after  # same inputs, same card


def test_khabar_card_refuses_a_model_whose_weights_changed(topic_run, tmp_path, cli, capsys):
    run = tmp_path / "run"
    shutil.copytree(topic_run.run_dir, run)
    with open(run / "model" / "pipeline.skops", "ab") as fh:
        fh.write(b"x")
    assert cli("card", str(run)) == 2
    assert "pipeline.skops" in capsys.readouterr().err
    with pytest.raises(KhabarError, match="pipeline.skops"):
        regenerate(str(run))


def test_a_bare_model_dir_gets_a_card_from_its_manifest(small_tfidf_dir, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(small_tfidf_dir, model_dir)
    assert not (model_dir / CARD).exists()
    regenerate(str(model_dir))
    card = _card(model_dir / CARD)
    assert card.data.library_name == "khabar" and "No evaluation recorded" in card.text
    assert CARD in _json(model_dir / "khabar.json")["files"]
    load_model(str(model_dir))


def test_card_text_shows_the_abstain_threshold_extra_sets_and_a_single_source():
    manifest = {"kind": "tfidf", "task": "topic", "labels": ["A", "B"], "normalize": {"preset": "light"},
                "params": {}, "train": {"seed": 1}, "data_fingerprint": "f" * 16, "khabar_version": "0.1.0",
                "abstain": {"min_confidence": 0.7, "target_precision": 0.98, "dev_precision": 0.981,
                            "dev_coverage": 0.8, "reached": True}}
    metrics = {"test.accuracy": 0.9, "test.macro_f1": 0.88, "test.n": 10, "test.ece": 0.05, "test.aurc": 0.02,
               "test.coverage_80.accuracy": 0.97, "test.abstain.coverage": 0.75, "test.abstain.accuracy": 0.99,
               "other.accuracy": 0.6, "other.macro_f1": 0.5, "other.n": 5, "other.unknown_label.c": 3}
    config = {"name": "m", "data": {"path": ["x/news.jsonl.gz"]}, "card": {"datasets": ["org/news"]},
              "eval": {"extra": [{"name": "other", "data": {"path": ["y/other.jsonl"]}, "labels": ["A", "B"],
                                  "label_map": {"a": "A"}}]}}
    text = card_text(manifest, metrics, config, {"train_sources": {"one_paper": 100}})
    from huggingface_hub import ModelCard

    card = ModelCard(text)
    assert card.data.datasets == ["org/news"]
    assert {(r.dataset_name, r.metric_type) for r in card.data.eval_results} >= {("other", "accuracy"), ("m: test", "accuracy")}
    assert "Abstain threshold: **0.7000**" in text and "target precision of 0.98" in text
    assert "At this threshold: test: coverage 0.7500, accuracy 0.9900" in text
    assert "Trained on one source (one_paper)" in text and "On another source (other) accuracy is 0.6000" in text
    assert "prediction restricted to A, B" in text and "c (3)" in text
