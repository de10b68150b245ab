"""config -> data -> fit -> evaluate -> run directory.

`fit_from_config` is the library entry: a validated config in, the fitted model and the splits out,
nothing written (the benchmarks call it). `train` adds evaluation and the run directory, written by
`run_dir` (under a temporary name, renamed when complete, so a killed run never looks finished).
With `predict.target_precision` the abstain threshold is chosen on the dev split's predictions and
stored in the model (`khabar.json`'s `abstain`); the model card (`model/README.md`, `card`) is
written into the model directory before the model is saved, so the manifest lists it.

Under `torchrun` (WORLD_SIZE > 1; kinds that declare `data_parallel` only) every rank loads the
data and trains, and only rank 0 prints progress, evaluates and writes the run directory; the
other ranks wait for it (up to `torchrun.WAIT_TIMEOUT`, 24 h, not the 30-minute default of a gloo
barrier) and return rank 0's result, so no rank exits before the run is complete. Evaluating on
rank 0 alone keeps `predict` free of collectives, which would hang if only one rank called them.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import yaml

from .. import __version__, torchrun
from ..config import Config, load_config
from ..data import load_examples, load_splits, read_unlabeled
from ..data.chunks import stream_splits
from ..errors import KhabarError
from ..examples import Splits
from ..log import Progress
from ..models.base import Model, data_fingerprint
from ..models.metrics import metrics_for
from ..models.registry import get_kind
from ..models.scheme import scheme_of_result
from .calibration import choose_threshold, confidence_and_correct
from .card import card_text, write_card
from .evaluate import evaluate_model, flat_metrics, headline, summarize
from . import tracking
from .run_dir import (check_writable, discard_if_empty, example_texts, new_run_dir, staged, write_json,
                      write_results)


@dataclass
class RunResult:
    run_dir: str
    metrics: dict
    headline: dict  # split name -> {accuracy, macro_f1, weighted_f1, n} (multi-label: see evaluate.headline)
    scheme: str = "one_label"  # the model's label scheme (`models.scheme`): which figures the headline has
    rank: int = 0  # under torchrun: this process's rank (every rank gets rank 0's result)


def train_from_config(path: str, overrides: list[str] | None = None, progress: Progress | None = None) -> RunResult:
    """`khabar train CONFIG --set key=value ...`: load, validate, fit, evaluate and write a run."""
    return train(load_config(path, overrides), progress)


def fit_from_config(config: Config, progress: Progress | None = None,
                    splits: Splits | None = None, epoch_callback=None, report_to: str = "none") -> tuple[Model, Splits]:
    """The model of `config`, fitted on its train split (dev for early stopping and calibration),
    and the splits. Writes nothing: what `train` and the benchmarks share. `splits`: already
    loaded with `data.load_splits(config.data, ...)`, so a caller that needs them first (a
    benchmark fitting peers on the same data) reads the corpus once. `epoch_callback`: see
    `Model.epoch_callback` (kinds that train in epochs report each dev evaluation to it).
    `report_to`: "mlflow" while a tracked run is active (`train`), so a library trainer logs its
    curve into it; tune's trials keep "none" (their curves would land in the study's run)."""
    log = progress or Progress()
    kind = get_kind(config.model_kind)
    if torchrun.is_distributed() and not kind.data_parallel:
        raise KhabarError(
            f"{config.source}: model.kind {config.model_kind} trains in one process; run khabar train without "
            f"torchrun (WORLD_SIZE={torchrun.world_size()})"
        )
    if splits is None:
        splits = read_splits(config)
    log("data: " + ", ".join(f"{name} {len(items)}" for name, items in splits.items()))
    model = kind.model_class()(config.task, config.model, config.train, config.normalize, labels=config.data.labels,
                               multi_label=config.multi_label, allow_no_label=config.predict.allow_no_label)
    model.epoch_callback = epoch_callback
    model.report_to = report_to
    if config.data.unlabeled:
        model.unlabeled = unlabeled_inputs(config)
        log(f"data.unlabeled: {len(model.unlabeled)} articles")
    fit_start = time.perf_counter()
    model.fit(splits.train, splits.dev or None)
    model.fit_seconds_ = time.perf_counter() - fit_start
    log(f"fitted in {model.fit_seconds_:.1f}s: {len(model.labels_)} labels")
    return model, splits


def unlabeled_inputs(config: Config) -> list:
    """The inputs of `data.unlabeled` (any file or folder `read_unlabeled` reads), its errors naming the key."""
    try:
        pool = read_unlabeled(config.data.unlabeled, config.task)
    except KhabarError as exc:
        raise KhabarError(f"{config.source}: data.unlabeled: {exc}") from None
    return [ex.inputs for ex in pool]


def read_splits(config: Config) -> Splits:
    """The config's splits: in memory, or for a kind that streams (`Kind.streams`) the train split
    read in chunks on every pass and dev and test in memory."""
    if get_kind(config.model_kind).streams:
        return stream_splits(config.data, config.task, config.source)
    return load_splits(config.data, config.task, config.train.seed, config.source, config.multi_label)


def train(config: Config, progress: Progress | None = None) -> RunResult:
    log = progress or Progress()
    log(f"config {config.source}: {config.name} ({config.task}, {config.model_kind})")
    check_writable(os.path.join(config.output_dir, config.name), f"{config.source}: output_dir")  # before any work
    uri, what = config.tracking.uri, f"{config.source}: tracking.uri"
    try:
        with tracking.tracked(uri, config.tracking.experiment or config.name, config.name, what,
                              {"khabar.command": "train", "khabar.task": config.task,
                               "khabar.kind": config.model_kind}) as tracker:
            extras = [(extra, _extra_examples(extra, config)) for extra in config.eval.extra]
            splits = dev_into_train(config, read_splits(config), log)
            _check_extra_labels(config, splits)  # before the fit, not after it
            model, splits = fit_from_config(config, log, splits=splits, report_to=tracking.report_to(uri))
            result = torchrun.on_main(
                lambda: _evaluate_and_write(config, model, splits, extras, log), "evaluating and writing the run")
            if tracker is not None:
                tracking.log_run(tracker, config.to_dict(), result.metrics, result.run_dir, what)
    finally:
        torchrun.shutdown()
    result.rank = torchrun.rank()
    return result


def dev_into_train(config: Config, splits: Splits, log) -> Splits:
    """`data.train_on_dev`: the splits with dev moved into train (the final fit, after the settings
    were chosen: `khabar tune` keeps dev for its trials and refits the best this way). `train` and
    `bench/stance_claims.py --with-dev` call it; tune's trials pass their own splits to
    `fit_from_config`, dev kept."""
    if not config.data.train_on_dev or not splits.dev:
        return splits
    log(f"data.train_on_dev: the dev split's {len(splits.dev)} examples join the training split; what the model "
        "would choose on dev it chooses by cross-validation, and dev is not evaluated")
    return Splits(train=list(splits.train) + list(splits.dev), dev=[], test=splits.test)


def _check_extra_labels(config: Config, splits: Splits) -> None:
    """`eval.extra[].labels` must name labels the model will have (data.labels, else the training labels)."""
    known = list(config.data.labels or sorted({label for ex in splits.train for label in ex.gold}))
    for extra in config.eval.extra:
        unknown = [lab for lab in extra.labels or [] if lab not in known]
        if unknown:
            raise KhabarError(f"{config.source}: eval.extra {extra.name}: labels: {', '.join(map(repr, unknown))} not among "
                              f"the model's labels ({', '.join(known)})")


def abstain_note(predict_config, dev_result: dict | None, log=None) -> dict | None:
    """The manifest's `abstain` note from the config's `predict:` section: a fixed
    `min_confidence`, or the threshold `target_precision` chooses on the dev result (see
    `calibration.choose_threshold`); None when the config asks for neither."""
    if predict_config.min_confidence is not None:
        return {"min_confidence": predict_config.min_confidence, "chosen_on": "config"}
    if predict_config.target_precision is None:
        return None
    if not dev_result or not dev_result.get("predictions"):
        raise KhabarError("predict.target_precision: the data has no dev split to choose the abstain threshold on; "
                          "give it one (data.split.dev) or set predict.min_confidence instead")
    note = {**choose_threshold(*confidence_and_correct(dev_result["predictions"]), predict_config.target_precision),
            "chosen_on": "dev"}
    if log:
        log(f"abstain threshold {note['min_confidence']:.4f}: dev precision {note['dev_precision']:.4f} at coverage "
            f"{note['dev_coverage']:.4f} (target {note['target_precision']:g})")
    return note


def _with_threshold(scheme, result: dict, min_confidence: float | None) -> dict:
    """A result measured again at an abstain threshold, from its predictions (no second model pass)."""
    if not min_confidence:
        return result
    for p in result["predictions"]:
        scheme.abstain_at(p, min_confidence)
    again = summarize(result["predictions"], result["labels"], min_confidence)
    return {**again, **({"restricted_to": result["restricted_to"]} if "restricted_to" in result else {})}


def _evaluate_and_write(config, model, splits, extras, log) -> RunResult:
    results, metrics = {}, {"train.seconds": round(model.fit_seconds_, 3), "train.n": len(splits.train)}
    for name, items in (("dev", splits.dev), ("test", splits.test)):
        if items:
            eval_start = time.perf_counter()
            results[name] = evaluate_model(model, items)
            seconds = time.perf_counter() - eval_start
            metrics[f"{name}.predict_per_second"] = round(len(items) / max(seconds, 1e-9), 1)
            log(f"evaluated {name}: {_figures_line(results[name])}")
    # a multi-label model decides each label with its own threshold: the config refuses
    # min_confidence and target_precision for it, so it gets no note
    note = abstain_note(config.predict, results.get("dev"), log)
    threshold = None
    if note is not None:
        model.scheme.abstain = note
        threshold = note["min_confidence"]
    for name in list(results):
        results[name] = _with_threshold(model.scheme, results[name], threshold)
        metrics.update(flat_metrics(results[name], name))
    for extra, examples in extras:
        results[extra.name] = evaluate_model(model, examples, extra.label_map, labels=extra.labels, min_confidence=threshold)
        metrics.update(flat_metrics(results[extra.name], extra.name))
        log(f"evaluated {extra.name}: {_figures_line(results[extra.name])} on {results[extra.name]['n']} known-label examples")

    run_dir = _write_run(config, model, splits, results, metrics, extras)
    log(f"run written: {run_dir}")
    return RunResult(run_dir, metrics, {name: headline(r) for name, r in results.items()}, model.scheme.name)


def _figures_line(result: dict) -> str:
    """The log line's figures: the result's headline metrics (`models.metrics`)."""
    return ", ".join(f"{m.display} {result[m.name] or 0:.4f}"
                     for m in metrics_for(scheme_of_result(result).name, headline=True))


def _extra_examples(extra, config: Config):
    examples = load_examples(extra.data, config.task, f"{config.source}: eval.extra {extra.name}", config.multi_label)
    if extra.only_split:
        examples = [ex for ex in examples if ex.split == extra.only_split]
    return examples


def _write_run(config, model, splits, results, metrics, extras) -> str:
    final = new_run_dir(os.path.join(config.output_dir, config.name))
    try:
        _write_files(final, config, model, splits, results, metrics, extras)
    except BaseException:
        discard_if_empty(final)  # the reserved name, if nothing reached it
        raise
    return final


def _write_files(final, config, model, splits, results, metrics, extras) -> None:
    with staged(final) as tmp:
        model.metrics_ = {name: headline(r) for name, r in results.items()}
        provenance = _provenance(config, splits, model)
        # the card goes in before `save` records the model's files, so khabar.json lists it too
        write_card(os.path.join(tmp, "model"), card_text(model.manifest().to_dict(), metrics, config.to_dict(), provenance))
        model.save(os.path.join(tmp, "model"))
        with open(os.path.join(tmp, "config.yaml"), "w", encoding="utf-8") as fh:
            yaml.safe_dump(config.to_dict(), fh, allow_unicode=True, sort_keys=False)
        texts = example_texts([splits.dev, splits.test] + [e for _, e in extras])
        write_results(tmp, f"{config.name} ({config.task}{model.scheme.title}, {config.model_kind})", results, metrics, texts,
                      config.eval.misclassified_examples)
        write_json(os.path.join(tmp, "provenance.json"), provenance)


def _provenance(config, splits, model) -> dict:
    return {
        "khabar_version": __version__,
        "config_file": config.source,
        "seed": config.train.seed,
        "data_fingerprint": {name: data_fingerprint(items) for name, items in splits.items()},
        "model_kind": config.model_kind,
        "task": config.task,
        "labels": model.labels_,
        "train_sources": dict(Counter(ex.source for ex in splits.train if ex.source).most_common()),
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
