"""`khabar tune`: an Optuna study over a config's `tune.space`, scored on dev, never on test.

Each trial is the base config with the searched keys set, fitted by `fit_from_config` on the train
split and scored on the dev split; the test examples are removed before the first trial, so the
search cannot see them. The study lives in `<output_dir>/<name>/tune/` (an Optuna journal file by
default, which several processes may share; or any storage URL Optuna accepts, e.g.
`postgresql://...` for several machines), so a killed search continues where it stopped. At the
end: `best.yaml` (the complete best config, named `<name>_tuned`), `trials.csv` / `trials.md`,
`history.png` and `importance.png`; with `final`, one normal training run of the best config, the
only time its test split is evaluated.

Why Optuna: TPE sampling, pruning, resumable and shared storages are what a careful person would
otherwise write by hand, and it is well kept.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import time
import warnings
from dataclasses import dataclass
from typing import Optional

from ..config import config_from_dict, read_yaml_with_base, apply_override
from ..data import load_splits
from ..errors import KhabarError
from ..log import bars_on, muted, say
from ..models.metrics import objectives
from ..models.scheme import scheme_for
from .evaluate import evaluate_model
from .multi_label import cross_fitted_figures
from .run_dir import check_writable, staged_file
from . import tracking
from .search_space import Dimension, parse_tune, trial_raw
from .train import RunResult, fit_from_config, train
from .tune_storage import open_study, spent, trial_seeded_sampler, worker_name

STUDY_FILE = "study.journal"


@dataclass
class TuneResult:
    metric: str
    folder: str
    best_value: Optional[float]
    best_params: dict
    best_config: str
    trials: list[dict]
    final: Optional[RunResult] = None


def tune(path: str, overrides: list[str] | None = None, *, trials: int | None = None, timeout: float | None = None,
         storage: str | None = None, study_name: str | None = None, jobs: int = 1, final: bool = False) -> TuneResult:
    """Run (or continue) the study of the config at `path`; see the module docstring."""
    import optuna

    raw = read_yaml_with_base(path)
    for item in overrides or []:
        apply_override(raw, item, path)
    base = config_from_dict(raw, path)
    spec, dims = parse_tune(raw, path)  # every key checked before any trial runs
    budget = trials or spec.trials
    metric = _metric(spec.metric or base.eval.primary_metric, base, path)
    folder = os.path.join(base.output_dir, base.name, "tune")
    check_writable(folder, f"{path}: output_dir")
    os.makedirs(folder, exist_ok=True)

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # khabar prints one line per trial itself
    # seeded per trial number (unique across workers): two workers never propose the same trials
    study = open_study(storage, os.path.join(folder, STUDY_FILE), study_name=study_name or base.name,
                       direction="maximize", pruner=optuna.pruners.MedianPruner(),
                       sampler=trial_seeded_sampler(spec.seed if spec.seed is not None else base.train.seed))
    _check_same_search(study, metric, dims)

    data_searched = any(d.key.startswith("data.") for d in dims)
    fixed_splits = None if data_searched else _without_test(load_splits(base.data, base.task, base.train.seed, base.source, base.multi_label))

    fitted = _objective(raw, path, dims, spec, metric, fixed_splits)

    uri, experiment = base.tracking.uri, base.tracking.experiment or base.name
    with tracking.tracked(uri, experiment, f"tune {base.name}", f"{path}: tracking.uri",
                          {"khabar.command": "tune", "khabar.task": base.task, "khabar.kind": base.model_kind}) as tracker:
        result = _run_study(study, fitted, base, raw, path, dims, metric, budget, timeout, spec, jobs, folder,
                            final, tracker)
        if tracker is not None:
            tracker.log_config(base.to_dict())
            tracker.log_metrics({f"dev.{metric}.best": result.best_value, "trials": len(result.trials)})
            tracker.log_params({f"best.{k}": v for k, v in result.best_params.items()})
            tracker.log_folder(folder)
    return result


def _run_study(study, fitted, base, raw, path, dims, metric, budget, timeout, spec, jobs, folder, final, tracker):
    import optuna

    def objective(trial) -> float:
        trial.set_user_attr("worker", worker_name())
        if spent(study) > budget:  # other workers spent the budget since this one last looked
            study.stop()
            trial.set_user_attr("reason", "not run: the study's trial budget was spent by other workers")
            raise optuna.TrialPruned()
        return fitted(trial)

    done = _finished(study)
    if done < budget:
        say(f"tune {base.name}: {done} of {budget} trials done; {metric} on dev; study in {folder}")
        # the budget of the whole study, every worker counted; a trial left running by a killed
        # process stays "running" in the table and does not count
        def stop(study, trial) -> None:  # finished and running trials of every live worker count
            if spent(study) >= budget:
                study.stop()

        study.optimize(objective, n_trials=budget - done, timeout=timeout if timeout is not None else spec.timeout,
                       n_jobs=jobs, catch=(Exception,), callbacks=[stop, _report(budget, metric, tracker)],
                       show_progress_bar=bars_on())
    rows = trial_rows(study, dims)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        reasons = sorted({r["reason"] for r in rows if r["reason"]})
        raise KhabarError(f"tune {base.name}: no trial finished; reasons: {'; '.join(reasons) or 'none recorded'}")
    best = study.best_trial
    best_params = {d.key: d.value(best.params[d.key]) for d in dims}
    best_raw = trial_raw(raw, best_params, path)
    best_raw["name"] = f"{base.name}_tuned"
    best_config = config_from_dict(best_raw, path)
    if tracker is not None:  # the final run: a child of the study's run, in its experiment
        best_config.tracking.experiment = base.tracking.experiment or base.name
    _write_outputs(study, folder, best_config, rows, metric)
    result = TuneResult(metric, folder, best.value, best_params, os.path.join(folder, "best.yaml"), rows)
    if final:
        result.final = train(best_config)
    return result


def _metric(metric: str, base, path: str) -> str:
    """The figure the study maximizes on dev: one of the objectives of the config's scheme."""
    scheme = scheme_for(base.multi_label)
    if metric not in objectives(scheme.name):
        raise KhabarError(f"{path}: tune.metric: {metric} is not a figure of a {scheme.describe} model; use "
                          f"{', '.join(objectives(scheme.name))}")
    return metric


