"""khabar.examples: the records every loader makes, and the one input rule (`model_input`) that the
models, the CLI, the HTTP server and the Ray engine all apply, each reporting the rule's own message."""

from __future__ import annotations

import re

import pytest

from khabar.errors import KhabarError
from khabar.examples import TASKS, Example, Splits, model_input, needs_pair

STANCE = "this is a stance model: it reads a claim and the article or headline paired with it, not a single text"
TOPIC = "this is a topic model: it reads one text, not a (claim, text) pair"


def test_example_inputs_and_splits():
    assert Example("1", "نص").inputs == "نص"
    assert Example("2", "ادعاء", text_pair="خبر").inputs == ("ادعاء", "خبر")
    splits = Splits(train=[Example("1", "a")])
    assert [name for name, _ in splits.items()] == ["train", "dev", "test"] and splits.dev == []
    assert TASKS == ("topic", "stance") and needs_pair("stance") and not needs_pair("topic")


def test_model_input_returns_what_the_model_reads():
    assert model_input("topic", "نص") == "نص"
    assert model_input("stance", "ادعاء", "خبر") == ("ادعاء", "خبر")


@pytest.mark.parametrize("task, text, pair, message", [
    ("stance", "نص", None, f"row 3: {STANCE}"),
    ("topic", "نص", "خبر", f"row 3: {TOPIC}"),
    ("topic", "   ", None, "row 3: empty text; give the text to label"),
    ("stance", " \n", "خبر", "row 3: empty claim; give the text to label"),
    ("stance", "ادعاء", "", "row 3: empty text; give the text to label"),
    ("topic", 7, None, "row 3: the text is int, expected text"),
    ("stance", "ادعاء", ["x"], "row 3: the text is list, expected text"),
])
def test_model_input_refuses_in_one_line_starting_with_where(task, text, pair, message):
    with pytest.raises(KhabarError) as err:
        model_input(task, text, pair, where="row 3")
    assert str(err.value) == message


# -- every door reports the rule's messages -------------------------------------------------------------

def test_models_apply_the_rule_to_each_input(small_tfidf_dir, stance_run):
    from khabar.models.base import load_model

    topic = load_model(str(small_tfidf_dir))
    with pytest.raises(KhabarError, match="^" + re.escape(f"input 2: {TOPIC}") + "$"):
        topic.predict_proba(["نص", ("ادعاء", "خبر")])
    with pytest.raises(KhabarError, match="^input 1: empty text"):
        topic.predict_proba(["  "])
    stance = load_model(stance_run.run_dir)
    with pytest.raises(KhabarError, match="^" + re.escape(f"input 1: {STANCE}") + "$"):
        stance.predict_proba(["نص"])


def test_the_cli_reports_the_rule(topic_run, stance_run, cli, capsys):
    assert cli("predict", topic_run.run_dir, "--text", "   ") == 2
    assert capsys.readouterr().err.strip() == "khabar: error: --text: empty text; give the text to label"
    assert cli("predict", topic_run.run_dir, "--text", "نص", "--pair", "خبر") == 2
    assert capsys.readouterr().err.strip() == f"khabar: error: --text: {TOPIC}"
    assert cli("predict", stance_run.run_dir, "--text", "ادعاء") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("khabar: error: --text/--pair (give the claim with --text and the article or headline with --pair): ")
    assert err.endswith(STANCE)
    assert cli("predict", stance_run.run_dir, "--text", "ادعاء", "--pair", " ") == 2
    assert capsys.readouterr().err.strip() == "khabar: error: --text/--pair: empty text; give the text to label"


def test_the_http_server_reports_the_rule(small_tfidf_dir, stance_run):
    pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
    pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")
    from fastapi.testclient import TestClient

    from khabar.serving.http import create_app

    with TestClient(create_app(small_tfidf_dir)) as c:
        r = c.post("/predict", json={"texts": ["نص", "  "]})
        assert r.status_code == 422 and r.json()["error"] == "texts[1]: empty text; give the text to label"
    with TestClient(create_app(stance_run.run_dir)) as c:
        r = c.post("/predict", json={"pairs": [["ادعاء", "خبر"], ["ادعاء", " "]]})
        assert r.status_code == 422 and r.json()["error"] == "pairs[1].text: empty text; give the text to label"
        r = c.post("/predict", json={"claim": "", "text": "خبر"})
        assert r.status_code == 422 and r.json()["error"] == "claim: empty claim; give the text to label"


def test_the_ray_workers_report_the_rule(small_tfidf_dir, stance_run):
    """What each Ray worker runs, without starting Ray."""
    pa = pytest.importorskip("pyarrow")
    from khabar.serving.ray import _Labeler

    topic = _Labeler(str(small_tfidf_dir), "text", "claim", "id", 3, "cpu")
    with pytest.raises(KhabarError, match="^" + re.escape(f"row 1: {TOPIC}") + "$"):
        topic(pa.table({"id": ["a"], "text": ["نص"], "claim": ["ادعاء"]}))
    stance = _Labeler(stance_run.run_dir, "claim", None, "id", 3, "cpu")
    with pytest.raises(KhabarError, match="^" + re.escape(f"row 1: {STANCE}") + "$"):
        stance(pa.table({"id": ["a"], "claim": ["ادعاء"]}))
