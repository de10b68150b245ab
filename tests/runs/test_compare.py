"""khabar.runs.compare: runs grouped by what they were scored on, leaderboards with intervals, and
paired tests (Holm-adjusted) only within a group."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from khabar.runs.compare import compare_runs, paired_test


def test_paired_test_detects_a_real_difference_and_not_a_tie():
    gold = {str(i): ("a" if i % 2 else "b") for i in range(60)}
    always_right = {k: (g, g) for k, g in gold.items()}
    often_wrong = {k: (g, g if int(k) % 3 else ("b" if g == "a" else "a")) for k, g in gold.items()}
    real = paired_test(always_right, often_wrong, resamples=300)
    assert real["significant"] and real["delta"] > 0 and real["a_only_right"] == 20
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
    assert "c1.0" in printed and "c0.01" in printed and "McNemar p=" in printed and "Holm p=" in printed
    for name in ("comparison.md", "comparison.csv", "comparison_1_topic.png"):
        assert (out / name).stat().st_size > 0
    result = compare_runs([str(tmp_path)], resamples=100)
    [group] = result["groups"]
    assert len(result["significance"]) == 1 and group["n"] > 0
    values = [r["test.macro_f1"] for r in result["runs"]]
    assert values == sorted(values, reverse=True)
    for run in group["runs"]:  # the bootstrap's observed figure is the run's own metrics.json figure
        low, high = run["figure"]["ci95"]
        assert run["figure"]["value"] == pytest.approx(run["test.macro_f1"]) and low <= run["test.macro_f1"] <= high


def test_topic_and_stance_runs_form_two_groups_and_are_never_tested_together(topic_run, stance_run, tmp_path, cli, capsys):
    for k, run in enumerate((topic_run, topic_run, stance_run, stance_run)):
        shutil.copytree(run.run_dir, tmp_path / "runs" / f"r{k}")
    result = compare_runs([str(tmp_path / "runs")], resamples=50)
    assert sorted(g["task"] for g in result["groups"]) == ["stance", "topic"]
    for g in result["groups"]:
        assert len({r["task"] for r in g["runs"]}) == 1 and len(g["tests"]) == 1
    tasks = {f"{r['name']}/{r['date']}": r["task"] for r in result["runs"]}
    assert all(tasks[t["a"]] == tasks[t["b"]] for t in result["significance"])
    [line] = result["refused"]
    assert "2 groups" in line and "not tested" in line
    assert cli("compare", str(tmp_path / "runs"), "--out", str(tmp_path / "out"), "--resamples", "50") == 0
    assert len(list((tmp_path / "out").glob("comparison_*.png"))) == 2


def _fake_run(folder, name, gold, predicted, fingerprint="f1"):
    """A finished run folder with the files compare reads (config, metrics, provenance, predictions)."""
    folder.mkdir(parents=True)
    labels = sorted(set(gold))
    (folder / "config.yaml").write_text(f"name: {name}\ntask: topic\nmodel: {{kind: tfidf}}\n", encoding="utf-8")
    right = float(np.mean([g == p for g, p in zip(gold, predicted)]))
    (folder / "metrics.json").write_text(json.dumps({"test.accuracy": right}), encoding="utf-8")
    (folder / "provenance.json").write_text(json.dumps({"labels": labels, "data_fingerprint": {"test": fingerprint}}),
                                            encoding="utf-8")
    (folder / "predictions.jsonl").write_text("".join(json.dumps({"id": str(i), "gold": g, "predicted": p}) + "\n"
                                                      for i, (g, p) in enumerate(zip(gold, predicted))), encoding="utf-8")


def test_other_test_data_makes_another_group(tmp_path):
    gold = ["a", "b"] * 50
    _fake_run(tmp_path / "x" / "1", "x", gold, gold)
    _fake_run(tmp_path / "x" / "2", "x", gold, ["a"] * 100)
    _fake_run(tmp_path / "y" / "1", "y", gold, gold, fingerprint="other")
    result = compare_runs([str(tmp_path)], metric="test.accuracy", resamples=50)
    assert sorted(len(g["runs"]) for g in result["groups"]) == [1, 2]
    [test] = result["significance"]
    assert {test["a"], test["b"]} == {"x/1", "x/2"} and test["figure"] == "accuracy"
    assert test["delta"] == pytest.approx(0.5)


def test_holm_and_best_only(tmp_path):
    rng = np.random.default_rng(0)
    gold = list(rng.choice(["a", "b", "c"], 300))
    for k, share in enumerate((0.9, 0.6, 0.6, 0.6)):
        _fake_run(tmp_path / f"r{k}", f"r{k}", gold, [g if rng.random() < share else "c" for g in gold])
    every = compare_runs([str(tmp_path)], metric="test.accuracy", resamples=400)
    assert len(every["significance"]) == 6
    for t in every["significance"]:
        assert t["holm_p"] >= t["bootstrap_p"] and t["delta"] >= 0  # the better run is always `a`
    best = compare_runs([str(tmp_path)], metric="test.accuracy", resamples=400, pairs="best")
    assert len(best["significance"]) == 3 and {t["a"] for t in best["significance"]} == {best["groups"][0]["best"]}
    assert all(t["significant"] for t in best["significance"])  # 0.9 against 0.6 on 300 articles


def test_too_few_resamples_for_holm_is_said(tmp_path):
    gold = ["a", "b"] * 30
    for k in range(6):
        _fake_run(tmp_path / f"r{k}", f"r{k}", gold, gold[: 2 * k] + ["a"] * (60 - 2 * k))
    [group] = compare_runs([str(tmp_path)], metric="test.accuracy", resamples=100)["groups"]
    assert any("raise --resamples" in note for note in group["notes"])


def test_compare_without_runs_exits_2(tmp_path, capsys, cli):
    assert cli("compare", str(tmp_path)) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_resamples_beyond_the_cap_exit_2(topic_run, capsys, cli, tmp_path):
    import os

    assert cli("compare", os.path.dirname(topic_run.run_dir), "--resamples", "100000000", "--out", str(tmp_path)) == 2
    assert "--resamples" in (err := capsys.readouterr().err) and "100000000" in err and err.count("\n") == 1


def test_a_metric_no_run_has(topic_run, capsys, cli):
    import os

    assert cli("compare", os.path.dirname(topic_run.run_dir), "--metric", "test.nothing") == 2
    assert "--metric test.nothing: no run has it" in capsys.readouterr().err


def test_runs_list_shows_figures_and_what_the_folder_means(tmp_path, cli, capsys):
    import os

    gold = ["a", "b"] * 20
    for run, dev in (("20260101-000000-aaaa", 0.9), ("20260102-000000-bbbb", 0.6)):
        _fake_run(tmp_path / "exp" / run, "exp", gold, gold)
        os.mkdir(tmp_path / "exp" / run / "model")
        (tmp_path / "exp" / run / "metrics.json").write_text(json.dumps({"dev.macro_f1": dev, "test.accuracy": 1.0}))
    assert cli("runs", "list", str(tmp_path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "dev.macro_f1" in lines[0] and "folder means" in lines[0]
    [older] = [line for line in lines if "20260101-000000-aaaa" in line]
    [newer] = [line for line in lines if "20260102-000000-bbbb" in line]
    assert "0.9000" in older and older.endswith("@best") and newer.endswith("@latest")
