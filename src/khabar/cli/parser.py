"""The argument parser every `khabar` command is built from, and the checked argument types.

Every parser takes -v / -q (the level of khabar's messages, `khabar.log`). Every flag argparse refuses is one line `khabar: error: ...` with exit status 2, like every other
khabar error. Options are accepted anywhere on the line, before, between and after the
positionals (`khabar predict RUN --top-k 2 FILE`): a command's parser reads its arguments with
argparse's intermixed parsing. Every numeric flag is checked where it is declared, by
`whole(...)` or `number(...)`.
"""

from __future__ import annotations

import argparse
import math

DEVICES = ("auto", "cpu", "cuda")


class Parser(argparse.ArgumentParser):
    """argparse with one-line refusals, reading options and positionals in any order.

    A command (a parser without sub-commands) parses with `parse_known_intermixed_args`, which
    itself calls `parse_known_args`: the flag `_intermixing` tells that inner call to parse plainly.
    """

    _intermixing = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_verbosity(self)  # every parser, the top one and each command's: -v/-q anywhere on the line

    def error(self, message: str):
        self.exit(2, f"khabar: error: {self.prog}: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        if self._subparsers is not None or self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def bounded(cast, noun: str, low, high=None):
    """An argparse type: a finite `cast` value (int or float) in [low, high]. Without `high`, the
    bound of every config number (`schema.MAX_INT`, `schema.MAX_FLOAT`): larger values overflow
    numpy, scikit-learn or the clock calls later, with a traceback."""
    from ..schema import MAX_FLOAT, MAX_INT

    if high is None:
        high = MAX_INT if cast is int else MAX_FLOAT

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = noun
    return parse


def whole(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high]."""
    return bounded(int, "a whole number", low, high)


def number(low: float, high: float | None = None):
    """An argparse type: a finite number in [low, high]."""
    return bounded(float, "a number", low, high)


def add_verbosity(p: argparse.ArgumentParser) -> None:
    """-v / -q: the level of khabar's messages on stderr (`khabar.log`); standard output is the
    same either way. SUPPRESS: a command's parser does not reset what the top parser read."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="more messages on stderr (debug level)")
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="only warnings and errors on stderr: no notices, stage lines or progress bars")


def add_device_argument(p: argparse.ArgumentParser, what: str = "where a transformer runs") -> None:
    p.add_argument("--device", default="auto", choices=DEVICES, help=what)


def add_tracking_argument(p: argparse.ArgumentParser, default: str = "wins over the config's tracking.uri") -> None:
    """--tracking-uri URI: `train`, `tune` and `evaluate` log to MLflow (`runs.tracking`)."""
    p.add_argument("--tracking-uri", default=None, metavar="URI",
                   help="log to MLflow (params, metrics, artifacts): sqlite:///mlruns.db for a local store, or a "
                        f"server's http://host:5000; {default} (pip install 'khabar[tracking]')")


def overrides_with_tracking(args) -> list[str]:
    """The --set overrides, with --tracking-uri as the last one (so it wins over the config)."""
    import json

    return args.overrides + ([f"tracking.uri={json.dumps(args.tracking_uri)}"] if args.tracking_uri else [])


def add_overrides_argument(p: argparse.ArgumentParser, example: str = "") -> None:
    """--set KEY=VALUE, repeatable: `train` and `tune` override a config value by its dotted key."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=f"override a config value by its dotted key (repeatable){example}")
