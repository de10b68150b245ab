"""`khabar normalize [FILE|-]`: text through a normalization preset, line by line
(`khabar.normalize`), to see what a preset does."""

from __future__ import annotations

import sys

from ..errors import KhabarError
from ..normalize import PRESETS
from .output import check_output, opened_output


def add_parser(sub) -> None:
    p = sub.add_parser("normalize", help="stream text through a normalization preset, line by line",
                       description="Normalize Arabic text line by line, to see what a preset does.",
                       epilog="example: echo 'أَهْلاً بِكُمْ' | khabar normalize --preset standard")
    p.add_argument("file", nargs="?", default="-", help="a UTF-8 text file, or - for standard input (default)")
    p.add_argument("--preset", default="standard", help=f"{', '.join(PRESETS)} (default: standard)")
    p.add_argument("--output", "-o", default=None, help="write here instead of standard output (all or nothing)")
    p.add_argument("--step", action="append", default=[], metavar="NAME=on|off",
                   help="switch one step on or off on top of the preset (repeatable)")
    p.add_argument("--list", action="store_true", help="list presets and steps, then exit")
    p.set_defaults(handler=run)


def run(args) -> int:
    from ..data.files import decode_lines
    from ..normalize import STEPS, build_normalizer, normalize_text, parse_steps

    if args.list:
        for name, steps in PRESETS.items():
            print(f"{name:9} {', '.join(steps) or '(no change)'}")
        print("steps:   " + ", ".join(STEPS))
        return 0
    steps = parse_steps(args.step)
    build_normalizer(args.preset, steps)  # an unknown preset or step: before any input is read
    check_output(args.output)
    name = "<stdin>" if args.file == "-" else args.file
    # read and decode everything first: a bad byte anywhere ends before a line is written
    lines = normalize_text(decode_lines(read_input(args.file), name), args.preset, steps)
    with opened_output(args.output) as stream:
        for line in lines:
            stream.write(line + "\n")
    return 0


def read_input(path: str) -> bytes:
    """The bytes of a file, or of standard input for '-' (decoded later, strictly)."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise KhabarError(f"{path}: cannot open ({exc.strerror}); pass a readable UTF-8 text file or -") from None
