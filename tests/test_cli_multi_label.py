"""`khabar train/predict/explain/evaluate/data stats` on a multi-label topic model: the label sets in
JSON-lines and CSV, the evaluation figures, and the one-line refusals of flags that do not apply."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import yaml
from multi_label_model import BOTH, ONE, config_dict, rows, train_multi_label, write_corpus

from khabar.models.base import load_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return str(train_multi_label(tmp_path_factory.mktemp("multi-label-cli")))


def decided(model, text: str) -> list[str]:
    """The labels at or above their thresholds, most probable first (at least the top one)."""
    row = model.predict_proba([text])[0]
    above = sorted((j for j in range(len(row)) if row[j] >= model.thresholds_[j]), key=lambda j: -row[j])
    return [model.labels_[j] for j in above or [int(np.argmax(row))]]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("khabar: error: ") and "Traceback" not in err, err
    return lines[0]


def test_predict_prints_every_decided_label(model_dir, cli, capsys):
    model = load_model(model_dir)
    assert cli("predict", model_dir, "--text", BOTH, "--top-k", "3") == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["label"] for e in record["labels"]] == decided(model, BOTH)
    assert len(record["labels"]) == 2 and record["label"] == record["labels"][0]["label"]
    assert record["abstained"] is False and len(record["top_k"]) == 3


def test_predict_csv_joins_the_labels(model_dir, cli, capsys, tmp_path):
    model = load_model(model_dir)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate([BOTH, ONE])),
                      encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli("predict", model_dir, str(source), "--format", "csv", "--output", str(out)) == 0
    got = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["labels"] for row in got] == ["|".join(decided(model, BOTH)), "|".join(decided(model, ONE))]
    assert all(len(row["probabilities"].split("|")) == len(row["labels"].split("|")) for row in got)
    capsys.readouterr()


@pytest.mark.parametrize("command, flags", [
    ("predict", ["--min-confidence", "0.5"]), ("predict", ["--labels", "sports,finance"]),
    ("evaluate", ["--min-confidence", "0.5"]), ("evaluate", ["--labels", "sports,finance"]),
])
def test_flags_a_multi_label_model_cannot_honour_are_one_line(model_dir, cli, capsys, tmp_path, command, flags):
    data = write_corpus(tmp_path / "data.jsonl")
    where = ["--text", ONE] if command == "predict" else ["--data", str(data)]
    assert cli(command, model_dir, *where, *flags) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _one_error_line(captured.err).startswith(f"khabar: error: {flags[0]}: a multi-label model")


def test_explain_text_names_each_decided_label(model_dir, cli, capsys):
    model = load_model(model_dir)
    assert cli("explain", model_dir, "--text", BOTH, "--format", "text", "--top", "3") == 0
    out = capsys.readouterr().out
    explained = [line.split(" (p=")[0].strip() for line in out.splitlines() if " (p=" in line]
    assert explained == decided(model, BOTH)


def test_evaluate_reads_label_lists_and_reports_set_figures(model_dir, cli, capsys, tmp_path):
    data = write_corpus(tmp_path / "data.jsonl")
    assert cli("evaluate", model_dir, "--data", str(data), "--split", "test") == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    n = sum(1 for row in rows() if row["split"] == "test")
    assert first.startswith(f"n {n} ") and "micro-F1" in first and "samples-F1" in first and "Hamming loss" in first
    for label in ("sports", "finance", "politics"):
        assert any(line.startswith(label) for line in out.splitlines())


def test_evaluate_reads_a_delimited_column_with_the_delimiter_given(model_dir, cli, capsys, tmp_path):
    data = tmp_path / "data.csv"
    with open(data, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "topics"])
        for row in rows():
            writer.writerow([row["text"], ";".join(row["labels"])])
    assert cli("evaluate", model_dir, "--data", str(data), "--label-column", "topics", "--label-delimiter", ";") == 0
    assert capsys.readouterr().out.startswith(f"n {len(rows())} ")
    # without the delimiter, "sports;finance" is one label the model does not know: reported apart
    assert cli("evaluate", model_dir, "--data", str(data), "--label-column", "topics") == 0
    out = capsys.readouterr().out
    assert "'sports;finance' unknown to the model" in out


def test_label_delimiter_is_refused_for_a_single_label_model(small_tfidf_dir, cli, capsys, tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"text": ONE, "label": "sports"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("evaluate", str(small_tfidf_dir), "--data", str(data), "--label-delimiter", ";") == 2
    assert "--label-delimiter: only for a multi-label model" in _one_error_line(capsys.readouterr().err)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi-label-config")
    raw = config_dict(write_corpus(folder / "topics.jsonl"))
    raw["output_dir"] = str(folder / "experiments")
    path = folder / "multi.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_data_stats_counts_label_sets(config_file, cli, capsys):
    assert cli("data", "stats", str(config_file)) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("labels per article:")]
    for split in ("train", "dev", "test"):
        two = sum(1 for row in rows() if row["split"] == split and len(row["labels"]) == 2)
        assert f"{split} 1 label: {sum(1 for row in rows() if row['split'] == split) - two}, 2 labels: {two}" in line


def test_train_then_evaluate_the_run(config_file, cli, capsys):
    assert cli("train", str(config_file)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["split", "micro-F1", "macro-F1", "samples-F1", "Hamming", "loss", "subset", "accuracy", "n"]
    run = out[-1].removeprefix("run: ")
    data = config_file.parent / "topics.jsonl"
    assert cli("evaluate", run, "--data", str(data)) == 0
    assert capsys.readouterr().out.startswith(f"n {len(rows())} ")


@pytest.mark.parametrize("flags", [["--min-confidence", "0.5"], ["--labels", "sports,finance"]])
def test_serve_refuses_defaults_a_multi_label_model_cannot_honour_before_binding(model_dir, cli, capsys, flags):
    assert cli("serve", model_dir, "--port", "8765", *flags) == 2
    assert _one_error_line(capsys.readouterr().err).startswith(f"khabar: error: {flags[0]}: a multi-label model")


def test_evaluate_takes_the_label_set_column_when_a_file_has_both(model_dir, cli, capsys, tmp_path):
    """A file with `label` (the single-label view) and `labels` (the sets): a multi-label model's
    gold is the set; taking `label` would silently score every article as single-topic."""
    source = tmp_path / "both.jsonl"
    source.write_text("".join(json.dumps({"id": f"r{i}", "text": r["text"], "label": r["labels"][0],
                                          "labels": r["labels"]}, ensure_ascii=False) + "\n"
                              for i, r in enumerate(rows())), encoding="utf-8")
    out = tmp_path / "eval"
    assert cli("evaluate", model_dir, "--data", str(source), "--out", str(out)) == 0
    captured = capsys.readouterr()
    assert "gold label sets from column 'labels'" in captured.err
    gold = [json.loads(line)["gold"] for line in (out / "predictions.jsonl").read_text("utf-8").splitlines()]
    assert any(len(g) == 2 for g in gold)
    assert sorted(map(sorted, gold)) == sorted(sorted(r["labels"]) for r in rows())


def test_evaluate_reads_zero_one_columns_named_after_the_models_labels(model_dir, cli, capsys, tmp_path):
    model = load_model(model_dir)
    source = tmp_path / "flags.csv"
    lines = ["id,text," + ",".join(model.labels_)]
    for i, r in enumerate(rows()):
        lines.append(f"r{i},{r['text']}," + ",".join("1" if lab in r["labels"] else "0" for lab in model.labels_))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "eval"
    assert cli("evaluate", model_dir, "--data", str(source), "--out", str(out)) == 0
    assert "gold label sets from the 0/1 columns" in capsys.readouterr().err
    gold = [json.loads(line)["gold"] for line in (out / "predictions.jsonl").read_text("utf-8").splitlines()]
    assert sorted(map(sorted, gold)) == sorted(sorted(r["labels"]) for r in rows())
