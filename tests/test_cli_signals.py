"""SIGTERM (what a scheduler or `docker stop` sends) ends a command like Ctrl-C does: one line,
and the temporary files of the work in progress are removed (here: a transformer's Trainer
checkpoints and the half-built run folder).

The default run sends the signal to this process during an in-process `khabar train`; the same
in a `khabar` child process is slow (most of its time is the child importing torch and
transformers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def train_argv(out: Path) -> list[str]:
    """A tiny scratch BERT on the sample for 50 epochs, logging every step: stopped long before the end."""
    return ["train", str(ROOT / "configs" / "sample_topic_bert.yaml"),
            "--set", f"output_dir={out}", "--set", f"data.path={ROOT / 'data' / 'sample' / 'topic.jsonl'}",
            "--set", "train.epochs=50", "--set", "train.logging_steps=1", "--set", "model.max_length=64",
            "--set", "model.head_tokens=16",
            "--set", "model.scratch={layers: 1, hidden: 16, heads: 1, intermediate: 32, vocab_size: 500}"]


def assert_nothing_left(scratch: Path, out: Path) -> None:
    assert not [p for p in scratch.iterdir() if p.name.startswith("khabar-transformer-")], "checkpoints left behind"
    finished = [d for d in (out / "sample_topic_bert").iterdir()] if (out / "sample_topic_bert").exists() else []
    assert not finished, f"a run folder was left: {finished}"


def test_sigterm_during_training_in_this_process_removes_temporary_work(tmp_path, monkeypatch, cli, capsys):
    """A real SIGTERM, sent to this process by a log handler when the first step is logged (the
    moment the child process test below waits for on stderr)."""
    import logging
    import tempfile

    from khabar.log import LOGGER

    scratch = tmp_path / "tmp"  # the temporary folder: where the Trainer keeps its checkpoints
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs"
    sent: list[bool] = []  # per signal sent: whether the checkpoint folder existed then

    class TerminateAtFirstStep(logging.Handler):
        def emit(self, record):
            if not sent and "transformer: step" in record.getMessage():
                sent.append(any(p.name.startswith("khabar-transformer-") for p in scratch.iterdir()))
                os.kill(os.getpid(), signal.SIGTERM)

    handler = TerminateAtFirstStep()
    LOGGER.addHandler(handler)
    try:
        status = cli(*train_argv(out))
    finally:
        LOGGER.removeHandler(handler)
    err = capsys.readouterr().err
    assert sent == [True], err
    assert status == 128 + signal.SIGTERM, err
    assert "khabar: terminated" in err and "Traceback" not in err
    assert_nothing_left(scratch, out)


@pytest.mark.slow  # the child process spends most of its time importing torch and transformers
def test_sigterm_during_training_removes_temporary_work(tmp_path):
    scratch = tmp_path / "tmp"  # the process's TMPDIR: where the Trainer keeps its checkpoints
    scratch.mkdir()
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "khabar", *train_argv(out)]
    env = {**os.environ, "TMPDIR": str(scratch), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    seen = []
    for line in proc.stderr:  # wait until training is under way (checkpoint folder made), then stop it
        seen.append(line)
        if "transformer: step" in line:
            break
    assert any(p.name.startswith("khabar-transformer-") for p in scratch.iterdir()), "".join(seen)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate()[1]
    assert proc.returncode == 128 + signal.SIGTERM, rest
    assert "khabar: terminated" in rest and "Traceback" not in rest
    assert_nothing_left(scratch, out)
