"""The reject option end to end: `predict:` in a config, the threshold chosen on dev and stored in
the model, and the risk–coverage and calibration figures of every evaluation (test, dev and the
extra sets, restricted to labels or not) in metrics.json, report.md and the reliability PNGs."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from repo import CONFIGS, ROOT
from sample_runs import train_in_root

from khabar.config import load_config
from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.runs.calibration import confidence_and_correct, selective

TARGET = 0.95
SUBSET = ["Finance", "Politics", "Sports"]
EXTRA = ("eval.extra=[{name: sample_subset, data: {path: data/sample/topic.jsonl, source_column: source}, "
         "only_split: test, labels: [" + ", ".join(SUBSET) + "]}]")


@pytest.fixture(scope="module")
def abstain_run(tmp_path_factory):
    """The sample topic config with a target precision and an extra set restricted to 3 labels."""
    return train_in_root("sample_topic_tfidf.yaml", tmp_path_factory.mktemp("runs"),
                         f"predict.target_precision={TARGET}", EXTRA)


def _json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as fh:
        return json.load(fh)


def test_the_threshold_is_chosen_on_dev_and_reaches_the_target_there(abstain_run):
    model = load_model(abstain_run.run_dir)
    note = model.scheme.abstain
    assert note["chosen_on"] == "dev" and note["target_precision"] == TARGET and note["reached"]
    assert model.scheme.min_confidence == note["min_confidence"]
    # recompute from the dev split itself, with the saved model
    from khabar.config import load_config as load
    from khabar.data import load_splits
    from khabar.runs.evaluate import evaluate_model

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        config = load(os.path.join(abstain_run.run_dir, "config.yaml"))
        splits = load_splits(config.data, config.task, config.train.seed, config.source)
    finally:
        os.chdir(cwd)
    conf, right = confidence_and_correct(evaluate_model(model, splits.dev)["predictions"])
    kept = selective(conf, right, note["min_confidence"])
    assert kept["accuracy"] >= TARGET
    assert kept["coverage"] == pytest.approx(note["dev_coverage"])
    # the lowest such threshold: one step lower (the next less confident dev prediction) misses it
    lower = sorted({c for c in conf if c < note["min_confidence"]})
    if lower:
        assert selective(conf, right, lower[-1])["accuracy"] < TARGET


def test_metrics_carry_risk_coverage_calibration_and_abstain_figures(abstain_run):
    metrics = _json(abstain_run.run_dir, "metrics.json")
    for split in ("test", "dev", "sample_subset"):
        for coverage in (100, 95, 90, 80, 50):
            assert 0.0 <= metrics[f"{split}.coverage_{coverage}.accuracy"] <= 1.0
            assert 0.0 <= metrics[f"{split}.coverage_{coverage}.threshold"] <= 1.0
        assert metrics[f"{split}.coverage_100.accuracy"] == pytest.approx(metrics[f"{split}.accuracy"])
        assert 0.0 <= metrics[f"{split}.aurc"] <= 1.0 and 0.0 <= metrics[f"{split}.ece"] <= 1.0
        assert 0.0 <= metrics[f"{split}.abstain.coverage"] <= 1.0
        assert os.path.isfile(os.path.join(abstain_run.run_dir, f"reliability_{split}.png"))
    assert metrics["dev.abstain.accuracy"] >= TARGET
    assert all(not isinstance(v, (dict, list)) for v in metrics.values())


def test_an_extra_set_restricted_to_labels_predicts_only_those(abstain_run):
    metrics = _json(abstain_run.run_dir, "metrics.json")
    assert set(k.split(".")[-1] for k in metrics if k.startswith("sample_subset.f1.")) == set(SUBSET)
    # the test split's other topics are counted apart, as labels outside the subset
    outside = {k.split(".")[-1] for k in metrics if k.startswith("sample_subset.unknown_label.")}
    assert outside and not outside & set(SUBSET)
    report = open(os.path.join(abstain_run.run_dir, "report.md"), encoding="utf-8").read()
    assert "Predictions restricted to Finance, Politics, Sports" in report
    assert "Risk–coverage: AURC" in report and "expected calibration error" in report
    assert "Abstaining below" in report


def test_a_fixed_min_confidence_is_stored_as_given(tmp_path):
    # the whole section replaced: the shipped sample config asks for a target precision instead
    run = train_in_root("sample_topic_tfidf.yaml", tmp_path, "predict={min_confidence: 0.5}")
    model = load_model(run.run_dir)
    assert model.scheme.abstain == {"min_confidence": 0.5, "chosen_on": "config"}
    metrics = _json(run.run_dir, "metrics.json")
    assert metrics["test.abstain.min_confidence"] == 0.5


def test_no_predict_section_stores_no_threshold(tmp_path):
    run = train_in_root("sample_topic_tfidf.yaml", tmp_path, "predict={}")  # the sample config has one
    model = load_model(run.run_dir)
    assert model.scheme.abstain is None and model.scheme.min_confidence is None
    metrics = _json(run.run_dir, "metrics.json")
    assert "test.coverage_80.accuracy" in metrics and "test.abstain.coverage" not in metrics
    with open(os.path.join(run.run_dir, "model", "README.md"), encoding="utf-8") as fh:
        assert "No abstain threshold is stored" in fh.read()  # and the model card says so


@pytest.mark.parametrize("override, message", [
    ("predict.min_confidence=1.5", "predict.min_confidence: must be <= 1.0"),
    ("predict.min_confidence=-0.1", "predict.min_confidence: must be >= 0.0"),
    ("predict.target_precision=0", "predict.target_precision: must be > 0.0"),
    ("predict.target_precision=high", "predict.target_precision: expected a number"),
    ("predict.threshold=0.5", "predict.threshold: unknown key"),
    ("predict={min_confidence: 0.5, target_precision: 0.9}", "give min_confidence .* or target_precision .*not both"),
    ("eval.extra=[{name: x, data: {path: a.jsonl}, labels: [Sports]}]", "eval.extra x: labels: name at least two"),
])
def test_predict_section_mistakes_are_one_line(override, message):
    with pytest.raises(KhabarError, match=message):
        load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), [override])


def test_extra_labels_the_model_will_not_know_fail_before_the_fit(tmp_path, capsys):
    with pytest.raises(KhabarError, match=r"eval.extra x: labels: 'Weather' not among the model's labels \(Culture, "):
        train_in_root("sample_topic_tfidf.yaml", tmp_path,
                      "eval.extra=[{name: x, data: {path: data/sample/topic.jsonl}, labels: [Sports, Weather]}]")
    assert "fitted" not in capsys.readouterr().err


def test_the_predict_and_card_sections_round_trip(tmp_path):
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"),
                         ["predict.target_precision=0.9", "card.license=cc-by-4.0", "card.limitations=[one paper]"])
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config.to_dict(), allow_unicode=True), encoding="utf-8")
    again = load_config(str(path))
    assert again.predict.target_precision == 0.9 and again.card.license == "cc-by-4.0"
    assert again.to_dict() == config.to_dict()
