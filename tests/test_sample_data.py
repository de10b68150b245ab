"""The embedded sample's topic file (data/sample/topic.jsonl): its multi-label `labels` field agrees
with the single `label`, and both views load through khabar's own loaders and configs."""

from __future__ import annotations

import dataclasses

import json
from collections import Counter

import pytest
from repo import CONFIGS, ROOT, SAMPLE

from khabar.config import load_config
from khabar.data import load_splits

TOPICS = {"Politics", "Finance", "Sports", "Culture", "Medical", "Religion", "Tech"}


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with open(SAMPLE / "topic.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_every_row_has_labels_led_by_its_label(rows):
    for row in rows:
        labels = row.get("labels")
        assert isinstance(labels, list) and labels, row["id"]
        assert labels[0] == row["label"], row["id"]
        assert len(set(labels)) == len(labels) <= 2, row["id"]
        assert set(labels) <= TOPICS, row["id"]


def test_two_topic_rows_are_a_few_dozen_spread_over_splits_and_pairs(rows):
    two = [row for row in rows if len(row["labels"]) == 2]
    assert 20 <= len(two) <= 60
    assert set(Counter(row["split"] for row in two)) == {"train", "dev", "test"}
    assert len({frozenset(row["labels"]) for row in two}) >= 4
    assert len({row["label"] for row in two}) >= 4  # not all from one topic's articles


def test_labels_sit_right_after_label(rows):
    """The file keeps its key order: the new field follows `label`, the rest is as before."""
    assert all(list(row) == ["id", "text", "label", "labels", "source", "split"] for row in rows)


def test_multilabel_config_loads_and_reads_the_label_lists(rows, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = load_config(str(CONFIGS / "sample_topic_multilabel.yaml"))
    assert config.multi_label and config.data.label_column == "labels"
    assert config.predict.target_precision is None and config.eval.primary_metric == "micro_f1"
    splits = load_splits(config.data, config.task, config.train.seed, config.source, config.multi_label)
    by_id = {row["id"]: row for row in rows}
    loaded = [ex for _, items in splits.items() for ex in items]
    assert len(loaded) == len(rows)
    for ex in loaded:
        row = by_id[ex.id]
        assert set(ex.gold) == set(row["labels"]) and ex.split == row["split"]


def test_single_label_view_is_unchanged(rows, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"))
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    by_id = {row["id"]: row for row in rows}
    assert all(ex.label == by_id[ex.id]["label"] and ex.gold == (ex.label,)
               for _, items in splits.items() for ex in items)


def test_multilabel_bert_config_is_the_sample_bert_with_label_lists():
    config = load_config(str(CONFIGS / "sample_topic_multilabel_bert.yaml"))
    bert = load_config(str(CONFIGS / "sample_topic_bert.yaml"))
    assert config.multi_label and config.model_kind == "transformer" and config.data.label_column == "labels"
    assert config.train == bert.train
    # the same network; only the loss is weighted (BCE pos_weight: each topic is rare per article)
    assert config.model.class_weights and not bert.model.class_weights
    assert dataclasses.replace(config.model, class_weights=False) == bert.model
