"""khabar.serving.predict and `khabar predict`: label new articles from any input form, ranked the
one way every output ranks them."""

from __future__ import annotations

import csv
import io
import json
import os

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.models.predict import DIGITS, predict_examples, predict_proba_in_batches
from khabar.models.scheme import OneLabel, rank_top_k
from khabar.serving.predict import examples_from_stream, examples_from_strings
from khabar.serving.writers import write_records

SPORTS = "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة أمام جمهوره"
FINANCE = "ارتفعت أسهم البنوك في البورصة بعد قرار البنك المركزي خفض أسعار الفائدة"


def records_from_proba(labels, ids, proba, top_k=3, min_confidence=None):
    """What `predict_examples` writes for these probabilities: the scheme's rows, ids first, to 6 digits."""
    rows = OneLabel().rows(labels, proba, top_k, DIGITS, min_confidence)
    return [{"id": identifier, **row} for identifier, row in zip(ids, rows)]


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- the library ---------------------------------------------------------------------------------

def test_rank_top_k_is_stable_on_ties():
    proba = np.array([[0.2, 0.4, 0.4], [0.1, 0.1, 0.8]])
    order, probs = rank_top_k(proba, 2)
    assert order.tolist() == [[1, 2], [2, 0]]
    assert probs.tolist() == [[0.4, 0.4], [0.8, 0.1]]
    assert rank_top_k(proba, 10)[0].shape == (2, 3)


def test_ranked_and_records_share_one_shape():
    proba = np.array([[0.1234567, 0.8765433]])
    (row,) = OneLabel().rows(["a", "b"], proba, top_k=1)
    assert row == {"label": "b", "probability": pytest.approx(0.8765433), "abstained": False,
                   "top_k": [{"label": "b", "probability": pytest.approx(0.8765433)}]}
    (record,) = records_from_proba(["a", "b"], ["x1"], proba)
    assert list(record) == ["id", "label", "probability", "abstained", "top_k"]
    assert record["probability"] == 0.876543 and record["top_k"][1] == {"label": "a", "probability": 0.123457}


def test_write_records_as_jsonl_and_csv():
    records = records_from_proba(["a", "b"], ["x1", "x2"], np.array([[0.25, 0.75], [0.9, 0.1]]))
    out = io.StringIO()
    write_records(records, "jsonl", out)
    assert _records(out.getvalue()) == records
    out = io.StringIO()
    write_records(records, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0] == {"id": "x1", "label": "b", "probability": "0.750000", "abstained": "false", "top_k": "b:0.7500;a:0.2500"}


def test_examples_from_strings_and_stream():
    assert examples_from_strings("topic", "نص", None)[0].inputs == "نص"
    assert examples_from_strings("stance", "ادعاء", "خبر")[0].inputs == ("ادعاء", "خبر")
    lines = examples_from_stream("topic", io.StringIO("أ\n\n  \nب\n"))
    assert [(e.id, e.text) for e in lines] == [("line-1", "أ"), ("line-4", "ب")]
    pairs = examples_from_stream("stance", io.StringIO("ادعاء\tخبر\n"))
    assert pairs[0].inputs == ("ادعاء", "خبر")
    with pytest.raises(KhabarError, match=r"<stdin>: line 2: a stance model needs 'claim<TAB>text'"):
        examples_from_stream("stance", io.StringIO("ادعاء\tخبر\nبلا فاصل\n"))
    with pytest.raises(KhabarError, match="<stdin>: no text to label"):
        examples_from_stream("topic", io.StringIO("\n \n"))


def test_predict_examples_in_batches_matches_one_call(small_tfidf_dir):
    model = load_model(str(small_tfidf_dir))
    texts = [SPORTS, FINANCE, "الحكومة والبرلمان"] * 3
    whole = model.predict_proba(texts)
    np.testing.assert_allclose(predict_proba_in_batches(model, texts, batch_size=2), whole)
    assert predict_proba_in_batches(model, [], batch_size=2).shape == (0, len(model.labels_))
    examples = examples_from_stream("topic", io.StringIO("\n".join(texts)))
    records = predict_examples(model, examples, top_k=1, batch_size=4)
    assert [r["label"] for r in records] == [model.labels_[i] for i in whole.argmax(axis=1)]
    with pytest.raises(KhabarError, match="--top-k 0"):
        predict_examples(model, examples, top_k=0)
    with pytest.raises(KhabarError, match="--batch-size 0"):
        predict_examples(model, examples, batch_size=0)


# -- the command line --------------------------------------------------------------------------

def test_predict_text(topic_run, capsys, cli):
    assert cli("predict", topic_run.run_dir, "--text", SPORTS, "--top-k", "2") == 0
    [record] = _records(capsys.readouterr().out)
    assert record["label"] == "Sports"
    assert len(record["top_k"]) == 2 and record["top_k"][0]["label"] == "Sports"
    assert record["probability"] == record["top_k"][0]["probability"]


