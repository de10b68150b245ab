"""`khabar runs list [DIR ...]`: every finished run with its key figures, and which run each
experiment folder means (`runs.choose`: @best by the dev metric, @latest)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list runs with their key figures", description="Inspect experiment runs.")
    actions = p.add_subparsers(dest="runs_command", metavar="ACTION")
    s = actions.add_parser("list", help="every finished run with its key figures, and which run each experiment "
                                        "folder means (@best by the dev metric, @latest)",
                           epilog="example: khabar runs list experiments/")
    s.add_argument("paths", nargs="*", metavar="DIR", help="experiment folders or run directories (default: experiments)")
    s.set_defaults(handler=run)


def run(args) -> int:
    from ..runs.choose import format_rows, run_rows

    print(format_rows(run_rows(args.paths)))
    return 0
