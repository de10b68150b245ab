"""MLflow tracking against real stores: a local sqlite store (default suite) and a real `mlflow
server` process (slow). What a tracked run must hold: the resolved config as params, every figure
of metrics.json, the run folder's files as artifacts; tune: a parent run with a child per trial."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from repo import ROOT
from waiting import HANG

mlflow = pytest.importorskip("mlflow", reason="MLflow is an extra: pip install 'khabar[tracking]'")


def _runs(uri: str, experiment: str):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment} in {uri}"
    return client, client.search_runs([found.experiment_id])


def _artifacts(client, run_id: str, path: str = "") -> set[str]:
    out = set()
    for item in client.list_artifacts(run_id, path):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def _check_train_run(uri: str, run_dir: str, experiment: str = "sample_topic_tfidf"):
    client, [run] = _runs(uri, experiment)
    metrics = json.loads(Path(run_dir, "metrics.json").read_text(encoding="utf-8"))
    numbers = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert set(numbers) <= set(run.data.metrics) and run.data.metrics["test.accuracy"] == pytest.approx(metrics["test.accuracy"])
    config = yaml.safe_load(Path(run_dir, "config.yaml").read_text(encoding="utf-8"))
    assert run.data.params["model.C"] == str(config["model"]["C"]) and run.data.params["task"] == "topic"
    assert "output_dir" not in run.data.params and run.info.status == "FINISHED"
    files = _artifacts(client, run.info.run_id)
    assert {"metrics.json", "config.yaml", "confusion_matrix.png", "model/khabar.json", "model/README.md"} <= files
    return client, run


def test_train_evaluate_and_tune_log_to_a_local_sqlite_store(tmp_path, root, monkeypatch, cli, capsys):
    monkeypatch.chdir(tmp_path)  # anything written relative to the working folder lands here, not in the checkout
    uri = f"sqlite:///{tmp_path / 'store' / 'runs.db'}"
    (tmp_path / "store").mkdir()
    config = str(root / "configs" / "sample_topic_tfidf.yaml")
    data = str(root / "data" / "sample" / "topic.jsonl")
    assert cli("train", config, "--set", f"output_dir={tmp_path / 'exp'}", "--set", f"data.path={data}",
               "--set", f"tracking.uri={uri}") == 0
    run_dir = capsys.readouterr().out.split("run: ")[1].strip()
    client, run = _check_train_run(uri, run_dir)
    assert (tmp_path / "store" / "mlartifacts").is_dir() and not (tmp_path / "mlruns").exists()
    assert yaml.safe_load(Path(run_dir, "config.yaml").read_text(encoding="utf-8"))["tracking"]["uri"] == uri

    # evaluate: its own run in the same experiment (the store comes from the run's config)
    assert cli("evaluate", run_dir, "--data", data, "--split", "test") == 0
    _, runs = _runs(uri, "sample_topic_tfidf")
    [evaluation] = [r for r in runs if r.data.tags.get("khabar.command") == "evaluate"]
    assert evaluation.data.metrics["eval.accuracy"] == pytest.approx(run.data.metrics["test.accuracy"])
    assert evaluation.data.params["evaluate.split"] == "test"

    # tune: a parent run and one child run per trial
    tune_yaml = tmp_path / "tune.yaml"
    tune_yaml.write_text(yaml.safe_dump({"base": config, "output_dir": str(tmp_path / "exp"), "data": {"path": data},
                                         "tune": {"space": {"model.C": {"log_uniform": [0.1, 10]}}, "trials": 2}}))
    assert cli("tune", str(tune_yaml), "--tracking-uri", uri) == 0
    _, runs = _runs(uri, "sample_topic_tfidf")
    [parent] = [r for r in runs if r.data.tags.get("khabar.command") == "tune"]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 2 and all("dev.macro_f1" in c.data.metrics and "model.C" in c.data.params for c in children)
    assert parent.data.metrics["dev.macro_f1.best"] == pytest.approx(max(c.data.metrics["dev.macro_f1"] for c in children))


def test_without_mlflow_a_tracking_config_says_how_to_install(tmp_path, root, monkeypatch, cli, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed: `import mlflow` raises ImportError
    assert cli("train", str(root / "configs" / "sample_topic_tfidf.yaml"), "--set", f"output_dir={tmp_path}",
               "--tracking-uri", "sqlite:///x.db") == 2
    [error] = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert error.startswith("khabar: error:") and "pip install 'khabar[tracking]'" in error and "tracking.uri" in error
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_fails_before_training(tmp_path, root, cli, capsys):
    uri = f"http://127.0.0.1:{_free_port()}"
    assert cli("train", str(root / "configs" / "sample_topic_tfidf.yaml"), "--set", f"output_dir={tmp_path}",
               "--tracking-uri", uri) == 2
    assert f"{uri}: cannot reach the MLflow store" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.fixture
def mlflow_server(tmp_path):
    """A real `mlflow server` on a free localhost port with its own sqlite store and artifact folder,
    waited on by polling /health (an event, not a fixed sleep), terminated at the end."""
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1", "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
                             "--artifacts-destination", str(tmp_path / "server-artifacts")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HANG * 2
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mlflow server exited with {proc.returncode}: {(tmp_path / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "mlflow server never answered /health"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.slow
def test_train_logs_to_a_real_mlflow_server(mlflow_server, tmp_path, root, monkeypatch, cli, capsys):
    monkeypatch.chdir(tmp_path)
    data = str(root / "data" / "sample" / "topic.jsonl")
    assert cli("train", str(root / "configs" / "sample_topic_tfidf.yaml"), "--set", f"output_dir={tmp_path / 'exp'}",
               "--set", f"data.path={data}", "--tracking-uri", mlflow_server) == 0
    run_dir = capsys.readouterr().out.split("run: ")[1].strip()
    _check_train_run(mlflow_server, run_dir)


@pytest.mark.slow
def test_a_transformer_run_logs_its_epoch_curve(tmp_path, tiny_bert_dir, monkeypatch):
    """The Trainer's report_to follows tracking: the dev curve of each epoch lands in the tracked run."""
    from khabar.config import config_from_dict
    from khabar.runs.train import train

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'runs.db'}"
    raw = {"name": "tiny_tracked", "task": "topic", "output_dir": str(tmp_path / "exp"), "tracking": {"uri": uri},
           "data": {"path": str(ROOT / "data" / "sample" / "topic.jsonl"),
                    "split": {"train": 0.7, "dev": 0.15, "test": 0.15}},
           "model": {"kind": "transformer", "name_or_path": tiny_bert_dir, "max_length": 64},
           "train": {"seed": 13, "epochs": 2, "learning_rate": 0.001, "batch_size": 16, "eval_batch_size": 32,
                     "logging_steps": 5}}
    result = train(config_from_dict(raw, "tiny-bert"))
    client, [run] = _runs(uri, "tiny_tracked")
    history = client.get_metric_history(run.info.run_id, "eval_macro_f1")
    assert len(history) == 2 and run.data.metrics["test.macro_f1"] == pytest.approx(result.metrics["test.macro_f1"])
    assert "model/khabar.json" in _artifacts(client, run.info.run_id)