def _objective(raw: dict, path: str, dims: list[Dimension], spec, metric: str, fixed_splits):
    """The study's objective: one trial's config fitted on train and scored on dev (`metric`);
    `fixed_splits` the data every trial shares (None when the search changes the data)."""
    import optuna

    def objective(trial) -> float:
        params = {d.key: d.suggest(trial) for d in dims}
        try:
            config = config_from_dict(trial_raw(raw, params, path), path)
            splits = fixed_splits or _without_test(load_splits(config.data, config.task, config.train.seed, config.source, config.multi_label))
            with muted():
                model, _ = fit_from_config(config, splits=splits, epoch_callback=_pruner(trial, metric))
                # a multi-label model chose its thresholds on dev: score them held out (cross-fitted)
                dev = model.scheme.dev_figures(model, splits.dev, evaluate_model, cross_fitted_figures)
                score = dev[metric]
        except optuna.TrialPruned as exc:
            trial.set_user_attr("reason", str(exc))
            raise
        except Exception as exc:
            trial.set_user_attr("reason", " ".join(f"{type(exc).__name__}: {exc}".split())[:300])
            raise
        trial.set_user_attr("fit_seconds", round(model.fit_seconds_, 3))
        if spec.max_fit_seconds is not None and model.fit_seconds_ > spec.max_fit_seconds:
            trial.set_user_attr("reason", f"fit took {model.fit_seconds_:.1f}s, over max_fit_seconds {spec.max_fit_seconds:g}")
            raise optuna.TrialPruned()
        if score is None:
            raise KhabarError("the dev split is empty; tune needs dev examples to score trials")
        return float(score)


    return objective


def _pruner(trial, metric: str):
    """For kinds that train in epochs: report each epoch's dev figure to Optuna and stop a trial
    the median pruner finds behind the others at the same epoch."""
    import optuna

    def on_dev(epoch: float, figures: dict) -> None:
        if figures.get(metric) is None:
            return
        trial.report(float(figures[metric]), step=max(0, round(epoch)))
        if trial.should_prune():
            raise optuna.TrialPruned(f"dev {metric} {figures[metric]:.4f} at epoch {epoch:g} is below the median")

    return on_dev


