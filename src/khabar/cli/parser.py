"""The argument parser every `khabar` command is built from, and the checked argument types.

Every flag argparse refuses is one line `khabar: error: ...` with exit status 2, like every other
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


def add_device_argument(p: argparse.ArgumentParser, what: str = "where a transformer runs") -> None:
    p.add_argument("--device", default="auto", choices=DEVICES, help=what)


def add_overrides_argument(p: argparse.ArgumentParser, example: str = "") -> None:
    """--set KEY=VALUE, repeatable: `train` and `tune` override a config value by its dotted key."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=f"override a config value by its dotted key (repeatable){example}")
