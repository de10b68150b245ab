"""khabar.log: one voice on stderr (rank 0 only), stage lines, and quiet libraries."""

from __future__ import annotations

import io
import os
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


def test_a_library_call_is_quiet_and_the_cli_speaks_unless_q(tmp_path):
    """The `khabar` logger shows warnings only in a library call (a notebook sees no notices),
    notices under the command, and nothing but warnings with -q; standard output is the same."""
    sample = tmp_path / "one.txt"
    sample.write_text("أهلا\n", encoding="utf-8")
    script = ("import sys\nfrom khabar.log import say, warn\nsay('a notice')\nwarn('a warning')\n"
              "from khabar.cli import main\nmain(sys.argv[1:])\n")
    env_cmd = [sys.executable, "-c", script]

    def run(*argv):
        done = subprocess.run([*env_cmd, *argv], capture_output=True, text=True, env={**os.environ, "RANK": "0"})
        return done.stdout, done.stderr

    out, err = run("normalize", str(sample), "-o", str(tmp_path / "out.txt"))
    assert "a notice" not in err and "khabar: a warning" in err  # before main: the library default
    out_q, err_q = run("normalize", str(sample), "-q")
    out_v, err_v = run("-v", "normalize", str(sample))
    assert out_q == out_v == "اهلا\n"


def test_main_sets_and_restores_the_level():
    import logging

    from khabar.cli.main import build_parser, verbosity
    from khabar.log import LOGGER

    parser = build_parser()
    assert verbosity(parser.parse_args(["normalize", "-q"])) == "WARNING"
    assert verbosity(parser.parse_args(["-v", "normalize"])) == "DEBUG"
    assert verbosity(parser.parse_args(["normalize"])) == "INFO"
    before = LOGGER.level
    from khabar.cli import main

    main(["normalize", "--list", "-q"])
    assert LOGGER.level == before


def test_progress_bar_is_the_iterable_itself_when_stderr_is_not_a_terminal(capsys):
    from khabar.log import progress_bar

    items = [1, 2, 3]
    assert progress_bar(items, 3, "x") is items  # captured stderr is no terminal
