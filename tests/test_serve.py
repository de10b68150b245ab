"""The HTTP server: every status it promises, the response schema, and that micro-batching
really groups concurrent requests (counted at the model), against a fake model and a real TF-IDF one."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from khabar.batching import MicroBatcher  # noqa: E402
from khabar.models.base import Model  # noqa: E402
from khabar.serve import create_app  # noqa: E402
from small_corpus import SMALL_TOPIC_TRAIN

TOPIC_LABELS = ["finance", "politics", "sports"]
STANCE_LABELS = ["agree", "disagree", "discuss", "unrelated"]
KEYWORDS = {"finance": "بورصة", "politics": "حكومة", "sports": "مباراة"}


class FakeModel(Model):
    """Deterministic probabilities from keyword counts; records every predict_proba call.

    `gate`, when set, makes the first call wait until the test opens it, so that requests
    arriving meanwhile pile up in the micro-batcher's queue.
    """

    kind = "fake"

    def __init__(self, task: str = "topic"):
        super().__init__(task, params=None, train=None, normalize=None)
        self.labels_ = list(TOPIC_LABELS if task == "topic" else STANCE_LABELS)
        self.calls: list[int] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.extra_manifest_ = {"metrics": {"test/accuracy": 0.9}}

    def predict_proba(self, inputs):
        self.calls.append(len(inputs))
        self.entered.set()
        if self.gate is not None and len(self.calls) == 1:
            assert self.gate.wait(10)
        rows = []
        for item in inputs:
            if self.task == "topic":
                assert isinstance(item, str), "topic model got a pair"
                scores = [item.count(KEYWORDS[lab]) for lab in self.labels_]
            else:
                claim, text = item
                shared = len(set(claim.split()) & set(text.split()))
                scores = [shared, int("لا" in text.split()), 0.5, 1.0 / (1 + shared)]
            rows.append(np.exp(scores) / np.exp(scores).sum())
        return np.array(rows)

    def fit(self, train, dev=None):
        return self

    def save_weights(self, directory):
        pass

    @classmethod
    def load_weights(cls, directory, manifest):
        raise NotImplementedError


@pytest.fixture
def topic():
    return FakeModel("topic")


@pytest.fixture
def client(topic):
    with TestClient(create_app(topic, max_batch=8, max_text_chars=50, max_body_bytes=4000)) as c:
        yield c


# -- the happy path and the schema --------------------------------------------------------------

def test_single_text_returns_label_probability_and_top_k(client):
    r = client.post("/predict", json={"text": "مباراة مباراة حكومة"})
    assert r.status_code == 200
    (pred,) = r.json()["predictions"]
    assert pred["label"] == "sports"
    assert set(pred) == {"label", "probability", "top_k"}
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


def test_stance_accepts_claim_text_and_pairs():
    with TestClient(create_app(FakeModel("stance"))) as c:
        one = c.post("/predict", json={"claim": "الحكومة ترفع الضرائب", "text": "الحكومة ترفع الضرائب اليوم"})
        many = c.post("/predict", json={"pairs": [["أ ب", "أ ب ج"], ["س", "لا ص"]]})
        assert one.status_code == 200 and one.json()["predictions"][0]["label"] == "agree"
        assert many.status_code == 200 and len(many.json()["predictions"]) == 2
        assert c.post("/predict", json={"text": "نص"}).json()["error"].startswith("text: this is a stance model")
        r = c.post("/predict", json={"texts": ["نص"]})
        assert r.status_code == 422 and r.json()["error"].startswith("texts: this is a stance model")


def test_health_model_and_docs(client):
    assert client.get("/health").json() == {"status": "ok", "kind": "fake", "task": "topic"}
    manifest = client.get("/model").json()
    assert manifest["kind"] == "fake" and manifest["task"] == "topic"
    assert manifest["labels"] == TOPIC_LABELS and manifest["metrics"] == {"test/accuracy": 0.9}
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
def test_invalid_requests_name_the_field(client, payload, status, message):
    r = client.post("/predict", json=payload)
    assert r.status_code == status
    assert r.json()["error"].startswith(message), r.json()


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


def test_unknown_route_404_and_wrong_method_405(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json() == {"error": "no route GET /nowhere; see /docs"}
    r = client.get("/predict")
    assert r.status_code == 405 and "error" in r.json()


def test_model_failure_is_json_500():
    model = FakeModel("topic")
    model.predict_proba = lambda inputs: 1 / 0
    with TestClient(create_app(model), raise_server_exceptions=False) as c:
        r = c.post("/predict", json={"text": "بورصة"})
    assert r.status_code == 500 and r.json()["error"].startswith("internal error (ZeroDivisionError)")


# -- micro-batching ----------------------------------------------------------------------------

def _post_concurrently(client, payloads):
    with ThreadPoolExecutor(len(payloads)) as pool:
        return list(pool.map(lambda p: client.post("/predict", json=p), payloads))


def test_concurrent_requests_share_one_model_call(topic):
    """While the model is busy with one request, 12 more arrive: they go in one call, not 12."""
    topic.gate = threading.Event()
    app = create_app(topic, max_batch=64, max_wait_ms=5, model_workers=1, model_batch=64)
    with TestClient(app) as c, ThreadPoolExecutor(1) as first:
        head = first.submit(c.post, "/predict", json={"text": "بورصة"})
        assert topic.entered.wait(5)
        texts = [["مباراة"] * (i % 3 + 1) for i in range(12)]
        with ThreadPoolExecutor(12) as pool:
            futures = [pool.submit(c.post, "/predict", json={"texts": t}) for t in texts]
            deadline = time.monotonic() + 5
            while app.state.batcher.pending < 12 and time.monotonic() < deadline:
                time.sleep(0.01)
            topic.gate.set()
            responses = [f.result() for f in futures]
        assert head.result().status_code == 200
    assert topic.calls == [1, sum(len(t) for t in texts)]
    assert [len(r.json()["predictions"]) for r in responses] == [len(t) for t in texts]
    assert all(p["label"] == "sports" for r in responses for p in r.json()["predictions"])


def test_model_batch_caps_grouped_calls_but_a_bigger_request_runs_whole(topic):
    topic.gate = threading.Event()
    app = create_app(topic, max_batch=64, max_wait_ms=5, model_workers=1, model_batch=4)
    with TestClient(app) as c, ThreadPoolExecutor(1) as first:
        head = first.submit(c.post, "/predict", json={"texts": ["بورصة"] * 10})  # over model_batch, under max_batch
        assert topic.entered.wait(5)
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(c.post, "/predict", json={"text": "حكومة"}) for _ in range(6)]
            deadline = time.monotonic() + 5
            while app.state.batcher.pending < 6 and time.monotonic() < deadline:
                time.sleep(0.01)
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
    with TestClient(create_app(topic, micro_batching=False)) as c:
        responses = _post_concurrently(c, [{"text": "حكومة"}] * 6)
    assert all(r.status_code == 200 for r in responses)
    assert topic.calls == [1] * 6


def test_without_micro_batching_at_most_the_workers_call_the_model_at_once(topic):
    """One request per call, and never more calls at once than --workers (no thread pile-up)."""
    lock, running, most = threading.Lock(), [0], [0]
    plain = topic.predict_proba

    def slow(inputs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return plain(inputs)

    topic.predict_proba = slow
    with TestClient(create_app(topic, micro_batching=False, model_workers=2)) as c:
        responses = _post_concurrently(c, [{"texts": ["حكومة"] * 3}] * 8)
    assert all(r.status_code == 200 for r in responses)
    assert topic.calls == [3] * 8 and most[0] == 2


def test_batcher_respects_max_batch_and_isolates_a_failing_request():
    calls = []

    def fn(items):
        calls.append(len(items))
        if "bad" in items:
            raise ValueError("bad item")
        return np.array([[len(x)] for x in items])

    async def main():
        batcher = MicroBatcher(fn, max_batch=4, max_wait_ms=50)
        results = await asyncio.gather(*(batcher.submit(["a" * i, "b"]) for i in range(1, 5)),
                                       batcher.submit(["bad"]), return_exceptions=True)
        await batcher.aclose()
        return results

    results = asyncio.run(main())
    assert [r.tolist() for r in results[:4]] == [[[i], [1]] for i in range(1, 5)]
    assert isinstance(results[4], ValueError)
    assert all(size <= 4 for size in calls)


def test_two_workers_run_a_second_batch_while_the_first_is_busy():
    """With workers=2 a batch does not wait for a slow one; with workers=1 it does."""

    def run(workers: int) -> tuple[bool, list]:
        gate, entered, calls = threading.Event(), threading.Event(), []

        def fn(items):
            calls.append(list(items))
            if len(calls) == 1:
                entered.set()
                assert gate.wait(10)
            return np.array([[len(x)] for x in items])

        async def main():
            batcher = MicroBatcher(fn, max_batch=8, max_wait_ms=0, workers=workers)
            first = asyncio.ensure_future(batcher.submit(["slow"]))
            while not entered.is_set():
                await asyncio.sleep(0.005)
            second = asyncio.ensure_future(batcher.submit(["quick", "one"]))
            done, _ = await asyncio.wait({second}, timeout=1.0)
            overtook = second in done
            gate.set()
            results = [(await first).tolist(), (await second).tolist()]
            await batcher.aclose()
            return overtook, results

        overtook, results = asyncio.run(main())
        assert results == [[[4]], [[5], [3]]]
        return overtook, calls

    assert run(2) == (True, [["slow"], ["quick", "one"]])
    assert run(1)[0] is False


# -- a real trained model, through its directory ------------------------------------------------

@pytest.fixture
def tfidf_dir(small_tfidf_dir):
    return small_tfidf_dir


def test_real_tfidf_model_served_from_its_directory(tfidf_dir):
    with TestClient(create_app(tfidf_dir)) as c:
        r = c.post("/predict", json={"texts": ["اللاعب سجل هدف الفوز في المباراة", "البورصة والنفط والفائدة"]})
        assert r.status_code == 200, r.text
        assert [p["label"] for p in r.json()["predictions"]] == ["sports", "finance"]
        manifest = c.get("/model").json()
        assert manifest["kind"] == "tfidf" and sorted(manifest["labels"]) == sorted(SMALL_TOPIC_TRAIN)
        assert manifest["normalize"]["preset"] == "standard"
        assert c.post("/predict", json={"pairs": [["a", "b"]]}).status_code == 422


def test_serve_binds_to_loopback_by_default():
    import inspect

    from khabar.serve import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def test_cli_passes_every_limit_to_the_server(tfidf_dir, monkeypatch):
    import khabar.serve as serve_module
    from khabar.cli import main

    seen = {}
    monkeypatch.setattr(serve_module, "serve", lambda model_dir, **kwargs: seen.update(kwargs, model_dir=model_dir))
    assert main(["serve", str(tfidf_dir), "--max-text-chars", "500", "--max-body-bytes", "9000",
                 "--log-level", "warning", "--max-batch", "16", "--port", "8123", "--model-batch", "8"]) == 0
    assert (seen["max_text_chars"], seen["max_body_bytes"], seen["log_level"]) == (500, 9000, "warning")
    assert (seen["max_batch"], seen["port"], seen["host"], seen["model_batch"]) == (16, 8123, "127.0.0.1", 8)


@pytest.mark.parametrize("flag, value", [("--max-batch", "0"), ("--max-text-chars", "0"),
                                         ("--max-body-bytes", "-1"), ("--threads", "0"), ("--max-wait-ms", "-5"),
                                         ("--workers", "0"), ("--model-batch", "0")])
def test_cli_refuses_a_bad_limit_in_one_line_before_binding(tfidf_dir, flag, value, capsys, monkeypatch):
    import uvicorn

    from khabar.cli import main

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started with a bad limit"))
    assert main(["serve", str(tfidf_dir), flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err and value in err
