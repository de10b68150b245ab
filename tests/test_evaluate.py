import json

import pytest

from khabar.cli import main
from khabar.errors import KhabarError
from khabar.evaluate import compute_metrics, parse_label_map


def test_metrics_on_a_hand_checked_example():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    m = compute_metrics(gold, pred, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    # a: P=1/2 R=1/2 F=1/2; b: P=2/3 R=1 F=0.8; c: P=0 R=0 F=0
    assert m["per_class"]["b"]["f1"] == pytest.approx(0.8)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_label_map_parsing():
    assert parse_label_map("sport=Sports, economy=Finance") == {"sport": "Sports", "economy": "Finance"}
    with pytest.raises(KhabarError, match="source=target"):
        parse_label_map("sport")


def _write_other_source(path):
    rows = [
        {"id": "o1", "text": "فاز الفريق في المباراة النهائية للبطولة وسجل المهاجم هدفين", "label": "sport"},
        {"id": "o2", "text": "ارتفعت أسعار الأسهم في البورصة وتراجع التضخم", "label": "economy"},
        {"id": "o3", "text": "حادث سير على الطريق السريع دون إصابات", "label": "localNews"},
        {"id": "o4", "text": "حريق في سوق شعبي وسط المدينة", "label": "localNews"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")


def test_evaluate_other_source_with_label_map(topic_run, tmp_path, capsys):
    data = tmp_path / "other.jsonl"
    _write_other_source(data)
    out = tmp_path / "eval"
    code = main(["evaluate", topic_run.run_dir, "--data", str(data), "--label-map", "sport=Sports,economy=Finance",
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "n 2 " in text  # only the two mapped examples count in the figures
    assert "'localNews' unknown to the model: 2 examples" in text
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["eval.unknown_label.localNews"] == 2
    assert (out / "confusion_matrix.png").stat().st_size > 0


def test_label_map_to_unknown_target_is_an_error(topic_run, tmp_path, capsys):
    data = tmp_path / "other.jsonl"
    _write_other_source(data)
    assert main(["evaluate", topic_run.run_dir, "--data", str(data), "--label-map", "sport=Football"]) == 2
    assert "Football" in capsys.readouterr().err
