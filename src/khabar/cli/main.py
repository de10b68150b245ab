"""`khabar`: the parser built from one module per command, and the dispatch.

Every user mistake surfaces as one line `khabar: error: ...` with exit status 2: a `KhabarError`
from the library, or a flag argparse refuses (`Parser.error`). SIGTERM ends a command like Ctrl-C
does, so temporary files are removed either way.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from contextlib import contextmanager

from .. import __version__
from ..errors import KhabarError, write_failure
from .parser import Parser

#: the environment variable that carries -v / -q to `khabar.log`
VERBOSITY = "KHABAR_VERBOSITY"

#: the command modules of this package, in the order `khabar --help` lists them; each has
#: add_parser(sub) and run(args). Imported only when needed: a command line that names one
#: command imports that module alone (`khabar normalize` loads none of predict's writers).
COMMANDS = ("train", "tune", "evaluate", "predict", "explain", "serve", "card", "compare", "runs", "normalize",
            "data", "suggest", "feedback")

EXAMPLES = """\
commands, each with an example:
  train       khabar train configs/sample_topic_tfidf.yaml --set model.C=0.5
  evaluate    khabar evaluate experiments/sample_topic_tfidf/20261125-101500 --data other.jsonl --label-map sport=Sports
  predict     khabar predict experiments/sample_topic_tfidf/20261125-101500 --text "فاز المنتخب بالمباراة"
  explain     khabar explain experiments/sample_topic_tfidf --text "فاز المنتخب بالمباراة" --format text
  card        khabar card experiments/sample_topic_tfidf/20261125-101500
  compare     khabar compare experiments/
  runs list   khabar runs list experiments/
  tune        khabar tune configs/sanad_topic_tfidf_tune.yaml --trials 30 --final
  serve       khabar serve experiments/sample_topic_tfidf --port 8000
  normalize   khabar normalize --preset arabert article.txt
  data stats  khabar data stats configs/sample_topic_tfidf.yaml
  feedback    khabar feedback export store.sqlite -o labels.jsonl
  suggest     khabar suggest experiments/sanad_topic_tfidf our_articles.jsonl -k 50 --exclude labelled.jsonl -o next.jsonl
options may come before, between or after a command's positional arguments.
"""


def command_module(name: str):
    """The module of command `name` (`khabar.cli.<name>`)."""
    return importlib.import_module(f".{name}", __package__)


def named_command(argv: list[str]) -> str | None:
    """The command `argv` names: its first word that is not an option (the top parser's options,
    -v, -q, --version and --help, take no value), when it is one of COMMANDS."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return first if first in COMMANDS else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with `only` of that command alone (what `main` builds
    when the command line names one: the same parser for it, without importing the others)."""
    parser = Parser(
        prog="khabar",
        description="Classify Arabic news by topic and stance: normalize, train, evaluate, predict, compare.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"khabar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            command_module(name).add_parser(sub)
    return parser


def verbosity(args) -> str:
    """The level -v / -q ask for (a `logging` level name): INFO by default."""
    if getattr(args, "quiet", False):
        return "WARNING"
    return "DEBUG" if getattr(args, "verbose", False) else "INFO"


@contextmanager
def messages_at(level: str):
    """khabar's messages at `level` inside the block, restored after. Through the environment
    (`KHABAR_VERBOSITY`, read by `khabar.log` when it is imported, and inherited by torchrun's
    workers), so a command that never speaks does not import `logging` at all."""
    previous = os.environ.get(VERBOSITY)
    os.environ[VERBOSITY] = level
    log = sys.modules.get("khabar.log")
    before = log.LOGGER.level if log else None
    if log:
        log.set_verbosity(level)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(VERBOSITY, None)
        else:
            os.environ[VERBOSITY] = previous
        log = sys.modules.get("khabar.log")
        if log:
            log.set_verbosity(before if before is not None else log.default_level())


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
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(named_command(argv))
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
        with messages_at(verbosity(args)):
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
