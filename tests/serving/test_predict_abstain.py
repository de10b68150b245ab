"""Abstaining and restricting to labels in every output of khabar.serving: `ranked`, the records
and CSV of `khabar predict`, Ray's `label_table` and a Ray worker; `restrict_proba` and the
threshold a model stores (its scheme's `min_confidence`)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.models.base import load_model
from khabar.models.predict import DIGITS, predict_examples, resolve_min_confidence
from khabar.models.scheme import OneLabel, restrict_proba
from khabar.serving.predict import examples_from_stream, parse_labels
from khabar.serving.writers import write_records

LABELS = ["finance", "politics", "sports"]
PROBA = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [0.1, 0.3, 0.6]])
SPORTS = "سجل المهاجم هدفين في المباراة النهائية وفاز الفريق بكأس البطولة أمام جمهوره"
VAGUE = "قال إن الأمر يتعلق بأشياء كثيرة"


def records_from_proba(labels, ids, proba, top_k=3, min_confidence=None):
    """What `predict_examples` writes for these probabilities: the scheme's rows, ids first, to 6 digits."""
    rows = OneLabel().rows(labels, proba, top_k, DIGITS, min_confidence)
    return [{"id": identifier, **row} for identifier, row in zip(ids, rows)]


def _with_threshold(small_tfidf_dir, tmp_path, value):
    """A copy of the small model whose manifest stores an abstain threshold (the manifest is not
    among the hashed files, so the copy still loads)."""
    model_dir = tmp_path / "model"
    shutil.copytree(small_tfidf_dir, model_dir)
    manifest = json.loads((model_dir / "khabar.json").read_text(encoding="utf-8"))
    manifest["abstain"] = {"min_confidence": value, "target_precision": 0.9, "dev_coverage": 0.8}
    (model_dir / "khabar.json").write_text(json.dumps(manifest), encoding="utf-8")
    return model_dir


def test_ranked_abstains_below_the_threshold_and_keeps_the_top_k():
    rows = OneLabel().rows(LABELS, PROBA, top_k=2, min_confidence=0.5)
    assert [r["label"] for r in rows] == ["finance", None, "sports"]
    assert [r["abstained"] for r in rows] == [False, True, False]
    assert rows[1] == {"label": None, "probability": 0.4, "abstained": True,
                       "top_k": [{"label": "finance", "probability": 0.4}, {"label": "politics", "probability": 0.35}]}
    # exactly at the threshold is kept; None and 0 never abstain
    assert OneLabel().rows(LABELS, PROBA, min_confidence=0.4)[1]["abstained"] is False
    for off in (None, 0, 0.0):
        assert not any(r["abstained"] for r in OneLabel().rows(LABELS, PROBA, min_confidence=off))
    assert all(r["abstained"] for r in OneLabel().rows(LABELS, PROBA, min_confidence=1.0))
    for bad in (1.5, -0.1, float("nan"), "0.5", True):
        with pytest.raises(KhabarError, match="must be a probability from 0 to 1"):
            OneLabel().rows(LABELS, PROBA, min_confidence=bad)


