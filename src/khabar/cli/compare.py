"""`khabar compare [RUN|DIR ...]`: runs in one table with paired significance tests
(`khabar.compare`), printed and written as comparison.md/.csv/.png."""

from __future__ import annotations

import os

from ..runs.compare import MAX_RESAMPLES  # the one bound, which the library checks too
from .parser import whole


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare experiment runs: per group a leaderboard and significance tests",
                       description="Group runs by what they were scored on (task, label set, test data); per group a "
                                   "leaderboard with 95%% bootstrap intervals and paired tests (bootstrap, Holm-"
                                   "adjusted, and McNemar), written as Markdown, CSV and one plot per group.",
                       epilog="example: khabar compare experiments/ --metric test.accuracy --pairs best")
    p.add_argument("runs", nargs="*", metavar="RUN|DIR", help="run directories or folders of runs (default: experiments)")
    p.add_argument("--metric", default="test.macro_f1", help="sort and test by this metric (default: test.macro_f1)")
    p.add_argument("--out", default=None, help="where comparison.md/.csv/_*.png go (default: experiments/_compare)")
    p.add_argument("--resamples", type=whole(1, MAX_RESAMPLES), default=1000,
                   help=f"bootstrap resamples, at most {MAX_RESAMPLES:,} (default: 1000)")
    p.add_argument("--pairs", choices=["all", "best"], default="all",
                   help="all: test every pair of a group (Holm-adjusted); best: only the group's best against each "
                        "other run (fewer tests, more power) (default: all)")
    p.set_defaults(handler=run)


def default_out(runs: list[str]) -> str:
    """<DIR>/_compare for one folder of runs, else experiments/_compare."""
    one_folder = len(runs) == 1 and not os.path.isfile(os.path.join(runs[0], "metrics.json"))
    return os.path.join(runs[0] if one_folder else "experiments", "_compare")


def run(args) -> int:
    from ..api import compare
    from ..runs.compare_report import format_table

    result = compare(args.runs, metric=args.metric, resamples=args.resamples, pairs=args.pairs,
                     out=args.out or default_out(args.runs))
    print(format_table(result))
    for path in result["written"]:
        print(f"written: {path}")
    return 0