def test_predict_stdin_one_article_per_line(topic_run, capsys, monkeypatch, cli):
    data = f"{SPORTS}\n\n{FINANCE}\n"
    stdin = io.TextIOWrapper(io.BytesIO(data.encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    assert cli("predict", topic_run.run_dir, "-") == 0
    records = _records(capsys.readouterr().out)
    assert [r["id"] for r in records] == ["line-1", "line-3"]
    assert [r["label"] for r in records] == ["Sports", "Finance"]


def test_predict_txt_file_and_folder(topic_run, tmp_path, capsys, cli):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(SPORTS, encoding="utf-8")
    (folder / "b.txt").write_text(FINANCE, encoding="utf-8")
    assert cli("predict", topic_run.run_dir, str(folder / "a.txt")) == 0
    assert [r["label"] for r in _records(capsys.readouterr().out)] == ["Sports"]
    assert cli("predict", topic_run.run_dir, str(folder)) == 0
    labels = {r["id"]: r["label"] for r in _records(capsys.readouterr().out)}
    assert labels == {"a.txt": "Sports", "b.txt": "Finance"}


def test_predict_csv_and_jsonl_with_csv_output(topic_run, tmp_path, capsys, cli):
    table = tmp_path / "news.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows([["n1", SPORTS], ["n2", FINANCE]])
    lines = tmp_path / "news.jsonl"
    lines.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in [("j1", FINANCE)]),
                     encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli("predict", topic_run.run_dir, str(table), "--format", "csv", "--output", str(out)) == 0
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["id"], r["label"]) for r in rows] == [("n1", "Sports"), ("n2", "Finance")]
    assert rows[0]["top_k"].startswith("Sports:")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("out.csv") and p != "out.csv"]  # no temporary left
    assert cli("predict", topic_run.run_dir, str(lines)) == 0
    assert _records(capsys.readouterr().out)[0]["id"] == "j1"


def test_predict_matches_the_model_api(topic_run, capsys, cli):
    model = load_model(topic_run.run_dir)
    expected = model.predict_proba([FINANCE])[0]
    assert cli("predict", topic_run.run_dir, "--text", FINANCE, "--top-k", "7") == 0
    record = _records(capsys.readouterr().out)[0]
    got = {t["label"]: t["probability"] for t in record["top_k"]}
    assert np.allclose([got[label] for label in model.labels_], expected, atol=1e-6)


def test_experiment_folder_uses_its_best_run_and_says_so(topic_run, capsys, cli):
    folder = os.path.dirname(topic_run.run_dir)
    assert cli("predict", folder, "--text", SPORTS) == 0
    captured = capsys.readouterr()
    assert f"using {topic_run.run_dir} (best dev.macro_f1 {topic_run.metrics['dev.macro_f1']:.4f}" in captured.err
    assert _records(captured.out)[0]["label"] == "Sports"


def test_stance_pair_from_flags_and_file(stance_run, tmp_path, capsys, cli):
    claim = "وزارة التربية تعلن تأجيل الامتحانات النهائية"
    assert cli("predict", stance_run.run_dir, "--text", claim, "--pair", "الوزارة تنفي تأجيل الامتحانات") == 0
    [record] = _records(capsys.readouterr().out)
    assert record["label"] in {"agree", "disagree", "discuss", "unrelated"}
    table = tmp_path / "pairs.jsonl"
    table.write_text(json.dumps({"id": "p1", "claim": claim, "text": "خبر عن مباراة كرة القدم"}, ensure_ascii=False),
                     encoding="utf-8")
    assert cli("predict", stance_run.run_dir, str(table)) == 0
    assert _records(capsys.readouterr().out)[0]["id"] == "p1"


@pytest.mark.parametrize("argv_tail, message", [
    ([], "nothing to label"),
    (["--text", "   "], "--text: empty text"),
    (["--text", "نص", "--pair", "نص آخر"], "--text: this is a topic model"),
    (["missing.txt", "--text", "نص"], "either --text or an input file"),
    (["/no/such/file.txt"], "/no/such/file.txt"),
])
def test_predict_errors_exit_2_with_one_line(topic_run, capsys, argv_tail, message, cli):
    assert cli("predict", topic_run.run_dir, *argv_tail) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("khabar: error:")]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_stance_model_needs_pair(stance_run, capsys, cli):
    assert cli("predict", stance_run.run_dir, "--text", "ادعاء") == 2
    assert "--pair" in capsys.readouterr().err


def test_not_a_model_directory(tmp_path, capsys, cli):
    assert cli("predict", str(tmp_path), "--text", "نص") == 2
    assert "not a khabar model" in capsys.readouterr().err