def test_records_jsonl_and_csv_of_an_abstained_prediction():
    records = records_from_proba(LABELS, ["a", "b"], PROBA[:2], top_k=3, min_confidence=0.5)
    assert records[1] == {"id": "b", "label": None, "probability": 0.4, "abstained": True,
                          "top_k": [{"label": "finance", "probability": 0.4}, {"label": "politics", "probability": 0.35},
                                    {"label": "sports", "probability": 0.25}]}
    out = io.StringIO()
    write_records(records, "jsonl", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == records and '"label": null, "probability": 0.4, "abstained": true' in out.getvalue()
    out = io.StringIO()
    write_records(records, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0] == {"id": "a", "label": "finance", "probability": "0.700000", "abstained": "false",
                       "top_k": "finance:0.7000;politics:0.2000;sports:0.1000"}
    assert rows[1] == {"id": "b", "label": "", "probability": "0.400000", "abstained": "true",
                       "top_k": "finance:0.4000;politics:0.3500;sports:0.2500"}


def test_ray_label_table_has_a_nullable_label_and_an_abstained_column():
    pa = pytest.importorskip("pyarrow")
    from khabar.serving.ray import label_table

    table = label_table(["a", "b", "c"], OneLabel().rows(LABELS, PROBA, 2, None, 0.5), OneLabel.fields)
    assert table.schema.field("label").type == pa.string() and table.schema.field("label").nullable
    assert table.schema.field("abstained").type == pa.bool_()
    rows = table.to_pylist()
    expected = records_from_proba(LABELS, ["a", "b", "c"], PROBA, top_k=2, min_confidence=0.5)
    assert rows == expected  # the same shape as every other output (no rounding needed here)
    assert label_table(None, OneLabel().rows(LABELS, PROBA), OneLabel.fields).column("abstained").to_pylist() == [False] * 3
    empty = label_table([], [], OneLabel.fields)
    assert empty.num_rows == 0 and "abstained" in empty.column_names


def test_a_ray_worker_uses_the_stored_threshold_and_the_label_subset(small_tfidf_dir, tmp_path):
    pa = pytest.importorskip("pyarrow")
    from khabar.serving.ray import _Labeler

    model_dir = _with_threshold(small_tfidf_dir, tmp_path, 0.99)
    batch = pa.table({"id": ["s", "v"], "text": [SPORTS, VAGUE]})
    stored = _Labeler(str(model_dir), "text", None, "id", 3, "cpu")(batch).to_pylist()
    assert [r["abstained"] for r in stored] == [True, True] and stored[0]["label"] is None
    off = _Labeler(str(model_dir), "text", None, "id", 3, "cpu", min_confidence=0)(batch).to_pylist()
    assert off[0]["label"] == "sports" and not any(r["abstained"] for r in off)
    subset = _Labeler(str(model_dir), "text", None, "id", 3, "cpu", min_confidence=0,
                      labels=["politics", "sports"])(batch).to_pylist()
    assert {t["label"] for r in subset for t in r["top_k"]} == {"politics", "sports"}
    assert all(sum(t["probability"] for t in r["top_k"]) == pytest.approx(1.0) for r in subset)


def test_predict_with_ray_refuses_a_bad_subset_and_threshold_before_starting(small_tfidf_dir, tmp_path):
    from khabar.serving.ray import predict_with_ray

    shard = tmp_path / "in.jsonl"
    shard.write_text(json.dumps({"id": "a", "text": SPORTS}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="--labels: 'weather' not among the model's labels"):
        predict_with_ray(str(small_tfidf_dir), str(shard), str(tmp_path / "out"), labels=["sports", "weather"])
    with pytest.raises(KhabarError, match="--min-confidence 2: must be a probability"):
        predict_with_ray(str(small_tfidf_dir), str(shard), str(tmp_path / "out"), min_confidence=2)
    assert not (tmp_path / "out").exists()


def test_restrict_proba_keeps_the_subset_and_renormalizes():
    proba, names = restrict_proba(PROBA, LABELS, ["sports", "finance"])
    assert names == ["finance", "sports"]  # the model's label order
    np.testing.assert_allclose(proba, [[0.7 / 0.8, 0.1 / 0.8], [0.4 / 0.65, 0.25 / 0.65], [0.1 / 0.7, 0.6 / 0.7]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    same, names = restrict_proba(PROBA, LABELS, None)
    assert names == LABELS and np.array_equal(same, PROBA)
    zero, _ = restrict_proba(np.array([[1.0, 0.0, 0.0]]), LABELS, ["politics", "sports"])
    np.testing.assert_allclose(zero, [[0.5, 0.5]])  # no mass left: uniform over the subset, never NaN
    assert restrict_proba(PROBA, LABELS, ["sports", "sports", "politics"])[1] == ["politics", "sports"]


def test_restrict_proba_refuses_labels_the_model_does_not_know():
    with pytest.raises(KhabarError) as err:
        restrict_proba(PROBA, LABELS, ["sports", "Weather", "culture"])
    message = str(err.value)
    assert "\n" not in message
    assert "'Weather', 'culture' not among the model's labels (finance, politics, sports)" in message
    with pytest.raises(KhabarError, match="at least two labels"):
        restrict_proba(PROBA, LABELS, ["sports"])
    assert restrict_proba(PROBA, LABELS, ["sports", "finance"])[1] == ["finance", "sports"]
    assert restrict_proba(PROBA, LABELS, None)[1] == LABELS
    assert parse_labels(" sports, finance,,sports ") == ["sports", "finance"] and parse_labels(None) is None
    with pytest.raises(KhabarError, match="expected label names separated by commas"):
        parse_labels(" , ")


def test_stored_threshold_is_the_default_and_zero_switches_it_off(small_tfidf_dir, tmp_path):
    plain = load_model(str(small_tfidf_dir))
    assert plain.scheme.min_confidence is None and resolve_min_confidence(plain, None) is None
    model = load_model(str(_with_threshold(small_tfidf_dir, tmp_path, 0.6)))
    assert model.scheme.min_confidence == 0.6
    assert resolve_min_confidence(model, None) == 0.6
    assert resolve_min_confidence(model, 0) == 0.0 and resolve_min_confidence(model, 0.9) == 0.9
    with pytest.raises(KhabarError, match="--min-confidence 1.2"):
        resolve_min_confidence(model, 1.2)


def test_predict_examples_abstains_and_restricts(small_tfidf_dir):
    model = load_model(str(small_tfidf_dir))
    examples = examples_from_stream("topic", io.StringIO(f"{SPORTS}\n{VAGUE}\n"))
    records = predict_examples(model, examples, top_k=3, min_confidence=0.999)
    assert all(r["abstained"] and r["label"] is None for r in records)
    records = predict_examples(model, examples, top_k=5, labels=["politics", "sports"])
    assert all({t["label"] for t in r["top_k"]} == {"politics", "sports"} for r in records)
    assert records[0]["label"] == "sports" and not records[0]["abstained"]
    with pytest.raises(KhabarError, match="'weather' not among"):
        predict_examples(model, examples, labels=["weather", "sports"])
