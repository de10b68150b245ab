"""`khabar train` data-parallel under torchrun: 2 CPU processes (gloo), as a user would start it,

    python -m torch.distributed.run --standalone --nproc_per_node=2 -m khabar train CONFIG --set ...

Checked: all ranks exit 0, exactly one run directory is written (by rank 0), its model loads and
predicts labels of the label set, metrics.json is there, progress is printed once, and the shared
temporary folder (checkpoints, scratch BERT) is gone afterwards. Each launch takes 10-50 s on 2
cores, most of it process start-up and imports, so all of them are slow tests (make test-slow);
the default run launches torchrun once, for the rank helpers (tests/test_torchrun.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from repo import ROOT
from repo import SAMPLE as SAMPLE_DIR

import khabar

pytest.importorskip("torch.distributed.run", reason="torch without torch.distributed")
pytest.importorskip("transformers")

pytestmark = pytest.mark.slow

SAMPLE = str(SAMPLE_DIR / "topic.jsonl")
#: the installed khabar package: no traceback frame may point inside it after a user's mistake
PACKAGE_DIR = os.path.dirname(os.path.abspath(khabar.__file__))
FEW_TEXTS = ["فاز الفريق في المباراة النهائية", "ارتفعت أسعار الأسهم في البورصة", "أعلنت الحكومة عن تعديل وزاري"]


def _launch(tmp_path, *argv, timeout=600, ok=True) -> subprocess.CompletedProcess:
    """Run `khabar train ARGV` under torchrun with 2 CPU processes; TMPDIR is a folder of the test."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *argv]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert done.returncode == 0, done.stderr[-4000:]
    return done


def _no_temp_left(tmp_path) -> bool:
    return not any(p.startswith("khabar-") for p in os.listdir(tmp_path / "tmp"))


def _check_single_run(done, tmp_path, name, name_or_path):
    """One complete run directory under tmp_path/runs, a model in it that predicts, rank 0 alone reporting."""
    runs = tmp_path / "runs"
    entries = os.listdir(runs / name)
    assert len(entries) == 1 and not entries[0].startswith("."), entries  # no second run, nothing half-written
    run_dir = runs / name / entries[0]
    with open(run_dir / "metrics.json", encoding="utf-8") as fh:
        metrics = json.load(fh)
    assert 0 <= metrics["test.accuracy"] <= 1 and metrics["train.n"] > 0
    assert (run_dir / "predictions.jsonl").is_file() and (run_dir / "report.md").is_file()
    # every rank returns rank 0's result; the CLI may print it once per rank, always the same run
    assert {line for line in done.stdout.splitlines() if line.startswith("run: ")} == {f"run: {run_dir}"}
    assert done.stderr.count("transformer: loading") == 1  # progress lines: rank 0 only
    assert done.stderr.count("] run written:") == 1
    assert _no_temp_left(tmp_path), "the shared checkpoint folder is removed"

    from khabar.models.base import load_model

    model = load_model(str(run_dir / "model"))
    with open(SAMPLE, encoding="utf-8") as fh:
        labels = {json.loads(line)["label"] for line in fh if line.strip()}
    assert model.kind == "transformer" and set(model.labels_) == labels
    predicted = model.predict(FEW_TEXTS)
    assert len(predicted) == len(FEW_TEXTS) and set(predicted) <= labels
    with open(run_dir / "model" / "khabar.json", encoding="utf-8") as fh:
        assert json.load(fh)["params"]["name_or_path"] == name_or_path
    return metrics


def test_torchrun_pretrained_checkpoint_writes_one_run(tmp_path, tiny_bert_dir):
    """A local Hugging Face checkpoint directory (`name_or_path: /dir`), evaluated on dev while training."""
    runs = tmp_path / "runs"
    config = tmp_path / "tiny_pretrained.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "name": "tiny_pretrained", "task": "topic", "output_dir": str(runs),
        "data": {"path": SAMPLE, "source_column": "source", "split": {"train": 0.7, "dev": 0.15, "test": 0.15}},
        "model": {"kind": "transformer", "name_or_path": tiny_bert_dir, "max_length": 128,
                  "long_strategy": "head_tail", "head_tokens": 32},
        "train": {"seed": 13, "epochs": 1, "max_steps": 3, "learning_rate": 0.001, "batch_size": 8,
                  "eval_batch_size": 32, "logging_steps": 1},
    }), encoding="utf-8")
    done = _launch(tmp_path, "-m", "khabar", "train", str(config))
    assert "dev macro-F1" in done.stderr  # the Trainer evaluated on dev during training, on both ranks
    _check_single_run(done, tmp_path, "tiny_pretrained", tiny_bert_dir)


