"""khabar.runs.run_dir: the one writer of result folders, all or nothing."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from khabar.errors import KhabarError
from khabar.runs import run_dir as run_dir_module
from khabar.runs.run_dir import check_writable, new_run_dir, staged, staged_file, write_evaluation


def files_under(path) -> dict:
    out = {}
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            with open(full, encoding="utf-8") as fh:
                out[os.path.relpath(full, path)] = fh.read()
    return out


def test_staged_moves_a_complete_folder_into_place(tmp_path):
    final = tmp_path / "runs" / "20260101-000000-abcd"
    with staged(str(final)) as tmp:
        assert os.path.dirname(tmp) == str(final.parent) and os.path.basename(tmp).startswith(".")
        assert not final.exists()  # nothing looks finished while it is written
        (tmp_path / "runs" / os.path.basename(tmp) / "metrics.json").write_text("{}", encoding="utf-8")
    assert files_under(final) == {"metrics.json": "{}"}
    assert os.listdir(final.parent) == [final.name]


def test_staged_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(RuntimeError, match="midway"):
        with staged(str(final)) as tmp:
            with open(os.path.join(tmp, "half.json"), "w", encoding="utf-8") as fh:
                fh.write("{")
            raise RuntimeError("midway")
    assert os.listdir(tmp_path) == []


def test_staged_replaces_files_in_an_existing_folder_and_keeps_the_others(tmp_path):
    final = tmp_path / "eval"
    (final / "plots").mkdir(parents=True)
    (final / "metrics.json").write_text("old", encoding="utf-8")
    (final / "notes.txt").write_text("mine", encoding="utf-8")
    (final / "plots" / "old.png").write_text("old plot", encoding="utf-8")
    with staged(str(final)) as tmp:
        with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as fh:
            fh.write("new")
        os.mkdir(os.path.join(tmp, "plots"))
        with open(os.path.join(tmp, "plots", "new.png"), "w", encoding="utf-8") as fh:
            fh.write("new plot")
    assert files_under(final) == {"metrics.json": "new", "notes.txt": "mine", os.path.join("plots", "new.png"): "new plot"}
    assert sorted(os.listdir(tmp_path)) == ["eval"]  # no temporary folder left beside it


def test_a_failure_leaves_an_existing_folder_as_it_was(tmp_path):
    final = tmp_path / "eval"
    final.mkdir()
    (final / "metrics.json").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with staged(str(final)) as tmp:
            with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as fh:
                fh.write("new")
            raise RuntimeError("midway")
    assert files_under(final) == {"metrics.json": "old"} and os.listdir(tmp_path) == ["eval"]


def test_staged_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(KhabarError, match="exists and is not a folder"):
        with staged(str(tmp_path / "taken")) as tmp:
            open(os.path.join(tmp, "a"), "w").close()
    assert os.listdir(tmp_path) == ["taken"]


class FrozenClock:
    """datetime with a fixed now(): every call happens in the same second."""

    @staticmethod
    def now():
        return datetime(2026, 12, 1, 11, 35, 19)


def test_run_names_carry_the_time_and_a_suffix(tmp_path, monkeypatch):
    monkeypatch.setattr(run_dir_module, "datetime", FrozenClock)
    name = os.path.basename(new_run_dir(str(tmp_path)))
    assert name.startswith("20261201-113519-") and len(name) == len("20261201-113519-eecb")
    assert os.path.dirname(new_run_dir(str(tmp_path))) == str(tmp_path)


def test_two_run_names_in_the_same_second_differ(tmp_path, monkeypatch):
    monkeypatch.setattr(run_dir_module, "datetime", FrozenClock)
    first = new_run_dir(str(tmp_path))
    second = new_run_dir(str(tmp_path))
    assert first != second


def test_a_run_name_is_reserved_even_when_the_random_suffix_repeats(tmp_path, monkeypatch):
    """Two trainings asking for a name in the same second must not get the same folder, whatever
    the 16 random bits say: the second run would otherwise be merged into the first (staged
    replaces the files of an existing folder one by one)."""
    suffixes = iter(["aaaa", "aaaa", "bbbb", "cccc"])
    monkeypatch.setattr(run_dir_module, "datetime", FrozenClock)
    monkeypatch.setattr(run_dir_module.secrets, "token_hex", lambda n: next(suffixes))
    first = new_run_dir(str(tmp_path))
    second = new_run_dir(str(tmp_path))
    assert first != second


def test_a_name_already_taken_on_disk_is_skipped(tmp_path, monkeypatch):
    suffixes = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(run_dir_module, "datetime", FrozenClock)
    monkeypatch.setattr(run_dir_module.secrets, "token_hex", lambda n: next(suffixes))
    (tmp_path / "20261201-113519-aaaa").mkdir()
    assert new_run_dir(str(tmp_path)) == str(tmp_path / "20261201-113519-bbbb")


def test_staged_file_writes_all_or_nothing(tmp_path):
    target = tmp_path / "out.csv"
    with staged_file(str(target)) as fh:
        fh.write("a,b\n")
    assert target.read_text(encoding="utf-8") == "a,b\n"
    with pytest.raises(RuntimeError):
        with staged_file(str(target)) as fh:
            fh.write("half")
            raise RuntimeError("midway")
    assert target.read_text(encoding="utf-8") == "a,b\n" and os.listdir(tmp_path) == ["out.csv"]


def test_check_writable_creates_nothing(tmp_path):
    check_writable(str(tmp_path / "new" / "deeper"), "--out")
    check_writable(str(tmp_path / "file.csv"), "--output", folder=False)
    assert os.listdir(tmp_path) == []
    (tmp_path / "file.csv").write_text("x", encoding="utf-8")
    with pytest.raises(KhabarError, match=r"--out .*file\.csv: exists and is not a folder"):
        check_writable(str(tmp_path / "file.csv"), "--out")
    with pytest.raises(KhabarError, match="--output .*: is a folder"):
        check_writable(str(tmp_path), "--output", folder=False)
    with pytest.raises(KhabarError, match="is a file, not a folder"):
        check_writable(str(tmp_path / "file.csv" / "inside"), "--out")


def test_write_evaluation_writes_the_files_of_one_evaluation(tmp_path):
    from khabar.examples import Example
    from khabar.runs.evaluate import summarize

    predictions = [{"id": "a", "gold": "x", "original_label": "x", "predicted": "x", "probability": 0.9,
                    "top_k": [["x", 0.9], ["y", 0.1]], "source": None, "known": True},
                   {"id": "b", "gold": "y", "original_label": "y", "predicted": "x", "probability": 0.6,
                    "top_k": [["x", 0.6], ["y", 0.4]], "source": None, "known": True}]
    result = summarize(predictions, ["x", "y"])
    flat = write_evaluation(result, str(tmp_path / "eval"), "a title", [Example("a", "نص"), Example("b", "آخر")])
    assert flat["eval.accuracy"] == 0.5 and flat["eval.n"] == 2
    assert {"confusion_matrix.png", "metrics.json", "predictions.jsonl", "report.md"} <= set(os.listdir(tmp_path / "eval"))
    assert os.listdir(tmp_path) == ["eval"]  # nothing else written beside it
    report = (tmp_path / "eval" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# a title") and "`b` gold y, predicted x (0.60): آخر" in report
