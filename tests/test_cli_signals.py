"""SIGTERM (what a scheduler or `docker stop` sends) ends a command like Ctrl-C does: one line,
and the temporary files of the work in progress are removed (here: a transformer's Trainer
checkpoints and the half-built run folder)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_sigterm_during_training_removes_temporary_work(tmp_path):
    scratch = tmp_path / "tmp"  # the process's TMPDIR: where the Trainer keeps its checkpoints
    scratch.mkdir()
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "khabar", "train", str(ROOT / "configs" / "sample_topic_bert.yaml"),
               "--set", f"output_dir={out}", "--set", f"data.path={ROOT / 'data' / 'sample' / 'topic.jsonl'}",
               "--set", "train.epochs=50", "--set", "train.logging_steps=1", "--set", "model.max_length=64",
               "--set", "model.head_tokens=16",
               "--set", "model.scratch={layers: 1, hidden: 16, heads: 1, intermediate: 32, vocab_size: 500}"]
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
    assert not [p for p in scratch.iterdir() if p.name.startswith("khabar-transformer-")], "checkpoints left behind"
    finished = [d for d in (out / "sample_topic_bert").iterdir()] if (out / "sample_topic_bert").exists() else []
    assert not finished, f"a run folder was left: {finished}"