def _check_same_search(study, metric: str, dims: list[Dimension]) -> None:
    """A study continued with another metric or space would mix incomparable trials. The search is
    recorded in one write, so a second worker starting at the same moment reads all or nothing."""
    search = {"metric": metric, "keys": sorted(d.key for d in dims)}
    saved = study.user_attrs.get("search")
    if saved is None:
        study.set_user_attr("search", search)
    elif saved != search:
        raise KhabarError(f"study {study.study_name} searched {saved['keys']} for {saved['metric']}; this config "
                          f"searches {search['keys']} for {metric}; pass --study NAME to start another study")


def _finished(study) -> int:
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)))


def _report(budget: int, metric: str, tracker=None):
    """After each trial: one line, and with tracking a child run of the study's run."""
    started = time.perf_counter()

    def callback(study, trial) -> None:
        if tracker is not None:
            tracker.child(f"trial {trial.number + 1}", {**trial.params, "state": trial.state.name},
                          {f"dev.{metric}": trial.value, "fit_seconds": trial.user_attrs.get("fit_seconds")},
                          "FINISHED" if trial.value is not None else "FAILED")
        params = ", ".join(f"{k}={v}" for k, v in trial.params.items())
        if trial.value is not None:
            outcome = f"{metric} {trial.value:.4f} (fit {trial.user_attrs.get('fit_seconds', 0):.1f}s)"
        else:
            outcome = f"{trial.state.name.lower()}: {trial.user_attrs.get('reason', '')}"
        say(f"trial {trial.number + 1}/{budget}: {outcome}; {params} ({time.perf_counter() - started:.0f}s)")

    return callback


def trial_rows(study, dims: list[Dimension]) -> list[dict]:
    """One row per trial: number, state, dev metric, fit seconds, each searched value, the reason."""
    rows = []
    for t in study.trials:
        row = {"trial": t.number + 1, "state": t.state.name.lower(), "dev": t.value,
               "fit_seconds": t.user_attrs.get("fit_seconds")}
        for d in dims:
            row[d.key] = d.value(t.params[d.key]) if d.key in t.params else None
        row["reason"] = t.user_attrs.get("reason", "")
        rows.append(row)
    return rows


def format_trials(rows: list[dict], metric: str) -> str:
    """The trials as a plain-text table, best first."""
    if not rows:
        return "no trials"
    ordered = sorted(rows, key=lambda r: (r["dev"] is None, -(r["dev"] or 0)))
    header = [k if k != "dev" else f"dev {metric}" for k in rows[0]]
    cells = [[_cell(v) for v in r.values()] for r in ordered]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _without_test(splits):
    """The splits a trial may see: train and dev; test is dropped here, before any trial."""
    return dataclasses.replace(splits, test=[])


def _write_outputs(study, folder: str, best_config, rows: list[dict], metric: str) -> None:
    import yaml

    with staged_file(os.path.join(folder, "best.yaml")) as fh:
        fh.write(f"# best of {len(rows)} trials of study {study.study_name}: dev {metric} {study.best_value:.4f}\n")
        yaml.safe_dump({k: v for k, v in best_config.to_dict().items()}, fh, allow_unicode=True, sort_keys=False)
    with staged_file(os.path.join(folder, "trials.csv")) as fh:
        writer = csv.writer(fh)
        writer.writerow(rows[0].keys())
        writer.writerows([[_cell(v) for v in r.values()] for r in rows])
    with staged_file(os.path.join(folder, "trials.md")) as fh:
        keys = list(rows[0])
        fh.write(f"# Study {study.study_name}: dev {metric}\n\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n")
        for r in sorted(rows, key=lambda r: (r["dev"] is None, -(r["dev"] or 0))):
            fh.write("| " + " | ".join(_cell(v).replace("|", "\\|") for v in r.values()) + " |\n")
    _plots(study, folder)


def _plots(study, folder: str) -> None:
    """history.png always; importance.png when the study can rank its parameters (two or more
    finished trials that vary more than one value)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
        ax = ovm.plot_optimization_history(study)
        ax.figure.set_size_inches(7, 4)
        ax.figure.tight_layout()
        ax.figure.savefig(os.path.join(folder, "history.png"), dpi=100)
        plt.close(ax.figure)
        try:
            ax = ovm.plot_param_importances(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            say(f"no importance plot: {exc}")
            return
        ax.figure.set_size_inches(7, 4)
        ax.figure.tight_layout()
        ax.figure.savefig(os.path.join(folder, "importance.png"), dpi=100)
        plt.close(ax.figure)
