import csv
import io
import json

import numpy as np
import pytest

from khabar.cli import main
from khabar.models.base import load_model

SPORTS = "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة أمام جمهوره"
FINANCE = "ارتفعت أسهم البنوك في البورصة بعد قرار البنك المركزي خفض أسعار الفائدة"


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_predict_text(topic_run, capsys):
    assert main(["predict", topic_run.run_dir, "--text", SPORTS, "--top-k", "2"]) == 0
    [record] = _records(capsys.readouterr().out)
    assert record["label"] == "Sports"
    assert len(record["top_k"]) == 2 and record["top_k"][0]["label"] == "Sports"
    assert record["probability"] == record["top_k"][0]["probability"]


def test_predict_stdin_one_article_per_line(topic_run, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{SPORTS}\n\n{FINANCE}\n"))
    assert main(["predict", topic_run.run_dir, "-"]) == 0
    records = _records(capsys.readouterr().out)
    assert [r["id"] for r in records] == ["line-1", "line-3"]
    assert [r["label"] for r in records] == ["Sports", "Finance"]


def test_predict_txt_file_and_folder(topic_run, tmp_path, capsys):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(SPORTS, encoding="utf-8")
    (folder / "b.txt").write_text(FINANCE, encoding="utf-8")
    assert main(["predict", topic_run.run_dir, str(folder / "a.txt")]) == 0
    assert [r["label"] for r in _records(capsys.readouterr().out)] == ["Sports"]
    assert main(["predict", topic_run.run_dir, str(folder)]) == 0
    labels = {r["id"]: r["label"] for r in _records(capsys.readouterr().out)}
    assert sorted(labels.values()) == ["Finance", "Sports"]


def test_predict_csv_and_jsonl_with_csv_output(topic_run, tmp_path, capsys):
    table = tmp_path / "news.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows([["n1", SPORTS], ["n2", FINANCE]])
    lines = tmp_path / "news.jsonl"
    lines.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in [("j1", FINANCE)]),
                     encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["predict", topic_run.run_dir, str(table), "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [(r["id"], r["label"]) for r in rows] == [("n1", "Sports"), ("n2", "Finance")]
    assert rows[0]["top_k"].startswith("Sports:")
    assert main(["predict", topic_run.run_dir, str(lines)]) == 0
    assert _records(capsys.readouterr().out)[0]["id"] == "j1"


def test_predict_matches_the_model_api(topic_run, capsys):
    model = load_model(topic_run.run_dir)
    expected = model.predict_proba([FINANCE])[0]
    main(["predict", topic_run.run_dir, "--text", FINANCE, "--top-k", "7"])
    record = _records(capsys.readouterr().out)[0]
    got = {t["label"]: t["probability"] for t in record["top_k"]}
    assert np.allclose([got[label] for label in model.labels_], expected, atol=1e-6)


def test_experiment_folder_uses_newest_run(topic_run, capsys):
    import os

    folder = os.path.dirname(topic_run.run_dir)
    assert main(["predict", folder, "--text", SPORTS]) == 0
    captured = capsys.readouterr()
    assert "using the newest run" in captured.err and _records(captured.out)[0]["label"] == "Sports"


def test_stance_pair_from_flags_and_file(stance_run, tmp_path, capsys):
    claim = "وزارة التربية تعلن تأجيل الامتحانات النهائية"
    assert main(["predict", stance_run.run_dir, "--text", claim, "--pair", "الوزارة تنفي تأجيل الامتحانات"]) == 0
    [record] = _records(capsys.readouterr().out)
    assert record["label"] in {"agree", "disagree", "discuss", "unrelated"}
    table = tmp_path / "pairs.jsonl"
    table.write_text(json.dumps({"id": "p1", "claim": claim, "text": "خبر عن مباراة كرة القدم"}, ensure_ascii=False),
                     encoding="utf-8")
    assert main(["predict", stance_run.run_dir, str(table)]) == 0
    assert _records(capsys.readouterr().out)[0]["id"] == "p1"


@pytest.mark.parametrize("argv_tail, message", [
    ([], "nothing to label"),
    (["--text", "   "], "empty text"),
    (["--text", "نص", "--pair", "نص آخر"], "--pair is for stance"),
    (["/no/such/file.txt"], "/no/such/file.txt"),
])
def test_predict_errors_exit_2_with_one_line(topic_run, capsys, argv_tail, message):
    assert main(["predict", topic_run.run_dir, *argv_tail]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("khabar: error:")]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_stance_model_needs_pair(stance_run, capsys):
    assert main(["predict", stance_run.run_dir, "--text", "ادعاء"]) == 2
    assert "--pair" in capsys.readouterr().err


def test_not_a_model_directory(tmp_path, capsys):
    assert main(["predict", str(tmp_path), "--text", "نص"]) == 2
    assert "not a khabar model" in capsys.readouterr().err
