"""Corrections on the page: POST /feedback of `khabar serve --feedback STORE` stores them in
SQLite, and `khabar feedback export` turns them into training rows."""

from __future__ import annotations

import json
import sqlite3

import pytest

pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from khabar.serving.feedback_store import FeedbackStore  # noqa: E402
from khabar.errors import KhabarError  # noqa: E402
from khabar.serving.http import create_app  # noqa: E402


@pytest.fixture
def served(topic_run, tmp_path):
    store = tmp_path / "store.sqlite"
    with TestClient(create_app(f"{topic_run.run_dir}/model", feedback=str(store))) as client:
        yield client, store


def test_a_correction_is_stored_with_the_model_version_and_exported_for_training(served, cli, capsys, tmp_path):
    client, store = served
    labels = client.get("/model").json()["labels"]
    assert client.get("/model").json()["feedback"] is True
    answer = client.post("/feedback", json={"text": "فاز الفريق بالمباراة", "model_label": labels[0], "label": labels[1]})
    assert answer.status_code == 200
    client.post("/feedback", json={"text": "ارتفعت الأسهم", "model_label": None, "label": labels[0]})
    client.post("/feedback", json={"text": "فاز الفريق بالمباراة", "model_label": labels[0], "label": labels[2]})
    rows = FeedbackStore(str(store)).rows()
    assert [(r["text"], r["model_label"], r["label"]) for r in rows] == [
        ("فاز الفريق بالمباراة", labels[0], labels[1]), ("ارتفعت الأسهم", None, labels[0]),
        ("فاز الفريق بالمباراة", labels[0], labels[2])]
    assert all(r["model_version"] and r["created_at"].endswith("+00:00") for r in rows)
    assert cli("feedback", "export", str(store), "-o", str(tmp_path / "labels.jsonl")) == 0
    exported = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    # one row per text, its latest correction winning
    assert [(r["text"], r["label"]) for r in exported] == [("ارتفعت الأسهم", labels[0]),
                                                            ("فاز الفريق بالمباراة", labels[2])]


VALID = object()  # stands for one of the model's labels


@pytest.mark.parametrize("body, status, words", [
    ({"text": "خبر", "model_label": None, "label": "no-such-label"}, 422, "label"),
    ({"text": "   ", "model_label": None, "label": VALID}, 422, "text"),
    ({"text": "خبر", "model_label": "no-such-label", "label": VALID}, 422, "label"),
    ([1, 2], 422, "object"),
])
def test_a_bad_correction_is_a_4xx_and_stores_nothing(served, body, status, words):
    client, store = served
    if isinstance(body, dict) and body["label"] is VALID:
        body = {**body, "label": client.get("/model").json()["labels"][0]}
    answer = client.post("/feedback", json=body)
    assert answer.status_code == status and words in answer.json()["error"]
    assert FeedbackStore(str(store)).rows() == []
    assert client.post("/feedback", content=b"text=1", headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post("/feedback", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400


def test_without_feedback_there_is_no_route(topic_run):
    with TestClient(create_app(f"{topic_run.run_dir}/model")) as client:
        assert client.get("/model").json()["feedback"] is False
        assert client.post("/feedback", json={"text": "x", "label": "y"}).status_code in (404, 405)


def test_a_store_that_is_not_sqlite_is_refused_at_start(topic_run, tmp_path, cli, capsys):
    bad = tmp_path / "store.sqlite"
    bad.write_text("not a database " * 100, encoding="utf-8")
    with pytest.raises(KhabarError, match="not a usable SQLite file"):
        create_app(f"{topic_run.run_dir}/model", feedback=str(bad))
    assert cli("feedback", "export", str(tmp_path / "absent.sqlite")) == 2
    assert "no such feedback store" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("CREATE TABLE corrections (id INTEGER)")
    with pytest.raises(KhabarError, match="lacks"):
        FeedbackStore(str(tmp_path / "other.sqlite"))
