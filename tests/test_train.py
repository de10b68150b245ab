import json
import os

import pytest

from khabar.cli import main


def test_run_directory_is_complete(topic_run):
    run = topic_run.run_dir
    for name in ("config.yaml", "metrics.json", "predictions.jsonl", "confusion_matrix.png", "report.md",
                 "provenance.json", "model/khabar.json"):
        assert os.path.isfile(os.path.join(run, name)), name
    metrics = json.load(open(os.path.join(run, "metrics.json"), encoding="utf-8"))
    assert list(metrics) == sorted(metrics)
    assert all(not isinstance(v, (dict, list)) for v in metrics.values())
    assert 0.0 <= metrics["test.accuracy"] <= 1.0 and metrics["test.n"] > 0
    provenance = json.load(open(os.path.join(run, "provenance.json"), encoding="utf-8"))
    assert provenance["seed"] == 13 and provenance["data_fingerprint"]["train"]
    assert "scikit-learn" in provenance["packages"]
    # no temporary directory is left beside the finished run
    parent = os.path.dirname(run)
    assert not [d for d in os.listdir(parent) if d.endswith(".incomplete")]


def test_sample_topic_model_beats_chance_by_far(topic_run):
    # 7 balanced topics: chance is about 0.14; the sample is small, so only a loose floor.
    assert topic_run.headline["test"]["accuracy"] > 0.6


def test_predictions_file_matches_test_split(topic_run):
    lines = open(os.path.join(topic_run.run_dir, "predictions.jsonl"), encoding="utf-8").read().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == topic_run.headline["test"]["n"]
    assert {"id", "gold", "predicted", "probability", "top_k"} <= set(records[0])


def test_report_mentions_per_class_and_sources(topic_run):
    report = open(os.path.join(topic_run.run_dir, "report.md"), encoding="utf-8").read()
    assert "| label | precision" in report and "| source |" in report


def test_failed_run_leaves_nothing(tmp_path, monkeypatch, root):
    from khabar.models.tfidf import TfidfModel

    def broken(self, directory):
        raise OSError("disk full")

    monkeypatch.setattr(TfidfModel, "save_weights", broken)
    monkeypatch.chdir(root)
    with pytest.raises(OSError):
        main(["train", "configs/sample_topic_tfidf.yaml", "--set", f"output_dir={tmp_path}"])
    assert not any(p.is_dir() and any(p.iterdir()) for p in tmp_path.iterdir())


def test_cli_train_prints_table_and_run(tmp_path, capsys, root, monkeypatch):
    monkeypatch.chdir(root)
    assert main(["train", "configs/sample_stance_tfidf.yaml", "--set", f"output_dir={tmp_path}"]) == 0
    out = capsys.readouterr()
    assert "macro-F1" in out.out and "run: " in out.out
    assert "fitted in" in out.err  # progress lines go to stderr


def test_missing_data_file_exits_2(tmp_path, capsys, root, monkeypatch):
    monkeypatch.chdir(root)
    code = main(["train", "configs/sample_topic_tfidf.yaml", "--set", "data.path=nowhere.jsonl",
                 "--set", f"output_dir={tmp_path}"])
    assert code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("khabar: error:")]
    assert len(errors) == 1 and "nowhere.jsonl" in errors[0] and "Traceback" not in err
    assert not list(tmp_path.iterdir())
