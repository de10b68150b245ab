"""khabar.log: one voice on stderr (rank 0 only), stage lines, and quiet libraries."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from khabar.log import Progress, quiet_libraries, say


def test_say_is_one_line_on_stderr(capsys, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    say("loaded 3 files")
    out = capsys.readouterr()
    assert out.err == "khabar: loaded 3 files\n" and out.out == ""


def test_only_rank_0_speaks(capsys, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    say("from rank 1")
    Progress()("a stage on rank 1")
    assert capsys.readouterr().err == ""


def test_progress_lines_carry_the_seconds_since_the_start(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    stream = io.StringIO()
    log = Progress(stream)
    log("data: train 10")
    log("fitted")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(re.fullmatch(r"\[ *\d+\.\ds\] .+", line) for line in lines), lines
    assert lines[0].endswith("] data: train 10")
    seconds = [float(line[1:line.index("s]")]) for line in lines]
    assert 0 <= seconds[0] <= seconds[1]


def test_progress_goes_to_stderr_by_default(capsys, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    Progress()("a stage")
    out = capsys.readouterr()
    assert out.out == "" and out.err.endswith("] a stage\n")


def test_quiet_libraries_silences_datasets_inside_and_restores_after():
    import datasets

    datasets.enable_progress_bars()
    level = datasets.logging.get_verbosity()
    with quiet_libraries("datasets"):
        assert datasets.are_progress_bars_disabled()
        assert datasets.logging.get_verbosity() == datasets.logging.CRITICAL
    assert not datasets.are_progress_bars_disabled()
    assert datasets.logging.get_verbosity() == level


def test_quiet_libraries_silences_transformers_and_restores_after():
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    with quiet_libraries("transformers"):
        assert hf_logging.get_verbosity() == hf_logging.ERROR
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.get_verbosity() == level


def test_quiet_libraries_imports_only_what_it_is_asked_for():
    """A TF-IDF run silences datasets without importing transformers (and so torch)."""
    script = ("import sys\nfrom khabar.log import quiet_libraries\n"
              "with quiet_libraries('datasets'):\n    pass\n"
              "print('transformers' in sys.modules, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"], done.stderr
