"""khabar.serving.http: every status the server promises, the response schema, and that
micro-batching really groups concurrent requests (counted at the model), against a fake model
and a real TF-IDF one.

No test here depends on timing: concurrent requests are held by a gate in the model and the test
waits (on a condition, not a clock) until the micro-batcher has queued every one of them.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")

from fastapi.testclient import TestClient  # noqa: E402
from small_corpus import SMALL_TOPIC_TRAIN  # noqa: E402
from waiting import HANG  # noqa: E402

from khabar.serving.http import create_app  # noqa: E402


@pytest.fixture
def client(topic):
    with TestClient(create_app(topic, max_batch=8, max_text_chars=50, max_body_bytes=4000)) as c:
        yield c


class Arrivals:
    """Counts the requests the micro-batcher has queued; `wait_for(predicate)` re-checks the
    predicate at each arrival and whenever `notify()` is called (by a model call, say)."""

    def __init__(self, batcher):
        self.count = 0
        self.cond = threading.Condition()
        original = batcher.submit

        async def submit(items):
            answer = asyncio.ensure_future(original(items))
            await asyncio.sleep(0)  # lets `original` run: it queues the items, then waits for its answer
            self.notify(arrived=1)
            return await answer

        batcher.submit = submit  # the app looks the method up on the instance at each request

    def notify(self, arrived: int = 0) -> None:
        with self.cond:
            self.count += arrived
            self.cond.notify_all()

    def wait_for(self, predicate) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, HANG), "the requests never reached the micro-batcher"


# -- the happy path and the schema --------------------------------------------------------------

def test_single_text_returns_label_probability_and_top_k(client):
    r = client.post("/predict", json={"text": "مباراة مباراة حكومة"})
    assert r.status_code == 200
    (pred,) = r.json()["predictions"]
    assert pred["label"] == "sports"
    assert set(pred) == {"id", "label", "probability", "abstained", "top_k"} and pred["id"] == "text-1"
    assert [t["label"] for t in pred["top_k"]] == ["sports", "politics", "finance"]  # default k = 3
    assert pred["probability"] == pytest.approx(pred["top_k"][0]["probability"])
    assert sum(t["probability"] for t in pred["top_k"]) == pytest.approx(1.0)


def test_batch_keeps_order_and_top_k_is_clipped(client):
    r = client.post("/predict", json={"texts": ["بورصة", "حكومة", "مباراة"], "top_k": 2})
    assert r.status_code == 200
    preds = r.json()["predictions"]
    assert [p["label"] for p in preds] == ["finance", "politics", "sports"]
    assert all(len(p["top_k"]) == 2 for p in preds)
    r = client.post("/predict", json={"text": "بورصة", "top_k": 10})
    assert len(r.json()["predictions"][0]["top_k"]) == 3  # no more than there are labels


def test_ties_rank_in_label_order(client, topic):
    """The one ranking of every output (predict.rank_top_k): equal probabilities keep label order."""
    r = client.post("/predict", json={"text": "نص بلا كلمة مفتاحية"})
    assert [t["label"] for t in r.json()["predictions"][0]["top_k"]] == topic.labels_


def test_stance_accepts_claim_text_and_pairs(stance):
    with TestClient(create_app(stance)) as c:
        one = c.post("/predict", json={"claim": "الحكومة ترفع الضرائب", "text": "الحكومة ترفع الضرائب اليوم"})
        many = c.post("/predict", json={"pairs": [["أ ب", "أ ب ج"], ["س", "لا ص"]]})
        assert one.status_code == 200 and one.json()["predictions"][0]["label"] == "agree"
        assert many.status_code == 200 and len(many.json()["predictions"]) == 2
        assert c.post("/predict", json={"text": "نص"}).json()["error"].startswith("text: this is a stance model")
        r = c.post("/predict", json={"texts": ["نص"]})
        assert r.status_code == 422 and r.json()["error"].startswith("texts: this is a stance model")
        r = c.post("/predict", json={"claim": "c", "pairs": [["a", "b"]]})
        assert r.status_code == 422 and r.json()["error"].startswith("got claim, pairs; send either claim and text, or pairs")
    assert stance.calls == [1, 2]  # refused requests never reach the model


def test_health_model_and_docs(client, topic):
    assert client.get("/health").json() == {"status": "ok", "kind": "fake", "task": "topic"}
    manifest = client.get("/model").json()
    assert manifest["kind"] == "fake" and manifest["task"] == "topic"
    assert manifest["labels"] == topic.labels_ == ["finance", "politics", "sports"] and manifest["metrics"] == {"test/accuracy": 0.9}
    assert "normalize" in manifest
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"text", "texts", "claim", "pairs", "top_k"} <= set(body["properties"])


# -- every error, as {"error": ...} ------------------------------------------------------------

@pytest.mark.parametrize("payload, status, message", [
    ({"texts": ["بورصة"] * 9}, 422, "texts: 9 items, over the limit of 8"),
    ({"texts": ["بورصة", "ب" * 51]}, 422, "texts[1]: longer than 50 characters"),
    ({"text": "ب" * 51}, 422, "text: longer than 50 characters"),
    ({"texts": ["بورصة", "   "]}, 422, "texts[1]: empty text"),
    ({"texts": []}, 422, "texts: empty list"),
    ({"pairs": [["a", "b"]]}, 422, "pairs: this is a topic model"),
    ({"claim": "a", "text": "b"}, 422, "claim: this is a topic model"),
    ({"text": "a", "texts": ["b"]}, 422, "got text, texts"),
    ({}, 422, "got no input field"),
    ({"texts": ["a", 3]}, 422, "texts[1]: Input should be a valid string"),
    ({"text": "a", "top_k": 0}, 422, "top_k: Input should be greater than or equal to 1"),
    ({"txt": "a"}, 422, "txt: Extra inputs are not permitted"),
    (["a"], 422, "body: expected a JSON object"),
])
def test_invalid_requests_name_the_field(client, topic, payload, status, message):
    r = client.post("/predict", json=payload)
    assert r.status_code == status
    assert r.json()["error"].startswith(message), r.json()
    assert topic.calls == []


def test_body_too_large_is_413(client):
    r = client.post("/predict", json={"text": "ب" * 3000})
    assert r.status_code == 413 and "over the limit of 4000 bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the limit still holds while streaming
        for _ in range(10):
            yield b" " * 1000

    r = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_wrong_content_type_is_415_and_bad_json_400(client):
    r = client.post("/predict", content="text=hello", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    r = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid UTF-8 JSON" in r.json()["error"]
    r = client.post("/predict", content=b'{"text": "x"}', headers={"content-type": "application/problem+json"})
    assert r.status_code == 200  # any +json media type is JSON


def test_unknown_route_404_and_wrong_method_405(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json() == {"error": "no route GET /nowhere; see /docs"}
    r = client.get("/predict")
    assert r.status_code == 405 and "error" in r.json()


def test_model_failure_is_json_500(topic):
    topic.predict_proba = lambda inputs: 1 / 0
    with TestClient(create_app(topic), raise_server_exceptions=False) as c:
        r = c.post("/predict", json={"text": "بورصة"})
    assert r.status_code == 500 and r.json()["error"].startswith("internal error (ZeroDivisionError)")


def test_bad_limits_are_refused_before_serving(topic):
    from khabar.errors import KhabarError

    with pytest.raises(KhabarError, match="--max-batch 0: must be at least 1"):
        create_app(topic, max_batch=0)
    with pytest.raises(KhabarError, match="--max-wait-ms -1: must be 0 or more"):
        create_app(topic, max_wait_ms=-1)


# -- micro-batching ----------------------------------------------------------------------------

def test_concurrent_requests_share_one_model_call(topic):
    """While the model is busy with one request, 12 more arrive: they go in one call, not 12."""
    topic.gate = threading.Event()
    app = create_app(topic, max_batch=64, max_wait_ms=5, model_workers=1, model_batch=64)
    arrivals = Arrivals(app.state.batcher)
    texts = [["مباراة"] * (i % 3 + 1) for i in range(12)]
    with TestClient(app) as c, ThreadPoolExecutor(1) as first, ThreadPoolExecutor(12) as pool:
        head = first.submit(c.post, "/predict", json={"text": "بورصة"})
        assert topic.entered.wait(HANG)
        futures = [pool.submit(c.post, "/predict", json={"texts": t}) for t in texts]
        arrivals.wait_for(lambda: arrivals.count == 13)  # the head and the 12 are all queued
        topic.gate.set()
        responses = [f.result() for f in futures]
        assert head.result().status_code == 200
    assert topic.calls == [1, sum(len(t) for t in texts)]
    assert [len(r.json()["predictions"]) for r in responses] == [len(t) for t in texts]
    assert all(p["label"] == "sports" for r in responses for p in r.json()["predictions"])


def test_model_batch_caps_grouped_calls_but_a_bigger_request_runs_whole(topic):
    topic.gate = threading.Event()
    app = create_app(topic, max_batch=64, max_wait_ms=5, model_workers=1, model_batch=4)
    arrivals = Arrivals(app.state.batcher)
    with TestClient(app) as c, ThreadPoolExecutor(1) as first, ThreadPoolExecutor(6) as pool:
        head = first.submit(c.post, "/predict", json={"texts": ["بورصة"] * 10})  # over model_batch, under max_batch
        assert topic.entered.wait(HANG)
        futures = [pool.submit(c.post, "/predict", json={"text": "حكومة"}) for _ in range(6)]
        arrivals.wait_for(lambda: arrivals.count == 7)
        topic.gate.set()
        assert all(f.result().status_code == 200 for f in futures)
        assert len(head.result().json()["predictions"]) == 10
    assert topic.calls[0] == 10 and sorted(topic.calls[1:]) == [2, 4]


def test_app_serves_again_after_a_restart(topic):
    app = create_app(topic)
    for _ in range(2):  # lifespan shutdown closes the batcher; the next start must still work
        with TestClient(app) as c:
            assert c.post("/predict", json={"text": "بورصة"}).status_code == 200


def test_without_micro_batching_each_request_calls_the_model(topic):
    with TestClient(create_app(topic, micro_batching=False)) as c, ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda p: c.post("/predict", json=p), [{"text": "حكومة"}] * 6))
    assert all(r.status_code == 200 for r in responses)
    assert topic.calls == [1] * 6


def test_without_micro_batching_at_most_the_workers_call_the_model_at_once(topic):
    """One request per call, and never more calls at once than the workers: with 8 requests sent
    and every call held inside the model, 2 are inside and the other 6 wait in the queue."""
    release, inside, most = threading.Event(), [0], [0]
    plain = topic.predict_proba

    def held(inputs):
        arrivals.notify()
        with arrivals.cond:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            arrivals.cond.notify_all()
        assert release.wait(HANG)
        with arrivals.cond:
            inside[0] -= 1
        return plain(inputs)

    topic.predict_proba = held
    app = create_app(topic, micro_batching=False, model_workers=2)
    arrivals = Arrivals(app.state.batcher)
    with TestClient(app) as c, ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(c.post, "/predict", json={"texts": ["حكومة"] * 3}) for _ in range(8)]
        # every request accounted for: inside the model or waiting in the batcher's queue
        arrivals.wait_for(lambda: arrivals.count == 8 and inside[0] + app.state.batcher.pending == 8)
        assert (inside[0], app.state.batcher.pending) == (2, 6)
        release.set()
        responses = [f.result() for f in futures]
    assert all(r.status_code == 200 for r in responses)
    assert topic.calls == [3] * 8 and most[0] == 2


# -- a real trained model, through its directory ------------------------------------------------

def test_real_tfidf_model_served_from_its_directory(small_tfidf_dir):
    with TestClient(create_app(small_tfidf_dir)) as c:
        r = c.post("/predict", json={"texts": ["اللاعب سجل هدف الفوز في المباراة", "البورصة والنفط والفائدة"]})
        assert r.status_code == 200, r.text
        assert [p["label"] for p in r.json()["predictions"]] == ["sports", "finance"]
        manifest = c.get("/model").json()
        assert manifest["kind"] == "tfidf" and sorted(manifest["labels"]) == sorted(SMALL_TOPIC_TRAIN)
        assert manifest["normalize"]["preset"] == "standard"
        assert manifest["probabilities"] == "native"
        assert manifest["card"] is None or manifest["card"] == c.get("/card").text
        assert c.post("/predict", json={"pairs": [["a", "b"]]}).status_code == 422


def test_a_bad_model_directory_fails_at_start(tmp_path):
    from khabar.errors import KhabarError

    with pytest.raises(KhabarError, match="not a khabar model or run directory"):
        create_app(tmp_path)


# -- the command line ----------------------------------------------------------------------------

def test_cli_passes_every_limit_to_the_server(small_tfidf_dir, monkeypatch, cli):
    import khabar.serving.http as http

    seen = {}
    monkeypatch.setattr(http, "serve", lambda model_dir, **kwargs: seen.update(kwargs, model_dir=model_dir))
    assert cli("serve", str(small_tfidf_dir), "--max-text-chars", "500", "--max-body-bytes", "9000",
               "--log-level", "warning", "--max-batch", "16", "--port", "8123", "--model-batch", "8",
               "--workers", "3", "--max-wait-ms", "2.5", "--no-micro-batching", "--threads", "1") == 0
    assert (seen["max_text_chars"], seen["max_body_bytes"], seen["log_level"]) == (500, 9000, "warning")
    assert (seen["max_batch"], seen["port"], seen["host"], seen["model_batch"]) == (16, 8123, "127.0.0.1", 8)
    assert (seen["model_workers"], seen["max_wait_ms"], seen["micro_batching"], seen["threads"]) == (3, 2.5, False, 1)
    assert seen["model_dir"] == str(small_tfidf_dir)


@pytest.mark.parametrize("flag, value", [("--max-batch", "0"), ("--max-text-chars", "0"),
                                         ("--max-body-bytes", "-1"), ("--threads", "0"), ("--max-wait-ms", "-5"),
                                         ("--workers", "0"), ("--model-batch", "0")])
def test_cli_refuses_a_bad_limit_in_one_line_before_binding(small_tfidf_dir, flag, value, capsys, monkeypatch, cli):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started with a bad limit"))
    assert cli("serve", str(small_tfidf_dir), flag, value) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("khabar: error: ") and flag in err and value in err
