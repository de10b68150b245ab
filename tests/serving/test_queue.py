"""The queue view of `khabar serve --feedback STORE --queue POOL`: GET /queue/next serves the pool's
articles in `khabar suggest`'s order, POST /queue/label and /queue/skip store the editor's answer in
the feedback store, and `khabar feedback export` turns the labels into training rows that train
with `model.prior` and `data.unlabeled`."""

from __future__ import annotations

import json
import sqlite3

import pytest
import yaml
from outlet_corpus import OUTLET, examples, prior_model

pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")

from fastapi.testclient import TestClient  # noqa: E402

from khabar.adapt.suggest import suggest  # noqa: E402
from khabar.errors import KhabarError  # noqa: E402
from khabar.models.base import Model  # noqa: E402
from khabar.data import guess_data_config, load_examples  # noqa: E402
from khabar.serving.feedback_store import SCHEMA, FeedbackStore, export  # noqa: E402
from khabar.serving.http import create_app  # noqa: E402

LABELS = list(OUTLET.values())


@pytest.fixture(scope="module")
def prior(tmp_path_factory):
    return prior_model(tmp_path_factory.mktemp("prior"))


def write_pool(path, pool) -> str:
    path.write_text("".join(json.dumps({"id": ex.id, "text": ex.text}, ensure_ascii=False) + "\n" for ex in pool),
                    encoding="utf-8")
    return str(path)


def pool_of(per_topic: int = 4):
    return examples(["Sports", "Finance", "Weather"], per_topic, "all", seed=11, names=OUTLET, prefix="u")


@pytest.fixture
def queue(prior, tmp_path):
    """A client of a prior (Sports, Finance) serving a queue of the outlet's 12 articles, labelled
    in the outlet's own three labels; (client, store path, pool path, pool)."""
    pool = pool_of()
    path = write_pool(tmp_path / "pool.jsonl", pool)
    store = tmp_path / "store.sqlite"
    app = create_app(prior, feedback=str(store), queue=path, queue_labels=LABELS, queue_batch=4)
    with TestClient(app) as client:
        yield client, store, path, pool


