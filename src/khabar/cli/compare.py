"""`khabar compare [RUN|DIR ...]`: runs in one table with paired significance tests
(`runs.compare.compare_runs`), printed and written as comparison.md/.csv/.png."""

from __future__ import annotations

import os

from .parser import whole

#: More resamples than this change no reported figure (the p-value's third decimal settles long
#: before) and only make `compare` run for hours: refused in one line.
MAX_RESAMPLES = 100_000


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare experiment runs in one table, with significance",
                       description="Gather run directories into one table (terminal, Markdown, CSV, bar chart) and "
                                   "test paired differences on a shared test set.",
                       epilog="example: khabar compare experiments/ --metric test.accuracy")
    p.add_argument("runs", nargs="*", metavar="RUN|DIR", help="run directories or folders of runs (default: experiments)")
    p.add_argument("--metric", default="test.macro_f1", help="sort by this metric (default: test.macro_f1)")
    p.add_argument("--out", default=None, help="where comparison.md/.csv/.png go (default: experiments/_compare)")
    p.add_argument("--resamples", type=whole(1, MAX_RESAMPLES), default=1000,
                   help=f"bootstrap resamples, at most {MAX_RESAMPLES:,} (default: 1000)")
    p.set_defaults(handler=run)


def default_out(runs: list[str]) -> str:
    """<DIR>/_compare for one folder of runs, else experiments/_compare."""
    one_folder = len(runs) == 1 and not os.path.isfile(os.path.join(runs[0], "metrics.json"))
    return os.path.join(runs[0] if one_folder else "experiments", "_compare")


def run(args) -> int:
    from ..runs.compare import compare_runs, format_table, write_comparison
    from ..runs.run_dir import check_writable

    out = args.out or default_out(args.runs)
    check_writable(out, "--out")
    result = compare_runs(args.runs, args.metric, args.resamples)
    print(format_table(result))
    for path in write_comparison(result, out):
        print(f"written: {path}")
    return 0
