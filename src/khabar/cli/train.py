"""`khabar train CONFIG`: fit and evaluate from a YAML config, write a run directory, print the
headline figures (`khabar.train`)."""

from __future__ import annotations

from .parser import add_overrides_argument, add_tracking_argument, overrides_with_tracking


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train from a YAML config, evaluate, write a run directory",
                       description="Load and validate a config, normalize, fit, evaluate on dev and test, and write "
                                   "experiments/<name>/<timestamp>/.",
                       epilog="example: khabar train configs/sample_topic_tfidf.yaml --set train.seed=7")
    p.add_argument("config", help="an experiment config, e.g. configs/sample_topic_tfidf.yaml")
    add_overrides_argument(p, ", e.g. --set model.C=0.5")
    add_tracking_argument(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from .. import torchrun
    from ..api import train

    result = train(args.config, overrides_with_tracking(args))
    if torchrun.rank() != 0:  # under torchrun: rank 0 wrote the run and prints it
        return 0
    print_headline(result.headline, result.scheme)
    print(f"run: {result.directory}")
    return 0


def print_headline(headline: dict, scheme: str) -> None:
    """One row per split: the headline figures of the run's scheme (`models.metrics`) and n."""
    from ..models.metrics import metrics_for

    columns = [(m.name, m.display) for m in metrics_for(scheme, headline=True)]
    width = max(10, *(len(title) + 2 for _, title in columns))
    print(f"{'split':<12}" + "".join(f"{title:>{width}}" for _, title in columns) + f"{'n':>8}")
    for name, figures in headline.items():
        cells = "".join(f"{'' if figures.get(key) is None else format(figures[key], '.4f'):>{width}}"
                        for key, _ in columns)
        print(f"{name:<12}{cells}{figures['n']:>8}")