def test_the_queue_serves_suggests_ranking_and_labels_go_to_the_store_and_train(queue, prior, cli, tmp_path,
                                                                                 monkeypatch):
    client, store, pool_path, pool = queue
    gold = {ex.id: ex.label for ex in pool}
    assert client.get("/model").json()["queue"] == {"labels": LABELS, "pool": len(pool)}
    first = client.get("/queue/next").json()
    model = Model.load(prior)
    # the one ranking: what khabar suggest puts first
    assert first["article"]["id"] == suggest(model, pool, 4)[0]["id"]
    assert first["progress"] == {"labelled": 0, "skipped": 0, "left": len(pool), "pool": len(pool)}
    guess = first["article"]["guess"]["label"]
    assert guess in model.labels_

    answer = client.post("/queue/label", json={"id": first["article"]["id"], "label": gold[first["article"]["id"]]})
    assert answer.status_code == 200
    assert answer.json()["progress"] == {"labelled": 1, "skipped": 0, "left": len(pool) - 1, "pool": len(pool)}
    [row] = FeedbackStore(str(store)).rows()
    assert (row["article_id"], row["model_label"], row["label"]) == (first["article"]["id"], guess,
                                                                    gold[first["article"]["id"]])
    assert row["model_version"] and row["created_at"].endswith("+00:00")

    served = [first["article"]["id"]]
    for _ in pool:  # an editor labels the whole pool, batch after batch
        article = client.get("/queue/next").json()["article"]
        if article is None:
            break
        assert article["id"] not in served
        served.append(article["id"])
        assert client.post("/queue/label", json={"id": article["id"], "label": gold[article["id"]]}).status_code == 200
    assert sorted(served) == sorted(gold)
    empty = client.get("/queue/next").json()
    assert empty["article"] is None and empty["leased"] == 0
    assert empty["progress"] == {"labelled": len(pool), "skipped": 0, "left": 0, "pool": len(pool)}

    monkeypatch.chdir(tmp_path)
    assert cli("feedback", "export", str(store), "-o", "labels.jsonl") == 0
    exported = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = {ex.id: ex.text for ex in pool}
    assert sorted((r["id"], r["text"], r["label"]) for r in exported) == sorted((i, texts[i], gold[i]) for i in gold)
    config = {"name": "outlet", "task": "topic", "data": {"path": ["labels.jsonl"], "unlabeled": pool_path},
              "model": {"kind": "tfidf", "prior": prior, "word_ngrams": [1, 1], "char_ngrams": None, "min_df": 1,
                        "classifier": "logreg"},
              "output_dir": str(tmp_path / "runs")}
    (tmp_path / "outlet.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert cli("train", "outlet.yaml") == 0
    [run] = list((tmp_path / "runs" / "outlet").iterdir())
    assert set(json.loads((run / "model" / "khabar.json").read_text(encoding="utf-8"))["labels"]) == set(LABELS)


def test_two_editors_get_different_articles_until_every_one_is_leased(queue):
    client, store, _, pool = queue
    held = [client.get("/queue/next").json() for _ in pool]
    ids = [answer["article"]["id"] for answer in held]
    assert len(set(ids)) == len(pool)
    none_free = client.get("/queue/next").json()
    assert none_free["article"] is None and none_free["leased"] == len(pool)
    assert none_free["progress"]["left"] == len(pool)  # leased is not labelled
    assert client.post("/queue/skip", json={"id": ids[3]}).status_code == 200  # ends that lease, for good
    assert client.get("/queue/next").json()["article"] is None
    assert client.post("/queue/label", json={"id": ids[5], "label": LABELS[0]}).status_code == 200
    assert client.get("/queue/next").json()["leased"] == len(pool) - 2


def test_a_lease_that_runs_out_puts_the_article_back(prior, tmp_path):
    pool = pool_of(1)
    app = create_app(prior, feedback=str(tmp_path / "s.sqlite"), queue=write_pool(tmp_path / "p.jsonl", pool),
                     queue_lease=0)
    with TestClient(app) as client:
        first, second = (client.get("/queue/next").json()["article"]["id"] for _ in range(2))
        assert first == second  # the first editor's lease is already over


def test_skipped_and_corrected_articles_are_not_served_and_a_restart_remembers(queue, prior, cli, capsys):
    client, store, pool_path, pool = queue
    skipped = client.get("/queue/next").json()["article"]
    answer = client.post("/queue/skip", json={"id": skipped["id"]}).json()
    assert answer["skipped"] == skipped["id"]
    assert answer["progress"] == {"labelled": 0, "skipped": 1, "left": len(pool) - 1, "pool": len(pool)}
    corrected = next(ex for ex in pool if ex.id != skipped["id"])
    # the same article corrected on the try page (by its text, with no id)
    assert client.post("/feedback", json={"text": corrected.text, "model_label": None, "label": "Sports"}).status_code == 200
    assert client.get("/queue/next").json()["progress"]["labelled"] == 1

    restarted = create_app(prior, feedback=str(store), queue=pool_path, queue_labels=LABELS, queue_batch=50)
    with TestClient(restarted) as again:
        seen = [again.get("/queue/next").json()["article"] for _ in pool]
        seen = [article["id"] for article in seen if article is not None]
        assert sorted(seen) == sorted({ex.id for ex in pool} - {skipped["id"], corrected.id})
    assert cli("feedback", "export", str(store)) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in exported] == [corrected.text]  # a skip is no label