def test_torchrun_scratch_bert_two_steps_writes_one_run(tmp_path):
    """`name_or_path: scratch`: rank 0 builds the vocabulary and the random BERT, every rank loads it."""
    runs = tmp_path / "runs"
    done = _launch(tmp_path, "-m", "khabar", "train", "configs/sample_topic_bert.yaml",
                   "--set", "train.max_steps=2", "--set", f"output_dir={runs}")
    assert done.stderr.count("building a scratch BERT") == 1
    _check_single_run(done, tmp_path, "sample_topic_bert", "scratch")


def test_torchrun_user_error_on_rank0_ends_every_rank_with_one_line(tmp_path):
    """A checkpoint folder rank 0 cannot load: every rank prints the same one-line error, exit 2."""
    empty = tmp_path / "not_a_checkpoint"
    empty.mkdir()
    done = _launch(tmp_path, "-m", "khabar", "train", "configs/sample_topic_bert.yaml",
                   "--set", f"model.name_or_path={empty}", "--set", f"output_dir={tmp_path / 'runs'}", ok=False)
    assert done.returncode != 0
    # rank 1 gets rank 0's error at once (see the helpers test); torchrun may stop it before it prints
    errors = {line for line in done.stderr.splitlines() if line.startswith("khabar: error: ")}
    assert len(errors) == 1 and str(empty) in errors.pop(), done.stderr[-3000:]
    assert "exitcode  : 2" in done.stderr  # KhabarError's status, not a crash
    frames = re.findall(r'File "([^"]+)", line \d+', done.stderr)
    inside = [f for f in frames if os.path.abspath(f).startswith(PACKAGE_DIR + os.sep)]
    assert not inside, inside  # no traceback through khabar's own code: a KhabarError, not a crash
    assert not (tmp_path / "runs").exists() and _no_temp_left(tmp_path)


def test_torchrun_full_training_learns_the_sample(tmp_path):
    runs = tmp_path / "runs"
    done = _launch(tmp_path, "-m", "khabar", "train", "configs/sample_topic_bert.yaml",
                   "--set", f"output_dir={runs}", timeout=1800)
    metrics = _check_single_run(done, tmp_path, "sample_topic_bert", "scratch")
    assert metrics["test.accuracy"] > 2 / 7, metrics  # clearly above chance over 7 topics


def test_torchrun_multi_label_scratch_bert_writes_one_run_with_thresholds(tmp_path):
    """Multi-label under torchrun: the BCE loss reads the unwrapped network (the ranks hold a
    DistributedDataParallel wrapper), rank 0 chooses the thresholds, one run is written."""
    runs = tmp_path / "runs"
    done = _launch(tmp_path, "-m", "khabar", "train", "configs/sample_topic_multilabel_bert.yaml",
                   "--set", "train.max_steps=2", "--set", f"output_dir={runs}")
    (entry,) = os.listdir(runs / "sample_topic_multilabel_bert")
    run_dir = runs / "sample_topic_multilabel_bert" / entry
    assert done.stderr.count("] run written:") == 1 and _no_temp_left(tmp_path)
    with open(run_dir / "metrics.json", encoding="utf-8") as fh:
        metrics = json.load(fh)
    assert 0 <= metrics["test.micro_f1"] <= 1
    from khabar.models.base import load_model

    model = load_model(str(run_dir / "model"))
    assert model.multi_label and len(model.thresholds_) == len(model.labels_)
    assert all(isinstance(labels, list) and labels for labels in model.predict(FEW_TEXTS))
