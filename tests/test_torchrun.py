"""Data-parallel training under torchrun (2 CPU processes, gloo): scripts/torchrun_tiny_bert.py
trains the scratch BERT on the sample corpus and the saved model directory loads and predicts.

The fast variant stops after 2 optimizer steps (about 30 s, most of it process start-up and
imports); the full variant trains the config's epochs and is marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "torchrun_tiny_bert.py")


def _torchrun(out_dir, *extra, timeout=600):
    pytest.importorskip("torch.distributed.run", reason="torch without torch.distributed")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           SCRIPT, str(out_dir), *extra]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check_model_dir(out_dir, summary):
    from khabar.models.base import load_model

    assert summary["world_size"] == 2 and summary["backend"] == "gloo"
    assert not os.path.exists(str(out_dir) + ".init"), "the shared starting checkpoint is cleaned up"
    model = load_model(str(out_dir))
    assert model.kind == "transformer" and model.task == "topic"
    proba = model.predict_proba(["فاز الفريق في المباراة النهائية", "ارتفعت أسعار الأسهم في البورصة"])
    assert proba.shape == (2, len(model.labels_))
    assert abs(proba.sum(axis=1) - 1).max() < 1e-6
    with open(os.path.join(out_dir, "khabar.json"), encoding="utf-8") as fh:
        assert json.load(fh)["params"]["name_or_path"] == "scratch"
    return model


@pytest.fixture
def out_dir(tmp_path):
    yield tmp_path / "model"
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_torchrun_two_steps_saves_a_model_that_predicts(out_dir):
    summary = _torchrun(out_dir, "--max-steps", "2")
    _check_model_dir(out_dir, summary)
    assert len(summary["predicted"]) == 5


@pytest.mark.slow
def test_torchrun_full_training_learns_the_sample(out_dir):
    summary = _torchrun(out_dir, timeout=1800)
    _check_model_dir(out_dir, summary)
    assert summary["held_out_accuracy"] > 2 / 7, summary  # clearly above chance over 7 topics
