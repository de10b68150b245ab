"""khabar.config: `multi_label: true` and the keys that belong to it (or do not fit it)."""

from __future__ import annotations

import pytest

from khabar.config import config_from_dict
from khabar.errors import KhabarError


def raw(**top):
    data = top.pop("data", {})
    base = {"name": "ml", "task": "topic", "multi_label": True, "model": {"kind": "tfidf"},
            "data": {"path": ["d.jsonl"], "label_column": "labels", **data}}
    base.update(top)
    return base


def test_multi_label_config_round_trips():
    config = config_from_dict(raw(predict={"allow_no_label": True}, eval={"primary_metric": "micro_f1"}))
    assert config.multi_label and config.predict.allow_no_label
    again = config_from_dict(config.to_dict())
    assert again.multi_label and again.to_dict() == config.to_dict()
    assert "multi_label" not in config_from_dict(raw(multi_label=False)).to_dict()


@pytest.mark.parametrize("changes, message", [
    ({"task": "stance", "data": {"pair_column": "s2"}}, "multi_label: a stance pair has one stance"),
    ({"data": {"format": "folder"}}, "data.format: a folder per label"),
    ({"data": {"label_columns": ["Sports"]}}, "data.label_columns: name at least two distinct"),
    ({"data": {"label_columns": ["Sports", "Sports"]}}, "data.label_columns: name at least two distinct"),
    ({"data": {"label_delimiter": ""}}, "data.label_delimiter: give the character"),
    ({"predict": {"target_precision": 0.9}}, "predict: a multi-label model decides each label"),
    ({"predict": {"min_confidence": 0.5}}, "predict: a multi-label model decides each label"),
    ({"eval": {"extra": [{"name": "x", "data": {"path": ["x.csv"]}, "labels": ["a", "b"]}]}},
     "eval.extra: labels: restricting to a subset is for single-label"),
])
def test_keys_that_do_not_fit_multi_label_are_one_line(changes, message):
    with pytest.raises(KhabarError, match=message):
        config_from_dict(raw(**changes), "c.yaml")


@pytest.mark.parametrize("changes, key", [
    ({"data": {"label_columns": ["a", "b"]}}, "data.label_columns"),
    ({"predict": {"allow_no_label": True}}, "predict.allow_no_label"),
    ({"eval": {"primary_metric": "samples_f1"}}, "eval.primary_metric"),
])
def test_multi_label_keys_without_multi_label_name_the_key(changes, key):
    with pytest.raises(KhabarError, match=rf"c\.yaml: {key}: only for multi-label data; set multi_label: true"):
        config_from_dict(raw(multi_label=False, **changes), "c.yaml")


def test_multi_label_must_be_a_boolean():
    with pytest.raises(KhabarError, match="multi_label"):
        config_from_dict(raw(multi_label="yes please"), "c.yaml")


@pytest.mark.parametrize("role", ["text_column", "id_column", "source_column"])
def test_a_label_column_that_is_also_the_text_or_id_is_refused(role):
    with pytest.raises(KhabarError, match=rf"data.label_columns: 'Sports' is also data.{role}"):
        config_from_dict(raw(data={"label_columns": ["Sports", "Finance"], role: "Sports"}), "c.yaml")


def test_label_offsets_are_refused_for_a_multi_label_model():
    with pytest.raises(KhabarError, match=r"^c\.yaml: model\.label_offsets: for one label per article"):
        config_from_dict(raw(model={"kind": "tfidf", "label_offsets": True}), "c.yaml")
    assert config_from_dict(raw(multi_label=False, model={"kind": "tfidf", "label_offsets": True}))


def test_label_offsets_must_be_a_boolean():
    with pytest.raises(KhabarError, match="label_offsets"):
        config_from_dict(raw(multi_label=False, model={"kind": "tfidf", "label_offsets": "often"}), "c.yaml")
