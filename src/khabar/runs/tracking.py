"""MLflow tracking, opt-in: what train, evaluate and tune send to a team's tracking store.

Why MLflow: it is where most teams already look for runs, and a local `sqlite:///mlruns.db` store
needs no server to start with. Off unless asked for: `tracking: {uri: ...}` in a config or
`--tracking-uri` (which wins). MLflow is an extra (`pip install 'khabar[tracking]'`); a config
that asks for tracking without it fails before any work, in one line.

A tracked run holds: the resolved config flattened as params (`model.C`, `train.seed`, ...), every
figure of the run's metrics.json as metrics, and the run folder's files as artifacts (plots,
report, metrics, config, provenance, the model with its card under `model/`). A transformer's
per-epoch curve is logged by the Hugging Face Trainer itself (its `report_to` follows tracking:
"mlflow" when on, else "none"), into the same run, which is active while the model trains. `tune`
logs the study as a parent run and each trial as a child run.

The store is checked before the work starts (a wrong URI or a server that is down is one line, not
a traceback after an hour of training); the first request waits at most `PROBE_SECONDS`.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Iterator, Mapping

from .. import torchrun
from ..errors import KhabarError
from ..log import say

INSTALL = "pip install 'khabar[tracking]'"
PROBE_SECONDS = 10
#: what MLflow accepts in a metric or param name; anything else becomes '_'
_NAME = re.compile(r"[^0-9A-Za-z_\-. :/]")
#: config keys that describe this machine, not the experiment (and clash with the Trainer's own params)
LOCAL_KEYS = ("output_dir",)


def require_mlflow(what: str):
    """The mlflow module, or one line saying how to install it (`what`: the key or flag asking).
    MLflow's and its database migrations' info lines are silenced: khabar says where the run went."""
    try:
        import mlflow
    except ImportError:
        raise KhabarError(f"{what}: MLflow tracking needs the mlflow package; {INSTALL}, or remove {what}") from None
    import logging

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mlflow


def report_to(uri: str | None) -> str:
    """The Hugging Face Trainer's `report_to` for a tracking setting: 'mlflow' when on, else 'none'."""
    return "mlflow" if uri else "none"


def flatten(mapping: Mapping, prefix: str = "") -> dict[str, str]:
    """{'model': {'C': 1.0}} -> {'model.C': '1.0'}: a nested config as MLflow params (strings;
    lists as their YAML-like text, long values cut to MLflow's 6,000 characters)."""
    out = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[_NAME.sub("_", name)] = str(value)[:6000]
    return out


