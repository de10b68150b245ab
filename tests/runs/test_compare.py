"""khabar.runs.compare: runs in one table, and whether their differences are real."""

from __future__ import annotations

from khabar.runs.compare import compare_runs, paired_test


def test_paired_test_detects_a_real_difference_and_not_a_tie():
    gold = {str(i): ("a" if i % 2 else "b") for i in range(60)}
    always_right = {k: (g, g) for k, g in gold.items()}
    often_wrong = {k: (g, g if int(k) % 3 else ("b" if g == "a" else "a")) for k, g in gold.items()}
    real = paired_test(always_right, often_wrong, resamples=300)
    assert real["significant"] and real["macro_f1_delta"] > 0 and real["a_only_right"] == 20
    tie = paired_test(always_right, always_right, resamples=300)
    assert not tie["significant"] and tie["mcnemar_p"] == 1.0


def test_compare_two_runs_on_the_same_test_set(tmp_path, root, monkeypatch, capsys, cli):
    monkeypatch.chdir(root)
    for c in ("1.0", "0.01"):
        assert cli("train", "configs/sample_topic_tfidf.yaml", "--set", f"output_dir={tmp_path}",
                   "--set", f"model.C={c}", "--set", f"name=c{c}") == 0
    capsys.readouterr()
    out = tmp_path / "cmp"
    assert cli("compare", str(tmp_path), "--out", str(out), "--resamples", "200") == 0
    printed = capsys.readouterr().out
    assert "c1.0" in printed and "c0.01" in printed and "McNemar p=" in printed
    for ext in ("md", "csv", "png"):
        assert (out / f"comparison.{ext}").stat().st_size > 0
    result = compare_runs([str(tmp_path)], resamples=100)
    assert len(result["significance"]) == 1
    values = [r["test.macro_f1"] for r in result["runs"]]
    assert values == sorted(values, reverse=True)


def test_compare_without_runs_exits_2(tmp_path, capsys, cli):
    assert cli("compare", str(tmp_path)) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_a_metric_no_run_has(topic_run, capsys, cli):
    import os

    assert cli("compare", os.path.dirname(topic_run.run_dir), "--metric", "test.nothing") == 2
    assert "--metric test.nothing: no run has it" in capsys.readouterr().err
