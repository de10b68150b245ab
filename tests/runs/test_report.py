"""khabar.runs.report: the report a person reads and the confusion matrix plot."""

from __future__ import annotations

from khabar.runs.evaluate import summarize
from khabar.runs.report import plot_confusion, report_markdown, worst_confusions


def _result():
    rows = [("1", "a", "a"), ("2", "a", "b"), ("3", "a", "b"), ("4", "b", "b"), ("5", "c", "a"), ("6", "z", "a")]
    return summarize([{"id": i, "gold": g, "original_label": g, "predicted": p, "probability": 0.7,
                       "top_k": [[p, 0.7]], "source": None, "known": g != "z"} for i, g, p in rows], ["a", "b", "c"])


def test_worst_confusions_are_the_largest_off_diagonal_counts():
    assert worst_confusions(_result()) == [("a", "b", 2), ("c", "a", 1)]
    assert worst_confusions(_result(), top=1) == [("a", "b", 2)]


def test_the_report_has_figures_classes_confusions_unknown_labels_and_examples():
    report = report_markdown("t", [("test", _result()), ("empty", summarize([], ["a", "b"]))],
                             {"2": "نص   الخبر\nالثاني", "5": "x"}, examples_shown=1)
    assert report.startswith("# t\n") and "## test" in report and "n = 5, accuracy = 0.4000" in report
    assert "| a | 0.500 | 0.333 |" in report
    assert "a -> b: 2; c -> a: 1" in report
    assert "- z: 1 examples, predicted as {'a': 1}" in report
    assert "`2` gold a, predicted b (0.70): نص الخبر الثاني" in report and "`3` gold a" not in report
    assert "## empty\n\nNo labeled examples the model knows." in report


def test_plot_confusion_writes_a_png(tmp_path):
    path = tmp_path / "cm.png"
    plot_confusion(_result(), str(path), "t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = tmp_path / "empty.png"
    plot_confusion(summarize([], ["a", "b"]), str(empty), "none")
    assert empty.stat().st_size > 0
