"""`khabar tune CONFIG`: an Optuna study over the config's tune.space, scored on dev
(`runs.tune.tune`); prints the trials and the best configuration."""

from __future__ import annotations

from .parser import add_overrides_argument, add_tracking_argument, number, overrides_with_tracking, whole


def add_parser(sub) -> None:
    p = sub.add_parser("tune", help="search hyperparameters on the dev split (Optuna), resumable",
                       description="Run or continue an Optuna study over the config's tune.space: each trial fits "
                                   "on train and is scored on dev (the test split is never seen). Writes "
                                   "<output_dir>/<name>/tune/: the study, best.yaml, trials.csv/.md, history.png, "
                                   "importance.png. Run it again to continue; several processes may share a study.",
                       epilog="example: khabar tune configs/sample_topic_tfidf_tune.yaml --trials 10 --final")
    p.add_argument("config", help="a config with a tune: block (or one whose base: has it)")
    add_overrides_argument(p)
    p.add_argument("--trials", type=whole(1), default=None, help="trials in the whole study (default: tune.trials)")
    p.add_argument("--timeout", type=number(0.001), default=None, help="stop starting trials after this many seconds")
    p.add_argument("--storage", default=None,
                   help="an Optuna storage: a journal file path, or a URL such as sqlite:///study.db or "
                        "postgresql://host/db for several machines (default: a journal file in the tune folder)")
    p.add_argument("--study", default=None, help="the study's name (default: the config's name)")
    p.add_argument("--jobs", type=whole(1), default=1, help="trials at once in this process (default: 1)")
    p.add_argument("--final", action="store_true", help="then train the best config once: a normal run, test evaluated")
    add_tracking_argument(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..runs.tune import format_trials, tune

    result = tune(args.config, overrides_with_tracking(args), trials=args.trials, timeout=args.timeout, storage=args.storage,
                  study_name=args.study, jobs=args.jobs, final=args.final)
    print(format_trials(result.trials, result.metric))
    print(f"best dev {result.metric} {result.best_value:.4f}: " + ", ".join(f"{k}={v}" for k, v in result.best_params.items()))
    print(f"best config: {result.best_config}")
    if result.final is not None:
        print(f"final run: {result.final.run_dir}")
    return 0
