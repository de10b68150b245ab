"""Predictions of a multi-label model in every output: records (`predict_examples`, JSON-lines and
CSV), explanations, HTTP (/predict, /model, the 422s of options it cannot honour) and the Ray
worker's table, each checked against the decision rule computed here from `predict_proba` and
the model's own thresholds (every label at or above its threshold, most probable first, at least
the top one unless the model allows none)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from multi_label_model import BOTH, ONE, train_multi_label

from khabar.errors import KhabarError
from khabar.examples import Example
from khabar.models.base import load_model
from khabar.serving.explain import explain_examples, explanation_text
from khabar.models.predict import predict_examples
from khabar.models.scheme import LabelSet
from khabar.serving.writers import write_records

TEXTS = [BOTH, ONE, "الحكومة تعلن خطة للإصلاح في البرلمان", "ارتفعت الأسهم في البورصة"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return str(train_multi_label(tmp_path_factory.mktemp("multi-label")))


@pytest.fixture
def model(model_dir):
    return load_model(model_dir)


def expected_sets(model, texts, allow_none: bool = False) -> list[list[tuple[str, float]]]:
    """The decision rule, computed here: labels at or above their thresholds, most probable first."""
    proba = np.asarray(model.predict_proba(texts))
    out = []
    for row in proba:
        above = sorted((j for j in range(len(row)) if row[j] >= model.thresholds_[j]), key=lambda j: -row[j])
        if not above and not allow_none:
            above = [int(np.argmax(row))]
        out.append([(model.labels_[j], float(row[j])) for j in above])
    return out


def names(entries) -> list[str]:
    return [e["label"] for e in entries]


def test_the_model_reads_two_topics_in_one_article(model):
    assert model.multi_label and set(model.labels_) == {"finance", "politics", "sports"}
    sets = expected_sets(model, [BOTH, ONE])
    assert {name for name, _ in sets[0]} == {"sports", "finance"}
    assert [name for name, _ in sets[1]] == ["sports"]


def test_records_give_every_decided_label_with_its_probability(model):
    examples = [Example(id=f"t{i}", text=t) for i, t in enumerate(TEXTS)]
    records = predict_examples(model, examples, top_k=2, batch_size=3)  # two batches
    proba = model.predict_proba(TEXTS)
    for record, expected, row, ex in zip(records, expected_sets(model, TEXTS), proba, examples):
        assert set(record) == {"id", "label", "probability", "abstained", "labels", "top_k"}
        assert record["abstained"] is (not record["labels"])
        assert record["id"] == ex.id
        assert names(record["labels"]) == [name for name, _ in expected]
        assert [e["probability"] for e in record["labels"]] == pytest.approx([p for _, p in expected], abs=1e-6)
        assert record["label"] == expected[0][0] and record["probability"] == pytest.approx(expected[0][1], abs=1e-6)
        order = np.argsort(-row)[:2]
        assert names(record["top_k"]) == [model.labels_[j] for j in order]
    assert len(records[0]["labels"]) == 2


def test_a_model_that_allows_no_label_gives_null_when_none_passes(model):
    model.scheme.thresholds = np.full(len(model.labels_), 1.5)  # nothing can pass
    (floor,) = predict_examples(model, [Example(id="a", text=ONE)])
    assert names(floor["labels"]) == ["sports"] and floor["label"] == "sports"  # the floor: the top label
    model.scheme.allow_no_label = True
    (record,) = predict_examples(model, [Example(id="a", text=ONE)])
    assert record["labels"] == [] and record["label"] is None and record["probability"] is None
    assert len(record["top_k"]) == 3 and record["top_k"][0]["label"] == "sports"  # what it thought
    out = io.StringIO()
    write_records([record], "csv", out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["label"] == "" and row["labels"] == "" and row["probability"] == ""


def test_csv_joins_the_labels_and_jsonl_keeps_the_lists(model):
    records = predict_examples(model, [Example(id=f"t{i}", text=t) for i, t in enumerate(TEXTS)])
    out = io.StringIO()
    write_records(records, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["id", "label", "probability", "labels", "probabilities", "top_k"]
    for row, record in zip(rows, records):
        assert row["labels"].split("|") == names(record["labels"])
        assert [float(p) for p in row["probabilities"].split("|")] == \
            pytest.approx([e["probability"] for e in record["labels"]], abs=1e-6)
        assert row["label"] == record["label"] and row["top_k"].startswith(record["top_k"][0]["label"] + ":")
    out = io.StringIO()
    write_records(records, "jsonl", out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == records


@pytest.mark.parametrize("options, flag", [({"min_confidence": 0.5}, "--min-confidence"),
                                           ({"min_confidence": 0.0}, "--min-confidence"),
                                           ({"labels": ["sports", "finance"]}, "--labels")])
def test_abstaining_and_label_subsets_are_refused_in_one_line(model, options, flag):
    with pytest.raises(KhabarError, match=f"^{flag}: a multi-label model") as found:
        predict_examples(model, [Example(id="a", text=ONE)], **options)
    assert "\n" not in str(found.value)


def test_explanations_cover_each_decided_label(model):
    examples = [Example(id="a", text=BOTH), Example(id="b", text=ONE)]
    records = explain_examples(model, examples, top=3)
    for record, expected in zip(records, expected_sets(model, [BOTH, ONE])):
        decided = [name for name, _ in expected]
        assert names(record["labels"]) == decided and record["label"] == decided[0]
        assert names(record["explained"]) == decided
        for entry in record["explained"]:
            assert entry["toward"] or entry["against"]
    text = explanation_text(records[0], BOTH)
    assert text.splitlines()[0].startswith("a\t") and "sports" in text.splitlines()[0] and "finance" in text
    (with_runner_up,) = explain_examples(model, examples[1:], top=3, runner_up=True)
    proba = model.predict_proba([ONE])[0]
    best_other = max((j for j in range(len(proba)) if model.labels_[j] != "sports"), key=lambda j: proba[j])
    assert names(with_runner_up["explained"]) == ["sports", model.labels_[best_other]]
    assert names(with_runner_up["labels"]) == ["sports"]


# -- HTTP ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(model_dir):
    pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
    pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")
    from fastapi.testclient import TestClient

    from khabar.serving.http import create_app

    with TestClient(create_app(model_dir)) as c:
        yield c


def test_http_predict_gives_the_label_sets(client, model_dir):
    model = load_model(model_dir)
    r = client.post("/predict", json={"texts": TEXTS, "top_k": 3})
    assert r.status_code == 200
    predictions = r.json()["predictions"]
    for prediction, expected in zip(predictions, expected_sets(model, TEXTS)):
        assert set(prediction) == {"id", "label", "probability", "abstained", "labels", "top_k"}
        assert prediction["abstained"] is False
        assert names(prediction["labels"]) == [name for name, _ in expected]
        assert [e["probability"] for e in prediction["labels"]] == pytest.approx([p for _, p in expected])
        assert prediction["label"] == expected[0][0] and len(prediction["top_k"]) == 3
    assert len(predictions[0]["labels"]) == 2


def test_http_model_shows_the_thresholds(client, model_dir):
    model = load_model(model_dir)
    info = client.get("/model").json()
    thresholds = info["multi_label"]["thresholds"]
    assert sorted(thresholds) == sorted(model.labels_)
    assert [thresholds[lab] for lab in model.labels_] == pytest.approx(model.thresholds_.tolist())
    assert info["multi_label"]["allow_no_label"] is False


@pytest.mark.parametrize("extra, field", [({"min_confidence": 0.5}, "min_confidence"),
                                          ({"labels": ["sports", "finance"]}, "labels"),
                                          ({"labels": ["sports", "nope"]}, "labels")])
def test_http_refuses_what_a_multi_label_model_cannot_honour(client, extra, field):
    r = client.post("/predict", json={"text": ONE, **extra})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error.startswith(f"{field}: a multi-label model") and "\n" not in error


def test_http_explain_explains_each_decided_label(client, model_dir):
    model = load_model(model_dir)
    r = client.post("/predict", json={"texts": [BOTH, ONE], "explain": True})
    assert r.status_code == 200
    for prediction, expected in zip(r.json()["predictions"], expected_sets(model, [BOTH, ONE])):
        assert names(prediction["explanation"]["explained"]) == [name for name, _ in expected]


def test_a_server_default_it_cannot_honour_fails_at_start(model_dir):
    pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
    from khabar.serving.http import create_app

    with pytest.raises(KhabarError, match="^--min-confidence: a multi-label model"):
        create_app(model_dir, min_confidence=0.5)
    with pytest.raises(KhabarError, match="^--labels: a multi-label model"):
        create_app(model_dir, labels=["sports", "finance"])


def test_http_null_label_when_the_model_allows_none(model):
    pytest.importorskip("httpx", reason="TestClient needs httpx: pip install 'khabar[serve]'")
    from fastapi.testclient import TestClient

    from khabar.serving.http import create_app

    model.scheme.thresholds = np.full(len(model.labels_), 1.5)
    model.scheme.allow_no_label = True
    with TestClient(create_app(model)) as c:
        (prediction,) = c.post("/predict", json={"text": ONE}).json()["predictions"]
    assert prediction["labels"] == [] and prediction["label"] is None and prediction["probability"] is None
    assert prediction["abstained"] is True


# -- Ray ------------------------------------------------------------------------------------------

def test_the_ray_worker_gives_the_same_records(model_dir):
    """What each Ray worker does, without Ray: the same label sets as `predict_examples`."""
    pa = pytest.importorskip("pyarrow")
    from khabar.serving.ray import _Labeler

    labeler = _Labeler(model_dir, "text", None, "id", 2, "cpu")
    rows = labeler(pa.table({"id": [f"t{i}" for i in range(len(TEXTS))], "text": TEXTS})).to_pylist()
    model = load_model(model_dir)
    records = predict_examples(model, [Example(id=f"t{i}", text=t) for i, t in enumerate(TEXTS)], top_k=2)
    for row, record in zip(rows, records):
        assert set(row) == set(record)
        assert row["id"] == record["id"] and row["label"] == record["label"] and row["abstained"] == record["abstained"]
        assert names(row["labels"]) == names(record["labels"]) and names(row["top_k"]) == names(record["top_k"])
        assert [e["probability"] for e in row["labels"]] == pytest.approx([e["probability"] for e in record["labels"]],
                                                                          abs=1e-6)


def test_the_ray_table_of_label_sets_has_null_where_no_label_is_given():
    pytest.importorskip("pyarrow")
    from khabar.serving.ray import label_table

    proba = np.array([[0.9, 0.2, 0.7], [0.3, 0.1, 0.2]])
    scheme = LabelSet(allow_no_label=True, thresholds=np.array([0.5, 0.5, 0.5]))
    rows = label_table(["a", "b"], scheme.rows(["x", "y", "z"], proba, 2), scheme.fields).to_pylist()
    assert rows[0] == {"id": "a", "label": "x", "probability": 0.9, "abstained": False,
                       "labels": [{"label": "x", "probability": 0.9}, {"label": "z", "probability": 0.7}],
                       "top_k": [{"label": "x", "probability": 0.9}, {"label": "z", "probability": 0.7}]}
    assert rows[1]["label"] is None and rows[1]["probability"] is None and rows[1]["labels"] == []
    assert rows[1]["abstained"] is True
    assert [t["label"] for t in rows[1]["top_k"]] == ["x", "z"]


def test_ray_refuses_abstaining_before_ray_starts(model_dir, tmp_path, monkeypatch):
    from khabar.serving import ray as ray_engine

    monkeypatch.setattr(ray_engine, "import_ray", lambda: pytest.fail("Ray was started for a mistake it need not see"))
    shard = tmp_path / "in.jsonl"
    shard.write_text(json.dumps({"id": "1", "text": ONE}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="^--min-confidence: a multi-label model"):
        ray_engine.predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), min_confidence=0.5)
    with pytest.raises(KhabarError, match="^--labels: a multi-label model"):
        ray_engine.predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), labels=["sports", "finance"])


@pytest.mark.slow
def test_ray_labels_shards_with_label_sets(model_dir, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'khabar[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'khabar[ray]'")
    import pyarrow.parquet as pq

    from khabar.serving.ray import predict_with_ray

    shard = tmp_path / "in.jsonl"
    shard.write_text("".join(json.dumps({"id": f"t{i}", "text": t}, ensure_ascii=False) + "\n"
                             for i, t in enumerate(TEXTS)), encoding="utf-8")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), batch_size=2, num_workers=1, progress=False)
    finally:
        ray.shutdown()
    got = {row["id"]: row for row in pq.read_table(tmp_path / "out").to_pylist()}
    for i, expected in enumerate(expected_sets(load_model(model_dir), TEXTS)):
        assert names(got[f"t{i}"]["labels"]) == [name for name, _ in expected]


def test_http_a_one_label_restriction_on_a_multi_label_model_is_told_the_real_reason(client):
    """Not "name at least two labels" first and "drop labels" once the client complies."""
    response = client.post("/predict", json={"text": ONE, "labels": ["sports"]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error.startswith("labels:") and "multi-label" in error and "at least two" not in error


def test_the_queue_view_refuses_a_multi_label_model_at_start(model_dir, tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
    from khabar.serving.http import create_app

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"id": f"a{i}", "text": t}, ensure_ascii=False) + "\n"
                            for i, t in enumerate(TEXTS)), encoding="utf-8")
    with pytest.raises(KhabarError, match="multi-label"):
        create_app(model_dir, feedback=str(tmp_path / "s.sqlite"), queue=str(pool))
    assert not (tmp_path / "s.sqlite").exists()