def numeric_metrics(metrics: Mapping) -> dict[str, float]:
    """The numbers of a metrics.json (None and text left out) under names MLflow accepts."""
    return {_NAME.sub("_", k): float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


class Tracker:
    """One tracked MLflow run (the fluent API's active run while the work runs)."""

    def __init__(self, mlflow, run):
        self.mlflow = mlflow
        self.run = run

    @property
    def run_id(self) -> str:
        return self.run.info.run_id

    def log_params(self, params: Mapping) -> None:
        items = list(flatten(params).items())
        for start in range(0, len(items), 100):  # MLflow's batch limit
            self.mlflow.log_params(dict(items[start:start + 100]))

    def log_config(self, config: Mapping) -> None:
        """The resolved config, flattened, without the keys that only name this machine's folders."""
        self.log_params({k: v for k, v in config.items() if k not in LOCAL_KEYS})

    def log_metrics(self, metrics: Mapping, step: int | None = None) -> None:
        numbers = list(numeric_metrics(metrics).items())
        for start in range(0, len(numbers), 1000):
            self.mlflow.log_metrics(dict(numbers[start:start + 1000]), step=step)

    def log_folder(self, folder: str) -> None:
        """Every file of a run or evaluation folder as artifacts, the model under `model/`."""
        self.mlflow.set_tag("khabar.folder", os.path.abspath(folder))
        self.mlflow.log_artifacts(folder)

    def child(self, name: str, params: Mapping, metrics: Mapping, status: str = "FINISHED") -> None:
        """A finished child run (a tune trial) under this one, logged in one call; thread-safe
        (Optuna may run trials in threads), since it does not touch the fluent run stack."""
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        child = client.create_run(self.run.info.experiment_id, run_name=name,
                                  tags={"mlflow.parentRunId": self.run_id})
        client.log_batch(child.info.run_id,
                         metrics=[Metric(k, v, 0, 0) for k, v in numeric_metrics(metrics).items()],
                         params=[Param(k, v) for k, v in flatten(params).items()],
                         tags=[RunTag("khabar.kind", "tune-trial")])
        client.set_terminated(child.info.run_id, status=status)


def log_run(tracker: Tracker, config: Mapping, metrics: Mapping, folder: str, what: str) -> None:
    """A finished run or evaluation folder into its tracked run: params, metrics, artifacts. The
    folder is complete already; a store failing now says so without losing it."""
    try:
        tracker.log_config(config)
        tracker.log_metrics(metrics)
        if folder:
            tracker.log_folder(folder)
    except Exception as exc:  # MLflow raises many types (MlflowException, requests, SQLAlchemy, OSError)
        reason = " ".join(str(exc).split())[:200]
        raise KhabarError(f"{what}: {folder or 'the result'} is written, but logging it to MLflow failed ({reason}); "
                          "log it again later by re-running with the store reachable") from None


def evaluation_uri(flag: str | None, model_dir: str) -> str | None:
    """`khabar evaluate`'s store: --tracking-uri, else the tracking.uri of the run that made the model."""
    if flag:
        return flag
    from .run_dir import read_mapping

    config = read_mapping(os.path.join(os.path.dirname(os.path.abspath(model_dir)), "config.yaml"))
    return ((config.get("tracking") or {}).get("uri")) or None


def log_evaluation(uri: str, model_dir: str, params: Mapping, metrics: Mapping, out_dir: str | None) -> None:
    """One `khabar evaluate` as its own tracked run: the run's config (when beside the model) and
    the evaluation's inputs as params, its figures as metrics, the --out folder as artifacts."""
    from .run_dir import read_mapping

    run_config = read_mapping(os.path.join(os.path.dirname(os.path.abspath(model_dir)), "config.yaml"))
    name = str(run_config.get("name") or os.path.basename(os.path.dirname(os.path.abspath(model_dir))))
    experiment = ((run_config.get("tracking") or {}).get("experiment")) or name
    with tracked(uri, experiment, f"evaluate {name}", "--tracking-uri", {"khabar.command": "evaluate"}) as tracker:
        if tracker is not None:
            log_run(tracker, {**run_config, "evaluate": dict(params)}, metrics, out_dir or "", "--tracking-uri")
            tracker.mlflow.set_tag("khabar.model", os.path.abspath(model_dir))


def _probe(mlflow, uri: str, what: str) -> None:
    """Reach the store once, quickly: a wrong URI or a stopped server fails now, in one line."""
    from mlflow.tracking import MlflowClient

    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ.update(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT=str(PROBE_SECONDS))
    try:
        MlflowClient(uri).search_experiments(max_results=1)
    except Exception as exc:  # MLflow raises many types (MlflowException, requests, SQLAlchemy)
        reason = " ".join(str(exc).split())[:200]
        raise KhabarError(f"{what} {uri}: cannot reach the MLflow store ({reason}); start the server or fix the URI") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def artifact_root(uri: str) -> str | None:
    """Where a new experiment of a local `sqlite:///path/runs.db` store keeps its artifacts:
    `mlartifacts/` beside the database (MLflow's default, ./mlruns, would land in whatever folder
    the command ran from, a checkout for instance). None for a server, which has its own."""
    if not uri.startswith("sqlite:///"):
        return None
    from pathlib import Path

    database = uri[len("sqlite:///"):].split("?")[0]
    return (Path(database).resolve().parent / "mlartifacts").as_uri()


def _use_experiment(mlflow, name: str, uri: str) -> None:
    if mlflow.get_experiment_by_name(name) is None:
        try:
            mlflow.create_experiment(name, artifact_location=artifact_root(uri))
        except Exception:  # another process created it meanwhile: use theirs
            if mlflow.get_experiment_by_name(name) is None:
                raise
    mlflow.set_experiment(name)


def check(uri: str | None, what: str) -> None:
    """Before any work: MLflow is installed and the store answers (nothing when tracking is off)."""
    if uri and torchrun.is_main():
        _probe(require_mlflow(what), uri, what)


@contextmanager
def tracked(uri: str | None, experiment: str, run_name: str, what: str, tags: Mapping | None = None) -> Iterator[Tracker | None]:
    """An MLflow run for the block (None when tracking is off, or on a rank other than 0 under
    torchrun). Inside another tracked run (tune's final training) it is a child run. The run ends
    FINISHED, or FAILED / KILLED when the block raises."""
    if not uri or not torchrun.is_main():
        yield None
        return
    mlflow = require_mlflow(what)
    _probe(mlflow, uri, what)
    mlflow.set_tracking_uri(uri)
    _use_experiment(mlflow, experiment, uri)
    nested = mlflow.active_run() is not None
    run = mlflow.start_run(run_name=run_name, nested=nested, tags=dict(tags or {}))
    try:
        yield Tracker(mlflow, run)
    except BaseException as exc:  # ends this run only (a parent run stays active)
        interrupted = isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "Terminated"
        mlflow.end_run("KILLED" if interrupted else "FAILED")
        raise
    mlflow.end_run()
    say(f"tracked in MLflow: {uri}, experiment {experiment!r}, run {run.info.run_id}")
