"""khabar.cli: thin wrappers over the library; results on stdout, progress on stderr, and every
user mistake one line `khabar: error: ...` with exit status 2 (the full table of bad inputs is in
tests/test_cli_robustness.py)."""

from __future__ import annotations

import pytest
import yaml

import khabar


def test_version_and_help(capsys, cli):
    assert cli("--version") == 0
    assert capsys.readouterr().out.strip() == f"khabar {khabar.__version__}"
    assert cli("--help") == 0
    out = capsys.readouterr().out
    for command in ("train", "evaluate", "predict", "compare", "serve", "normalize", "data"):
        assert command in out


def test_no_command_prints_help_and_exits_2(capsys, cli):
    assert cli() == 2
    assert "usage: khabar" in capsys.readouterr().out


def test_train_prints_the_table_and_the_run_on_stdout_and_progress_on_stderr(tmp_path, capsys, root, monkeypatch, cli):
    monkeypatch.chdir(root)
    assert cli("train", "configs/sample_stance_tfidf.yaml", "--set", f"output_dir={tmp_path}") == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].split() == ["split", "accuracy", "macro-F1", "weighted-F1", "n"]  # the headline of models.metrics
    assert [line.split()[0] for line in lines[1:3]] == ["dev", "test"]
    assert lines[-1].startswith(f"run: {tmp_path}")
    assert "fitted in" in out.err and "run written" in out.err


def test_missing_data_file_exits_2_and_writes_nothing(tmp_path, capsys, root, monkeypatch, cli):
    monkeypatch.chdir(root)
    code = cli("train", "configs/sample_topic_tfidf.yaml", "--set", "data.path=nowhere.jsonl",
               "--set", f"output_dir={tmp_path}")
    assert code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("khabar: error:")]
    assert len(errors) == 1 and "nowhere.jsonl" in errors[0] and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_bad_config_exits_2_and_writes_nothing(tmp_path, capsys, cli):
    out = tmp_path / "runs"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "task": "topic", "data": {"path": "d.jsonl"}, "output_dir": str(out),
                                    "model": {"kind": "tfidf", "C": "x"}}), encoding="utf-8")
    assert cli("train", str(path)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("khabar: error:") and "model.C" in err and len(err.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("argv", [["train"], ["predict"], ["frobnicate"], ["train", "c.yaml", "--set"]])
def test_argument_mistakes_are_one_line_and_exit_2(argv, capsys, cli):
    assert cli(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("khabar: error:"), err
