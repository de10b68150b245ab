"""khabar.runs.train: config -> data -> fit -> evaluate -> run directory, and `fit_from_config`,
which fits and writes nothing."""

from __future__ import annotations

import json
import os
import threading

import pytest
from repo import CONFIGS, ROOT

from khabar.config import load_config
from khabar.models.tfidf.model import TfidfModel
from khabar.runs.train import fit_from_config, train_from_config

RUN_FILES = ("config.yaml", "metrics.json", "predictions.jsonl", "confusion_matrix.png", "report.md",
             "provenance.json", "model/khabar.json")


def test_run_directory_is_complete(topic_run):
    run = topic_run.run_dir
    for name in RUN_FILES:
        assert os.path.isfile(os.path.join(run, name)), name
    with open(os.path.join(run, "metrics.json"), encoding="utf-8") as fh:
        metrics = json.load(fh)
    assert list(metrics) == sorted(metrics)
    assert all(not isinstance(v, (dict, list)) for v in metrics.values())
    assert 0.0 <= metrics["test.accuracy"] <= 1.0 and metrics["test.n"] > 0
    with open(os.path.join(run, "provenance.json"), encoding="utf-8") as fh:
        provenance = json.load(fh)
    assert provenance["seed"] == 13 and provenance["data_fingerprint"]["train"]
    assert "scikit-learn" in provenance["packages"]
    # no temporary directory is left beside the finished run
    parent = os.path.dirname(run)
    assert not [d for d in os.listdir(parent) if d.startswith(".")]


def test_the_saved_config_reloads_to_the_same_config(topic_run):
    saved = load_config(os.path.join(topic_run.run_dir, "config.yaml"))
    original = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), [f"output_dir={saved.output_dir}"])
    assert saved.to_dict() == original.to_dict()


def test_the_manifest_carries_the_headline_metrics(topic_run):
    with open(os.path.join(topic_run.run_dir, "model", "khabar.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    assert manifest["metrics"] == topic_run.headline
    assert "temperature" in manifest["probabilities"]  # linear_svc: how its probabilities were made


def test_sample_topic_model_beats_chance_by_far(topic_run):
    # 7 balanced topics: chance is about 0.14; the sample is small, so only a loose floor.
    assert topic_run.headline["test"]["accuracy"] > 0.6


def test_predictions_file_matches_test_split(topic_run):
    with open(os.path.join(topic_run.run_dir, "predictions.jsonl"), encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert len(records) == topic_run.headline["test"]["n"]
    assert {"id", "gold", "predicted", "probability", "top_k"} <= set(records[0])


def test_report_mentions_per_class_and_sources(topic_run):
    with open(os.path.join(topic_run.run_dir, "report.md"), encoding="utf-8") as fh:
        report = fh.read()
    assert "| label | precision" in report and "| source |" in report


def test_fit_from_config_returns_a_fitted_model_and_the_splits_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "never-written"
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), [f"output_dir={out}"])
    model, splits = fit_from_config(config)
    assert isinstance(model, TfidfModel) and model.fit_seconds_ >= 0
    assert sorted(model.labels_) == sorted({ex.label for ex in splits.train})
    assert len(splits.train) > len(splits.test) > 0 and len(splits.dev) > 0
    assert {ex.split for ex in splits.test} == {"test"}
    assert model.predict([splits.test[0].text])[0] in model.labels_
    assert not out.exists()


def test_fit_from_config_takes_splits_already_loaded(tmp_path, monkeypatch):
    from khabar.data import load_splits

    monkeypatch.chdir(ROOT)
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), [f"output_dir={tmp_path / 'out'}"])
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    model, same = fit_from_config(config, splits=splits)
    assert same is splits and model.data_fingerprint_
    assert not (tmp_path / "out").exists()


def test_two_trainings_of_one_config_at_once_each_write_their_own_run(tmp_path, monkeypatch):
    """Same config, same output_dir, started together (in the same second): two complete runs."""
    monkeypatch.chdir(ROOT)
    start, results, errors = threading.Barrier(2), [], []

    def train():
        try:
            start.wait()
            results.append(train_from_config(str(CONFIGS / "sample_stance_tfidf.yaml"), [f"output_dir={tmp_path}"]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=train) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    runs = sorted(r.run_dir for r in results)
    assert len(set(runs)) == 2
    assert sorted(os.listdir(tmp_path / "sample_stance_tfidf")) == sorted(os.path.basename(r) for r in runs)
    for run in runs:
        for name in RUN_FILES:
            assert os.path.isfile(os.path.join(run, name)), (run, name)
        with open(os.path.join(run, "model", "khabar.json"), encoding="utf-8") as fh:
            assert json.load(fh)["kind"] == "tfidf"


def test_failed_run_leaves_nothing(tmp_path, monkeypatch, root, cli):
    def broken(self, directory):
        raise OSError("disk full")

    monkeypatch.setattr(TfidfModel, "save_weights", broken)
    monkeypatch.chdir(root)
    with pytest.raises(OSError):
        cli("train", "configs/sample_topic_tfidf.yaml", "--set", f"output_dir={tmp_path}")
    # no file, and no run folder (its name was reserved for the run, then given back)
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")] in ([], ["sample_topic_tfidf"])


def test_a_config_extra_evaluation_is_reported(tmp_path, monkeypatch):
    """eval.extra: another labeled set, evaluated after training, in metrics and the report."""
    monkeypatch.chdir(ROOT)
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "فاز الفريق في المباراة النهائية للبطولة", "label": "sport"},
        {"text": "ارتفعت أسعار الأسهم في البورصة", "label": "economy"},
        {"text": "حريق في سوق شعبي", "label": "local"},
    ]), encoding="utf-8")
    overrides = [f"output_dir={tmp_path / 'runs'}",
                 f"eval.extra=[{{name: other, data: {{path: {other}}}, label_map: {{sport: Sports, economy: Finance}}}}]"]
    result = train_from_config(str(CONFIGS / "sample_topic_tfidf.yaml"), overrides)
    assert result.metrics["other.n"] == 2 and result.metrics["other.unknown_label.local"] == 1
    with open(os.path.join(result.run_dir, "report.md"), encoding="utf-8") as fh:
        assert "## other" in fh.read()


@pytest.mark.slow
def test_sample_topic_bert_config_trains_from_scratch(tmp_path, monkeypatch):
    """The embedded sample with a scratch BERT, end to end (about a minute on 2 cores)."""
    pytest.importorskip("transformers")
    from khabar.models.base import load_model
    from khabar.models.transformer.model import TransformerModel

    monkeypatch.chdir(ROOT)
    result = train_from_config("configs/sample_topic_bert.yaml", [f"output_dir={tmp_path}"])
    # seven topics, 36 test articles: chance is about 0.14; a random-init BERT on ~160 articles
    # lands around 0.3-0.6 depending on seed and settings
    assert result.headline["test"]["accuracy"] > 0.25
    assert isinstance(load_model(result.run_dir), TransformerModel)
