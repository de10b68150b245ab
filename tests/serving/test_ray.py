"""khabar.serving.ray: batch prediction with Ray Data, on a local Ray the test starts (2 CPUs, no
dashboard).

The labeling logic each worker runs, the output table, the input expansion and every argument
mistake are checked without Ray (the default run). The Ray jobs are marked slow: starting Ray and
its workers took about a tenth of the default suite's time; one labels JSON-lines and Parquet shards
and must agree with the plain path (model.predict_proba).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.serving import ray as ray_engine
from khabar.serving.ray import _expand, import_ray, _Labeler, label_table, predict_with_ray, ray_reader

ARTICLES = ["اللاعب سجل هدف الفوز في المباراة", "البورصة والنفط والفائدة", "البرلمان والحكومة والوزير",
            "المنتخب يفوز بالدوري", "أسعار الأسهم في البورصة", "الرئيس يعلن قانونا جديدا"] * 5


@pytest.fixture
def model_dir(small_tfidf_dir):
    return str(small_tfidf_dir)


def test_label_table_shape():
    from khabar.models.scheme import OneLabel

    rows = OneLabel().rows(["x", "y", "z"], np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]), 2)
    table = label_table(["a", "b"], rows, OneLabel.fields)
    rows = table.to_pylist()
    assert rows[0] == {"id": "a", "label": "y", "probability": 0.7, "abstained": False,
                       "top_k": [{"label": "y", "probability": 0.7}, {"label": "z", "probability": 0.2}]}
    assert rows[1]["label"] == "x" and len(rows[1]["top_k"]) == 2


def test_worker_labels_a_batch_in_process(model_dir):
    """What each Ray worker does, without Ray: the fast check of the labeling logic."""
    import pyarrow as pa

    labeler = _Labeler(model_dir, "text", None, "id", 3, "cpu")
    out = labeler(pa.table({"id": ["s", "f"], "text": ARTICLES[:2], "extra": [1, 2]})).to_pylist()
    assert [r["label"] for r in out] == ["sports", "finance"]
    assert out[0]["id"] == "s" and len(out[0]["top_k"]) == 3
    with pytest.raises(KhabarError, match="id 'f': empty or missing 'text'"):
        labeler(pa.table({"id": ["s", "f"], "text": [ARTICLES[0], "  "]}))


def test_inputs_are_files_folders_or_globs(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/1.jsonl", "a/2.jsonl.gz", "a/_SUCCESS", "b.parquet", "c.parquet"):
        (tmp_path / name).write_bytes(b"")
    groups = _expand([str(tmp_path / "a"), str(tmp_path / "*.parquet")])
    assert [os.path.basename(f) for f in groups["json"]] == ["1.jsonl", "2.jsonl.gz"]
    assert [os.path.basename(f) for f in groups["parquet"]] == ["b.parquet", "c.parquet"]
    with pytest.raises(KhabarError, match="no file matches"):
        _expand(str(tmp_path / "*.csv"))


@pytest.mark.parametrize("name, reader", [
    ("a.parquet", "parquet"), ("a.jsonl", "json"), ("a.jsonl.gz", "json"), ("a.json", "json"), ("A.JSONL", "json"),
])
def test_ray_reader_follows_the_format_registry(name, reader):
    assert ray_reader(name) == reader


@pytest.mark.parametrize("name", ["a.csv", "a.pq", "a.ndjson", "a.parquet.gz", "a.txt"])
def test_ray_reader_refuses_what_ray_would_misread(name):
    with pytest.raises(KhabarError, match=r"unknown format for the ray engine; give \.jsonl, \.json, \.parquet files"):
        ray_reader(name)


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(KhabarError, match=r"pip install 'khabar\[ray\]'"):
        import_ray()


def test_mistakes_fail_before_ray_starts(model_dir, stance_run, tmp_path, monkeypatch):
    monkeypatch.setattr(ray_engine, "import_ray", lambda: pytest.fail("Ray was started for a mistake it need not see"))
    shard = tmp_path / "in.jsonl"
    shard.write_text(json.dumps({"id": "1", "text": "نص"}) + "\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="this is a topic model"):
        predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), pair_column="claim")
    with pytest.raises(KhabarError, match="this is a stance model"):
        predict_with_ray(stance_run.run_dir, [str(shard)], str(tmp_path / "out"))
    with pytest.raises(KhabarError, match="no such file"):
        predict_with_ray(model_dir, [str(tmp_path / "missing.jsonl")], str(tmp_path / "out"))
    with pytest.raises(KhabarError, match="unknown format"):
        (tmp_path / "in.csv").write_text("id,text\n")
        predict_with_ray(model_dir, [str(tmp_path / "in.csv")], str(tmp_path / "out"))
    with pytest.raises(KhabarError, match="no column 'headline'"):
        predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), text_column="headline")
    with pytest.raises(KhabarError, match="must be at least 1"):
        predict_with_ray(model_dir, [str(shard)], str(tmp_path / "out"), num_workers=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(KhabarError, match="empty folder"):
        predict_with_ray(model_dir, [str(tmp_path / "empty")], str(tmp_path / "out"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.parquet").write_bytes(b"")
    with pytest.raises(KhabarError, match="not empty"):
        predict_with_ray(model_dir, [str(shard)], str(tmp_path / "full"))


@pytest.mark.slow
def test_ray_labels_jsonl_and_parquet_shards_like_the_plain_path(model_dir, local_ray, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from khabar.models.base import load_model

    rows = [{"id": f"a{i}", "text": t, "source": "x"} for i, t in enumerate(ARTICLES)]
    shards = tmp_path / "in"
    shards.mkdir()
    for part in range(2):  # two JSON-lines shards in a folder, one Parquet file given by path
        with open(shards / f"part-{part}.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[part * 10:(part + 1) * 10])
    pq.write_table(pa.Table.from_pylist(rows[20:]), tmp_path / "rest.parquet")

    result = predict_with_ray(model_dir, [str(shards), str(tmp_path / "rest.parquet")], str(tmp_path / "out"),
                              batch_size=4, num_workers=2, top_k=2, progress=False)
    assert result["rows"] == len(rows) and result["files"]
    assert not list(tmp_path.glob("out.partial-*"))
    got = {r["id"]: r for r in pq.read_table(tmp_path / "out").to_pylist()}
    assert sorted(got) == sorted(r["id"] for r in rows)

    model = load_model(model_dir)
    proba = model.predict_proba([r["text"] for r in rows])
    for row, p in zip(rows, proba):
        out = got[row["id"]]
        assert out["label"] == model.labels_[int(np.argmax(p))]
        assert out["probability"] == pytest.approx(float(p.max()))
        assert len(out["top_k"]) == 2 and out["top_k"][0]["label"] == out["label"]
    assert got["a0"]["label"] == "sports" and got["a1"]["label"] == "finance"


@pytest.mark.slow
def test_a_mistake_seen_in_a_worker_comes_back_as_one_khabar_error(model_dir, local_ray, tmp_path):
    """A row without text in a later shard: only a worker sees it; the user gets one clear line."""
    shards = tmp_path / "in"
    shards.mkdir()
    with open(shards / "part-1.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "a", "text": ARTICLES[0]}, ensure_ascii=False) + "\n")
    with open(shards / "part-2.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "z", "body": "نص"}, ensure_ascii=False) + "\n")
    with pytest.raises(KhabarError, match=r"^id 'z': empty or missing 'text'"):
        predict_with_ray(model_dir, [str(shards)], str(tmp_path / "out2"), num_workers=1, progress=False)
    assert not (tmp_path / "out2").exists() and not list(tmp_path.glob("out2.partial-*"))
