"""config -> data -> fit -> evaluate -> run directory.

The run directory is built under a hidden temporary name and renamed when complete, so a killed
or failed run never looks finished; a failed run removes its temporary directory.

Under `torchrun` (WORLD_SIZE > 1; `kind: transformer` only) every rank loads the data and trains,
and only rank 0 prints progress, evaluates and writes the run directory; the other ranks wait for
it (up to `distributed_training.WAIT_TIMEOUT`, 24 h, not the 30-minute default of a gloo barrier)
and return rank 0's result, so no rank exits before the run is complete. Evaluating on rank 0
alone keeps `predict` free of collectives, which would hang if only one rank called them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import yaml

from . import __version__, distributed_training
from .config import Config, load_config
from .data import load_examples, load_splits
from .errors import KhabarError
from .evaluate import evaluate_model, flat_metrics, headline, plot_confusion, report_markdown, write_predictions
from .models import model_class
from .models.base import data_fingerprint


class Progress:
    """One line per stage on stderr, with the time since the run started."""

    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", file=self.stream or sys.stderr, flush=True)


@dataclass
class RunResult:
    run_dir: str
    metrics: dict
    headline: dict  # split name -> {accuracy, macro_f1, weighted_f1, n}
    rank: int = 0  # under torchrun: this process's rank (every rank gets rank 0's result)


def train_from_config(path: str, overrides: list[str] | None = None, progress: Progress | None = None) -> RunResult:
    config = load_config(path, overrides)
    return train(config, progress)


def train(config: Config, progress: Progress | None = None) -> RunResult:
    log = (progress or Progress()) if distributed_training.is_main() else (lambda message: None)
    log(f"config {config.source}: {config.name} ({config.task}, {config.model_kind})")
    cls = model_class(config.model_kind)
    if distributed_training.is_distributed() and not cls.data_parallel:
        raise KhabarError(
            f"{config.source}: model.kind {config.model_kind} trains in one process; run khabar train without "
            f"torchrun (WORLD_SIZE={distributed_training.world_size()}); only kind transformer trains data-parallel"
        )
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    log("data: " + ", ".join(f"{name} {len(items)}" for name, items in splits.items()))
    extras = [(extra, _extra_examples(extra, config)) for extra in config.eval.extra]

    model = cls(config.task, config.model, config.train, config.normalize, labels=config.data.labels)
    try:
        fit_start = time.perf_counter()
        model.fit(splits.train, splits.dev or None)
        fit_seconds = time.perf_counter() - fit_start
        log(f"fitted in {fit_seconds:.1f}s: {len(model.labels_)} labels")
        result = distributed_training.on_main(
            lambda: _evaluate_and_write(config, model, splits, extras, fit_seconds, log), "evaluating and writing the run")
    finally:
        distributed_training.shutdown()
    result.rank = distributed_training.rank()
    return result


def _evaluate_and_write(config, model, splits, extras, fit_seconds, log) -> RunResult:
    results, metrics = {}, {"train.seconds": round(fit_seconds, 3), "train.n": len(splits.train)}
    for name, items in (("dev", splits.dev), ("test", splits.test)):
        if items:
            eval_start = time.perf_counter()
            results[name] = evaluate_model(model, items)
            seconds = time.perf_counter() - eval_start
            metrics.update(flat_metrics(results[name], name))
            metrics[f"{name}.predict_per_second"] = round(len(items) / max(seconds, 1e-9), 1)
            log(f"evaluated {name}: accuracy {results[name]['accuracy']:.4f}, macro-F1 {results[name]['macro_f1']:.4f}")
    for extra, examples in extras:
        results[extra.name] = evaluate_model(model, examples, extra.label_map)
        metrics.update(flat_metrics(results[extra.name], extra.name))
        log(f"evaluated {extra.name}: accuracy {results[extra.name]['accuracy'] or 0:.4f} on {results[extra.name]['n']} known-label examples")

    run_dir = _write_run(config, model, splits, results, metrics, extras, log)
    log(f"run written: {run_dir}")
    return RunResult(run_dir, metrics, {name: headline(r) for name, r in results.items()})


def _extra_examples(extra, config: Config):
    examples = load_examples(extra.data, config.task, f"{config.source}: eval.extra {extra.name}")
    if extra.only_split:
        examples = [ex for ex in examples if ex.split == extra.only_split]
    return examples


def _write_run(config, model, splits, results, metrics, extras, log) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    parent = os.path.join(config.output_dir, config.name)
    os.makedirs(parent, exist_ok=True)
    final = os.path.join(parent, stamp)
    suffix = 1
    while os.path.exists(final):
        suffix += 1
        final = os.path.join(parent, f"{stamp}-{suffix}")
    tmp = os.path.join(parent, f".{os.path.basename(final)}.incomplete")
    try:
        os.makedirs(tmp)
        model.extra_manifest_["metrics"] = {name: headline(r) for name, r in results.items()}
        model.save(os.path.join(tmp, "model"))
        with open(os.path.join(tmp, "config.yaml"), "w", encoding="utf-8") as fh:
            yaml.safe_dump(config.to_dict(), fh, allow_unicode=True, sort_keys=False)
        with open(os.path.join(tmp, "metrics.json"), "w", encoding="utf-8") as fh:
            json.dump(metrics, fh, ensure_ascii=False, indent=2, sort_keys=True)
        main = "test" if "test" in results else "dev" if "dev" in results else None
        if main:
            write_predictions(results[main]["predictions"], os.path.join(tmp, "predictions.jsonl"))
            plot_confusion(results[main], os.path.join(tmp, "confusion_matrix.png"), f"{config.name}: {main}")
        texts = {ex.id: ex.text if ex.text_pair is None else f"{ex.text} || {ex.text_pair}"
                 for items in [splits.dev, splits.test] + [e for _, e in extras] for ex in items}
        with open(os.path.join(tmp, "report.md"), "w", encoding="utf-8") as fh:
            fh.write(report_markdown(f"{config.name} ({config.task}, {config.model_kind})", list(results.items()), texts,
                                     config.eval.misclassified_examples))
        with open(os.path.join(tmp, "provenance.json"), "w", encoding="utf-8") as fh:
            json.dump(_provenance(config, splits, model), fh, ensure_ascii=False, indent=2, sort_keys=True)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _provenance(config, splits, model) -> dict:
    return {
        "khabar_version": __version__,
        "config_file": config.source,
        "seed": config.train.seed,
        "data_fingerprint": {name: data_fingerprint(items) for name, items in splits.items()},
        "model_kind": config.model_kind,
        "task": config.task,
        "labels": model.labels_,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": _versions(),
        "argv": sys.argv,
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("scikit-learn", "numpy", "scipy", "datasets", "transformers", "torch", "pyarabic", "skops", "tokenizers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found
