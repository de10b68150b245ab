"""`khabar train CONFIG`: fit and evaluate from a YAML config, write a run directory, print the
headline figures (`runs.train.train_from_config`)."""

from __future__ import annotations

from .parser import add_overrides_argument


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train from a YAML config, evaluate, write a run directory",
                       description="Load and validate a config, normalize, fit, evaluate on dev and test, and write "
                                   "experiments/<name>/<timestamp>/.",
                       epilog="example: khabar train configs/sample_topic_tfidf.yaml --set train.seed=7")
    p.add_argument("config", help="an experiment config, e.g. configs/sample_topic_tfidf.yaml")
    add_overrides_argument(p, ", e.g. --set model.C=0.5")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..runs.train import train_from_config

    result = train_from_config(args.config, args.overrides)
    if result.rank != 0:  # under torchrun: rank 0 wrote the run and prints it
        return 0
    print_headline(result.headline)
    print(f"run: {result.run_dir}")
    return 0


def print_headline(headline: dict) -> None:
    """One row per split: accuracy and macro-F1, and for a multi-label run micro- and samples-F1."""
    # a multi-label run's headline has micro-F1 and samples-F1 too (and its accuracy is subset accuracy)
    multi = any("micro_f1" in figures for figures in headline.values())
    columns = [("accuracy", "subset acc." if multi else "accuracy"), ("macro_f1", "macro-F1")]
    if multi:
        columns += [("micro_f1", "micro-F1"), ("samples_f1", "samples-F1")]
    width = 12 if multi else 10
    print(f"{'split':<12}" + "".join(f"{title:>{width}}" for _, title in columns) + f"{'n':>8}")
    for name, figures in headline.items():
        cells = "".join(f"{'' if figures.get(key) is None else format(figures[key], '.4f'):>{width}}"
                        for key, _ in columns)
        print(f"{name:<12}{cells}{figures['n']:>8}")
