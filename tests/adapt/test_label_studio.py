"""Label Studio interchange: suggestions out as import tasks with pre-annotations, and an export
(the same tasks, annotated) back in as labelled data through the input-format registry."""

from __future__ import annotations

import json

import pytest

from khabar.adapt.label_studio import labeling_config, tasks
from khabar.data import guess_data_config, load_examples
from khabar.errors import KhabarError

SUGGESTIONS = [
    {"id": "a1", "text": "فاز الفريق بالمباراة", "rank": 1, "uncertainty": 0.4,
     "guess": {"id": "a1", "label": "رياضة", "probability": 0.7, "top_k": []}},
    {"id": "a2", "text": "ارتفعت أسعار الأسهم", "rank": 2, "uncertainty": 0.9,
     "guess": {"id": "a2", "label": "اقتصاد", "probability": 0.55, "top_k": []}},
    {"id": "a3", "text": "أمطار غزيرة اليوم", "rank": 3, "uncertainty": 0.95,
     "guess": {"id": "a3", "label": "اقتصاد", "probability": 0.5, "top_k": []}},
]


def annotated(task_list, choices):
    """What Label Studio exports after annotators worked on the imported tasks."""
    out = []
    for i, (task, chosen) in enumerate(zip(task_list, choices)):
        annotations = [] if chosen is None else [
            {"was_cancelled": False, "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                                  "value": {"choices": chosen}}]}]
        out.append({"id": 100 + i, **task, "annotations": annotations})
    return out


def test_tasks_carry_the_text_and_the_guess_as_a_pre_annotation():
    out = tasks(SUGGESTIONS, model_version="outlet/run1")
    assert [t["data"]["id"] for t in out] == ["a1", "a2", "a3"]
    first = out[0]["predictions"][0]
    assert first["model_version"] == "outlet/run1" and first["score"] == 0.7
    assert first["result"][0]["value"]["choices"] == ["رياضة"]
    assert first["result"][0]["from_name"] == "label" and first["result"][0]["to_name"] == "text"
    config = labeling_config(["رياضة", "اقتصاد"])
    assert 'name="label"' in config and 'toName="text"' in config and 'value="$text"' in config


def test_an_export_loads_as_labelled_data(tmp_path):
    export = annotated(tasks(SUGGESTIONS), [["رياضة"], ["اقتصاد"], None])  # the third was not annotated
    path = tmp_path / "project-1-export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    cfg, task = guess_data_config(str(path), "topic")
    assert cfg.format == "label-studio"
    loaded = load_examples(cfg, task, str(path))
    assert [(ex.id, ex.text, ex.label) for ex in loaded] == [("a1", SUGGESTIONS[0]["text"], "رياضة"),
                                                             ("a2", SUGGESTIONS[1]["text"], "اقتصاد")]


def test_a_cancelled_annotation_does_not_count_and_an_empty_one_is_refused(tmp_path):
    export = annotated(tasks(SUGGESTIONS[:2]), [["رياضة"], []])
    export[0]["annotations"][0]["was_cancelled"] = True
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    cfg, task = guess_data_config(str(path), "topic")
    with pytest.raises(KhabarError, match="task 2: its annotation chose no label"):
        load_examples(cfg, task, str(path))
