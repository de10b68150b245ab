"""`compare` with multi-label runs: micro-F1 columns, a paired bootstrap on micro-F1, and no test of
a multi-label run against a single-label one (both still listed)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml

from khabar.runs.compare import compare_runs, paired_test_multi_label
from khabar.runs.compare_report import format_table


def _metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_paired_test_on_label_sets_detects_a_real_difference_and_not_a_tie():
    gold = {str(i): (("a", "b") if i % 3 == 0 else ("a",) if i % 2 else ("b",)) for i in range(90)}
    right = {k: (g, g) for k, g in gold.items()}
    # every second article loses a label, and every fifth gains a wrong one
    worse = {k: (g, g[:1] if int(k) % 2 else g + ("c",) if int(k) % 5 == 0 else g) for k, g in gold.items()}
    real = paired_test_multi_label(right, worse, resamples=300)
    changed = sum(worse[k][1] != g for k, g in gold.items())
    assert real["a_only_right"] == changed and real["b_only_right"] == 0
    assert real["delta"] > 0 and real["ci95"][0] > 0 and real["significant"] and real["figure"] == "micro_f1"
    tie = paired_test_multi_label(right, right, resamples=300)
    assert tie["delta"] == 0 and tie["mcnemar_p"] == 1.0 and not tie["significant"]


def test_two_multi_label_runs_get_micro_f1_columns_and_a_bootstrap(multi_label_runs, tmp_path, cli, capsys):
    result = compare_runs([str(multi_label_runs.folder)], metric="test.micro_f1", resamples=200)
    assert {r["run"] for r in result["runs"]} == {r.run_dir for r in multi_label_runs.runs}
    assert "test.micro_f1" in result["columns"] and all(r["task"] == "topic multi-label" for r in result["runs"])
    [test] = result["significance"]
    assert 0.0 <= test["bootstrap_p"] <= 1.0 and 0.0 <= test["mcnemar_p"] <= 1.0
    first, second = (_metrics(r["run"]) for r in result["runs"])  # sorted by test.micro_f1, best first
    assert test["figure"] == "micro_f1"
    assert test["delta"] == pytest.approx(first["test.micro_f1"] - second["test.micro_f1"])
    assert test["ci95"][0] <= test["delta"] <= test["ci95"][1]
    assert test["n"] == first["test.n"]

    out = tmp_path / "cmp"
    assert cli("compare", str(multi_label_runs.folder), "--out", str(out), "--resamples", "200",
               "--metric", "test.micro_f1") == 0
    printed = capsys.readouterr().out
    assert "micro-F1 delta" in printed and "bootstrap p=" in printed and "subset accuracy" in printed
    md = (out / "comparison.md").read_text(encoding="utf-8")
    assert "test.micro_f1" in md and "| micro-F1 delta |" in md
    assert f"{first['test.micro_f1']:.4f}" in (out / "comparison.csv").read_text(encoding="utf-8")


def _as_single_label(run_dir, target):
    """A single-label run on the same test ids: the top label of each multi-label prediction."""
    shutil.copytree(run_dir, target)
    with open(target / "config.yaml", encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    config.pop("multi_label")
    config["name"] = "single"
    (target / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    lines = []
    for line in (target / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        lines.append(json.dumps({**r, "gold": r["gold"][0], "predicted": r["top_k"][0]["label"]}, ensure_ascii=False))
    (target / "predictions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_multi_label_run_is_not_tested_against_a_single_label_one(multi_label_runs, tmp_path):
    multi = multi_label_runs.runs[0].run_dir
    shutil.copytree(multi, tmp_path / "multi")
    _as_single_label(multi, tmp_path / "single")
    result = compare_runs([str(tmp_path)], resamples=50)
    assert sorted(r["task"] for r in result["runs"]) == ["topic", "topic multi-label"]
    assert result["significance"] == []
    assert len(result["groups"]) == 2
    [line] = result["refused"]
    assert "not tested" in line and "multi-label" in line and "\n" not in line
    table = format_table(result)
    assert line in table and "== topic on" in table and "== topic multi-label on" in table and "ml_c1.0" in table
