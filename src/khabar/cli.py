"""`khabar` command line: thin wrappers over library functions that return data.

Every user mistake surfaces as `KhabarError`, printed as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import KhabarError

EXAMPLES = """\
commands, each with an example:
  normalize   khabar normalize --preset arabert article.txt
  data stats  khabar data stats configs/sample_topic_tfidf.yaml
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="khabar",
        description="Classify Arabic news by topic and stance: normalize, train, evaluate, predict, compare.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"khabar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("normalize", help="stream text through a normalization preset, line by line",
                       description="Normalize Arabic text line by line, to see what a preset does.",
                       epilog="example: echo 'أَهْلاً بِكُمْ' | khabar normalize --preset standard")
    p.add_argument("file", nargs="?", default="-", help="a UTF-8 text file, or - for standard input (default)")
    p.add_argument("--preset", default="standard", help="none, light, standard or arabert (default: standard)")
    p.add_argument("--step", action="append", default=[], metavar="NAME=on|off",
                   help="switch one step on or off on top of the preset (repeatable)")
    p.add_argument("--list", action="store_true", help="list presets and steps, then exit")
    p.set_defaults(handler=_cmd_normalize)

    p = sub.add_parser("data", help="inspect labeled data", description="Inspect labeled data.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    s = data_sub.add_parser("stats", help="counts per label and split, lengths, duplicates, normalization effect",
                            epilog="example: khabar data stats data/sample/topic.jsonl")
    s.add_argument("target", metavar="PATH_OR_CONFIG", help="a data file or folder, or an experiment config (.yaml)")
    s.add_argument("--task", choices=["topic", "stance"], default=None,
                   help="with a data path: stance expects a claim/text pair (default: guessed from columns)")
    s.set_defaults(handler=_cmd_data_stats)
    return parser


def _parse_steps(items: list[str]) -> dict[str, bool]:
    steps = {}
    for item in items:
        name, _, value = item.partition("=")
        if value not in ("on", "off"):
            raise KhabarError(f"--step {item!r}: expected NAME=on or NAME=off, for example --step hamza=on")
        steps[name] = value == "on"
    return steps


def _cmd_normalize(args) -> int:
    from .normalize import PRESETS, STEPS, build_normalizer

    if args.list:
        for name, steps in PRESETS.items():
            print(f"{name:9} {', '.join(steps) or '(no change)'}")
        print("steps:   " + ", ".join(STEPS))
        return 0
    norm = build_normalizer(args.preset, _parse_steps(args.step))
    if args.file == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(args.file, encoding="utf-8")
        except OSError as exc:
            raise KhabarError(f"{args.file}: cannot open ({exc.strerror}); pass a readable UTF-8 text file or -")
    try:
        for number, line in enumerate(stream, 1):
            sys.stdout.write(norm(line.rstrip("\n")) + "\n")
    except UnicodeDecodeError:
        raise KhabarError(f"{args.file}: line {number}: not valid UTF-8; re-encode the file as UTF-8") from None
    return 0


def _cmd_data_stats(args) -> int:
    from .data_stats import compute_stats, format_stats

    print(format_stats(compute_stats(args.target, task=args.task)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2 if args.command is None else 2
    try:
        return args.handler(args) or 0
    except KhabarError as exc:
        print(f"khabar: error: {exc}", file=sys.stderr)
        return KhabarError.exit_status
    except KeyboardInterrupt:
        print("khabar: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