@pytest.mark.parametrize("body, status, words", [
    ({"id": "no-such-article", "label": LABELS[0]}, 422, "id"),
    ({"label": LABELS[0]}, 422, "id"),
    ({"id": "u-Sports-0", "label": "Sports"}, 422, "label"),  # the model's label, not one to choose from
    ({"id": "u-Sports-0"}, 422, "label"),
    ({"id": ["u-Sports-0"], "label": LABELS[0]}, 422, "id"),
    ([1, 2], 422, "object"),
])
def test_a_bad_label_is_a_4xx_json_and_stores_nothing(queue, body, status, words):
    client, store, _, _ = queue
    answer = client.post("/queue/label", json=body)
    assert answer.status_code == status and words in answer.json()["error"]
    assert client.post("/queue/skip", json={"id": 7}).status_code == 422
    assert client.post("/queue/label", content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/queue/skip", content=b"id=1", headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.post("/queue/next", json={}).status_code == 405
    assert FeedbackStore(str(store)).rows() == [] and FeedbackStore(str(store)).skipped() == set()


def test_bad_queue_settings_fail_at_start_with_one_line(prior, tmp_path, cli, capsys):
    pool = write_pool(tmp_path / "pool.jsonl", pool_of(1))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "خبر عن المباراة"}\n{"id": "b", "text": \n', encoding="utf-8")
    store = str(tmp_path / "store.sqlite")
    for argv, words in [(["--feedback", store, "--queue", str(bad)], ["bad.jsonl", "line 2"]),
                        (["--feedback", store, "--queue", str(tmp_path / "absent.jsonl")], ["absent.jsonl"]),
                        (["--queue", pool], ["--feedback"]),
                        (["--feedback", store, "--queue-batch", "5"], ["--queue POOL"]),
                        (["--feedback", store, "--queue", pool, "--queue-labels", "A,A"], ["--queue-labels"])]:
        assert cli("serve", prior, "--port", "1", *argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert all(word in err for word in words), err
        assert not (tmp_path / "store.sqlite").exists()  # nothing written on a failed start
    with pytest.raises(KhabarError, match="rank at least 1"):
        create_app(prior, feedback=store, queue=pool, queue_batch=0)


def test_a_store_from_before_the_queue_opens_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
        db.execute("INSERT INTO corrections (text, model_label, label, model_version, created_at) "
                   "VALUES ('خبر', NULL, 'Sports', 'v1', '2026-01-01T00:00:00+00:00')")
    store = FeedbackStore(str(path))
    store.add("خبر آخر", "Sports", "Finance", "v2", article_id="a-1")
    store.skip("a-2", "v2")
    assert [(r["text"], r["article_id"]) for r in store.rows()] == [("خبر", None), ("خبر آخر", "a-1")]
    assert store.skipped() == {"a-2"}


def counting_model():
    """(a small fitted tfidf model, the sizes of the inputs its predict_proba is called with)."""
    from outlet_corpus import tfidf

    model = tfidf().fit(examples(["Sports", "Finance"], 4, "all", seed=5, names=OUTLET, prefix="l"))
    calls = []
    predict = model.predict_proba
    model.predict_proba = lambda inputs: calls.append(len(inputs)) or predict(inputs)
    return model, calls


def test_nothing_is_ranked_at_start_then_one_pass_over_the_pool_per_batch(tmp_path):
    model, calls = counting_model()
    pool = pool_of(2)
    app = create_app(model, feedback=str(tmp_path / "s.sqlite"), queue=write_pool(tmp_path / "p.jsonl", pool),
                     queue_labels=LABELS, queue_batch=3)
    with TestClient(app) as client:
        assert calls == []  # the server starts without ranking
        assert "/queue/next" in client.get("/openapi.json").json()["paths"]
        for _ in range(3):
            article = client.get("/queue/next").json()["article"]
            client.post("/queue/label", json={"id": article["id"], "label": LABELS[2]})
        assert calls == [len(pool)]  # one batch of 3 from one pass
        assert client.get("/queue/next").json()["article"] is not None
        assert calls == [len(pool), len(pool) - 3]  # the next batch, on what is left


def test_a_stance_queue_serves_claim_and_article_and_matches_page_corrections(stance_run, tmp_path):
    from repo import SAMPLE

    pool = str(SAMPLE / "stance.jsonl")
    app = create_app(f"{stance_run.run_dir}/model", feedback=str(tmp_path / "s.sqlite"), queue=pool, queue_batch=2)
    with TestClient(app) as client:
        labels = client.get("/model").json()["labels"]
        first = client.get("/queue/next").json()
        article = first["article"]
        assert article["text"] and article["text_pair"]
        assert client.post("/queue/label", json={"id": article["id"], "label": labels[0]}).status_code == 200
        second = client.get("/queue/next").json()["article"]
        # corrected on the try page as claim and text: the queue counts it as labelled
        assert client.post("/feedback", json={"claim": second["text"], "text": second["text_pair"],
                                              "model_label": None, "label": labels[1]}).status_code == 200
        progress = client.get("/queue/next").json()["progress"]
        assert progress["labelled"] == 2 and progress["left"] == first["progress"]["pool"] - 2
    # both export as stance training rows: claim, text and label
    rows = export(FeedbackStore(str(tmp_path / "s.sqlite")))
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                           encoding="utf-8")
    cfg, task = guess_data_config(str(tmp_path / "labels.jsonl"))
    cfg.split_column = None
    loaded = load_examples(cfg, task, "labels.jsonl")
    assert task == "stance"
    assert sorted((ex.text, ex.text_pair, ex.label) for ex in loaded) == sorted(
        [(article["text"], article["text_pair"], labels[0]), (second["text"], second["text_pair"], labels[1])])
    assert loaded[0].id == article["id"]


def test_two_editors_asking_at_the_same_moment_get_different_articles_from_one_ranking(tmp_path):
    import asyncio

    import httpx

    model, calls = counting_model()
    pool = pool_of(2)
    app = create_app(model, feedback=str(tmp_path / "s.sqlite"), queue=write_pool(tmp_path / "p.jsonl", pool),
                     queue_labels=LABELS)

    async def both():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://queue") as client:
            return await asyncio.gather(*(client.get("/queue/next") for _ in range(2)))

    answers = [answer.json() for answer in asyncio.run(both())]
    ids = [answer["article"]["id"] for answer in answers]
    assert len(set(ids)) == 2 and all(answer["leased"] for answer in answers)
    assert calls == [len(pool)]  # the second waited for the first's ranking instead of ranking again
