"""`khabar predict/evaluate/serve --min-confidence/--labels` and `khabar card`: the flags, their
one-line refusals, and the abstained shape in the CLI's JSON-lines and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil

import pytest
from repo import SAMPLE

from khabar.models.base import load_model

SPORTS = "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة أمام جمهوره"
FINANCE = "ارتفعت أسهم البنوك في البورصة بعد قرار البنك المركزي خفض أسعار الفائدة"


@pytest.fixture(scope="module")
def stored(tmp_path_factory, topic_run):
    """A copy of the sample topic run whose model stores an abstain threshold above its confidence
    on SPORTS (set in the manifest, which is not among the hashed files)."""
    run = tmp_path_factory.mktemp("abstain-cli") / "run"
    shutil.copytree(topic_run.run_dir, run)
    top = float(load_model(str(run)).predict_proba([SPORTS]).max())
    assert top < 1.0
    path = run / "model" / "khabar.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["abstain"] = {"min_confidence": (top + 1.0) / 2, "chosen_on": "config"}
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return str(run)


def _last_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("khabar: error: "), err
    assert "Traceback" not in err
    return lines[-1]


def test_predict_uses_the_stored_threshold_and_zero_switches_it_off(stored, cli, capsys):
    assert cli("predict", stored, "--text", SPORTS) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["label"] is None and record["abstained"] is True and len(record["top_k"]) == 3
    assert record["top_k"][0]["label"] == "Sports"
    assert cli("predict", stored, "--text", SPORTS, "--min-confidence", "0") == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["label"] == "Sports" and record["abstained"] is False


def test_predict_csv_shows_an_abstained_row_with_an_empty_label(stored, cli, capsys, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text(f"{SPORTS}\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli("predict", stored, str(source), "--format", "csv", "--output", str(out), "--min-confidence", "1") == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["label"] == "" and rows[0]["abstained"] == "true" and rows[0]["top_k"].startswith("Sports:")
    capsys.readouterr()


def test_predict_restricted_to_labels(topic_run, cli, capsys):
    assert cli("predict", topic_run.run_dir, "--text", FINANCE, "--labels", "Sports,Finance", "--top-k", "5") == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["label"] == "Finance" and [t["label"] for t in record["top_k"]] == ["Finance", "Sports"]
    assert sum(t["probability"] for t in record["top_k"]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("args, message", [
    (("--min-confidence", "1.5"), "argument --min-confidence: must be from 0 to 1, got 1.5"),
    (("--min-confidence", "-0.1"), "argument --min-confidence: must be from 0 to 1, got -0.1"),
    (("--min-confidence", "nan"), "argument --min-confidence: must be from 0 to 1, got nan"),
    (("--min-confidence", "high"), "argument --min-confidence: expected a number, got 'high'"),
    (("--labels", "Sports,Weather"), "--labels: 'Weather' not among the model's labels (Culture, Finance,"),
    (("--labels", "Sports"), "--labels: ['Sports']: name at least two labels"),
    (("--labels", ","), "--labels ',': expected label names separated by commas"),
])
def test_predict_flag_mistakes_are_one_line(topic_run, cli, capsys, args, message):
    assert cli("predict", topic_run.run_dir, "--text", SPORTS, *args) == 2
    captured = capsys.readouterr()
    assert message in _last_error(captured.err) and captured.out == ""


def test_evaluate_restricted_with_a_threshold_writes_the_figures(topic_run, cli, capsys, tmp_path):
    out = tmp_path / "eval"
    assert cli("evaluate", topic_run.run_dir, "--data", str(SAMPLE / "topic.jsonl"), "--split", "test",
               "--labels", "Sports,Finance,Politics", "--min-confidence", "0.5", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "accuracy at coverage: 100%" in printed and "AURC" in printed and "ECE" in printed
    assert "abstaining below 0.5000: coverage" in printed and "outside --labels" in printed
    assert sorted(os.listdir(out)) == ["confusion_matrix.png", "metrics.json", "predictions.jsonl", "reliability_eval.png",
                                       "report.md"]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert {k.split(".")[-1] for k in metrics if k.startswith("eval.f1.")} == {"Finance", "Politics", "Sports"}
    for key in ("eval.coverage_80.accuracy", "eval.coverage_50.accuracy", "eval.aurc", "eval.ece", "eval.abstain.coverage"):
        assert key in metrics
    assert cli("evaluate", topic_run.run_dir, "--data", str(SAMPLE / "topic.jsonl"), "--labels", "Sports,Nope") == 2
    assert "'Nope' not among the model's labels" in _last_error(capsys.readouterr().err)


def test_serve_passes_labels_and_min_confidence_only_when_given(topic_run, cli, monkeypatch):
    import khabar.serving.http as http

    seen = []
    monkeypatch.setattr(http, "serve", lambda model, **kwargs: seen.append(kwargs))
    assert cli("serve", topic_run.run_dir, "--labels", "Sports,Finance", "--min-confidence", "0.7") == 0
    assert seen[-1]["labels"] == ["Sports", "Finance"] and seen[-1]["min_confidence"] == 0.7
    assert cli("serve", topic_run.run_dir) == 0
    assert "labels" not in seen[-1] and "min_confidence" not in seen[-1]
    assert cli("serve", topic_run.run_dir, "--min-confidence", "2") == 2


def test_khabar_card_on_a_run(topic_run, cli, capsys, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(topic_run.run_dir, run)
    assert cli("card", str(run), "--print") == 0
    out = capsys.readouterr().out
    assert out.startswith("---\n") and "library_name: khabar" in out and out.rstrip().endswith(f"{run}/model/README.md")
    load_model(str(run))
    assert cli("card", str(tmp_path / "nowhere")) == 2
    assert "no such directory" in _last_error(capsys.readouterr().err)
