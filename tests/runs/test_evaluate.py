"""khabar.runs.evaluate: metrics as plain data, one function for every kind; unknown labels apart."""

from __future__ import annotations

import json

import pytest

from khabar.errors import KhabarError
from khabar.runs.evaluate import compute_metrics, flat_metrics, headline, parse_label_map, summarize


def test_metrics_on_a_hand_checked_example():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    m = compute_metrics(gold, pred, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    # a: P=1/2 R=1/2 F=1/2; b: P=2/3 R=1 F=0.8; c: P=0 R=0 F=0
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.8)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_macro_f1_counts_only_the_labels_present_in_gold():
    m = compute_metrics(["a", "a", "b"], ["a", "a", "b"], ["a", "b", "c"])
    assert m["macro_f1"] == 1.0 and m["per_class"]["c"]["support"] == 0
    empty = compute_metrics([], [], ["a", "b"])
    assert empty["n"] == 0 and empty["accuracy"] is None and empty["confusion"] == []


def test_label_map_parsing():
    assert parse_label_map("sport=Sports, economy=Finance") == {"sport": "Sports", "economy": "Finance"}
    assert parse_label_map(None) == {} and parse_label_map(" , ") == {}
    with pytest.raises(KhabarError, match="source=target"):
        parse_label_map("sport")
    with pytest.raises(KhabarError, match="source=target"):
        parse_label_map("sport=")


def _prediction(i, gold, predicted, source=None, known=True):
    return {"id": str(i), "gold": gold, "original_label": gold, "predicted": predicted, "probability": 0.9,
            "top_k": [[predicted, 0.9]], "source": source, "known": known}


def test_summarize_splits_by_source_and_reports_unknown_labels_apart():
    predictions = [_prediction(1, "a", "a", "s1"), _prediction(2, "b", "a", "s1"), _prediction(3, "b", "b", "s2"),
                   _prediction(4, "z", "a", "s2", known=False), _prediction(5, "z", "b", "s2", known=False)]
    result = summarize(predictions, ["a", "b"])
    assert result["n"] == 3 and result["accuracy"] == pytest.approx(2 / 3)
    assert result["by_source"]["s1"] == {"n": 2, "accuracy": 0.5, "macro_f1": pytest.approx(1 / 3)}
    assert result["unknown_labels"] == {"z": {"n": 2, "predicted_as": {"a": 1, "b": 1}}}
    assert headline(result) == {"accuracy": pytest.approx(2 / 3), "macro_f1": result["macro_f1"],
                                "weighted_f1": result["weighted_f1"], "n": 3}
    flat = flat_metrics(result, "test")
    assert flat["test.n"] == 3 and flat["test.f1.a"] == result["per_class"]["a"]["f1"]
    assert flat["test.source.s2.accuracy"] == 1.0 and flat["test.unknown_label.z"] == 2
    assert all(not isinstance(v, (dict, list)) for v in flat.values())


def test_one_source_gives_no_per_source_table():
    result = summarize([_prediction(1, "a", "a", "s1"), _prediction(2, "b", "b", "s1")], ["a", "b"])
    assert "by_source" not in result and "unknown_labels" not in result


def _write_other_source(path):
    rows = [
        {"id": "o1", "text": "فاز الفريق في المباراة النهائية للبطولة وسجل المهاجم هدفين", "label": "sport"},
        {"id": "o2", "text": "ارتفعت أسعار الأسهم في البورصة وتراجع التضخم", "label": "economy"},
        {"id": "o3", "text": "حادث سير على الطريق السريع دون إصابات", "label": "localNews"},
        {"id": "o4", "text": "حريق في سوق شعبي وسط المدينة", "label": "localNews"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


def test_evaluate_other_source_with_label_map(topic_run, tmp_path, capsys, cli):
    data = tmp_path / "other.jsonl"
    _write_other_source(data)
    out = tmp_path / "eval"
    code = cli("evaluate", topic_run.run_dir, "--data", str(data), "--label-map", "sport=Sports,economy=Finance",
               "--out", str(out))
    assert code == 0
    text = capsys.readouterr().out
    assert "n 2 " in text  # only the two mapped examples count in the figures
    assert "'localNews' unknown to the model: 2 examples" in text
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["eval.unknown_label.localNews"] == 2
    assert (out / "confusion_matrix.png").stat().st_size > 0


def test_label_map_to_unknown_target_is_an_error(topic_run, tmp_path, capsys, cli):
    data = tmp_path / "other.jsonl"
    _write_other_source(data)
    assert cli("evaluate", topic_run.run_dir, "--data", str(data), "--label-map", "sport=Football") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Football" in err


def test_evaluate_model_matches_the_models_own_predictions(topic_run):
    from khabar.examples import Example
    from khabar.models.base import load_model
    from khabar.runs.evaluate import evaluate_model

    model = load_model(topic_run.run_dir)
    examples = [Example("1", "فاز الفريق بالمباراة", "Sports"), Example("2", "ارتفعت أسعار النفط", "Finance"),
                Example("3", "حريق في السوق", "local")]
    result = evaluate_model(model, examples, batch_size=2)
    predicted = model.predict([ex.text for ex in examples])
    assert [p["predicted"] for p in result["predictions"]] == predicted
    assert result["n"] == 2 and result["unknown_labels"]["local"]["n"] == 1
    assert [p["known"] for p in result["predictions"]] == [True, True, False]
