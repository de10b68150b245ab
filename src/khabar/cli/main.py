"""`khabar`: the parser built from one module per command, and the dispatch.

Every user mistake surfaces as one line `khabar: error: ...` with exit status 2: a `KhabarError`
from the library, or a flag argparse refuses (`Parser.error`). SIGTERM ends a command like Ctrl-C
does, so temporary files are removed either way.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from .. import __version__
from ..errors import KhabarError, write_failure
from . import card, compare, data, evaluate, explain, normalize, predict, serve, train, tune
from .parser import Parser

#: the command modules, in the order `khabar --help` lists them; each has add_parser(sub) and run(args)
COMMANDS = (train, tune, evaluate, predict, explain, serve, card, compare, normalize, data)

EXAMPLES = """\
commands, each with an example:
  train       khabar train configs/sample_topic_tfidf.yaml --set model.C=0.5
  evaluate    khabar evaluate experiments/sample_topic_tfidf/20261125-101500 --data other.jsonl --label-map sport=Sports
  predict     khabar predict experiments/sample_topic_tfidf/20261125-101500 --text "فاز المنتخب بالمباراة"
  explain     khabar explain experiments/sample_topic_tfidf --text "فاز المنتخب بالمباراة" --format text
  card        khabar card experiments/sample_topic_tfidf/20261125-101500
  compare     khabar compare experiments/
  tune        khabar tune configs/sanad_topic_tfidf_tune.yaml --trials 30 --final
  serve       khabar serve experiments/sample_topic_tfidf --port 8000
  normalize   khabar normalize --preset arabert article.txt
  data stats  khabar data stats configs/sample_topic_tfidf.yaml
options may come before, between or after a command's positional arguments.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="khabar",
        description="Classify Arabic news by topic and stance: normalize, train, evaluate, predict, compare.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"khabar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM (a scheduler, `docker stop`, torchrun stopping its workers) as an exception, so that
    every `finally` runs: temporary run folders and Trainer checkpoints are removed as on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


def _drop_stdout() -> None:
    """After standard output failed, send what is left in its buffer to /dev/null, so that the
    flush at exit does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
        if hasattr(signal, "SIGXFSZ"):  # over the file-size limit a write fails (EFBIG) instead of killing us
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        status = args.handler(args) or 0
        sys.stdout.flush()  # a full or closed standard output fails here, reported, not at exit
        return status
    except KhabarError as exc:
        print(f"khabar: error: {exc}", file=sys.stderr)
        return KhabarError.exit_status
    except OSError as exc:  # a write the user can fix (disk full, file-size limit, read-only, pipe closed)
        failure = write_failure(exc)
        if failure is None:
            raise
        print(f"khabar: error: {failure}", file=sys.stderr)
        _drop_stdout()
        return KhabarError.exit_status
    except KeyboardInterrupt:
        print("khabar: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("khabar: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
