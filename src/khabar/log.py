"""khabar's one voice: notices, stage lines and progress bars on stderr, through `logging`, and
silence from the libraries it drives.

Why one module: training, loading data, tokenizing and serving all report what they do, and all of
it must look the same (`khabar: ...`, or `[  12.3s] ...` for the stages of a run), go to stderr so
that stdout stays machine-readable (predictions, tables), come from rank 0 alone under torchrun,
and never be drowned by transformers' or datasets' own progress bars and load reports.

The ecosystem way (as transformers and datasets do it): every message is a record of the
`khabar` logger, which has its own stderr handler and, in a library call, shows warnings only, so
`khabar.train(...)` in a notebook prints nothing unless asked (`set_verbosity("INFO")`,
$KHABAR_VERBOSITY, or the standard `logging` configuration). The `khabar` command shows notices
(-q / -v set the level, `cli.main.messages_at`). Progress bars (`progress_bar`, tqdm) follow the same switch and appear only when stderr
is a terminal.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import ExitStack, contextmanager
from typing import Iterable, Optional

from . import torchrun

LOGGER = logging.getLogger("khabar")
MUTED = [0]  # > 0 inside `muted()`: notices and progress lines are dropped (every thread)


class _StderrHandler(logging.StreamHandler):
    """A handler that writes to whatever `sys.stderr` is when a record is emitted (a test's
    capture, a redirected stream), not the one of import time."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


class _Formatter(logging.Formatter):
    """`[  12.3s] message` for a stage line (a record with `elapsed`), else `khabar: message`."""

    def format(self, record: logging.LogRecord) -> str:
        elapsed = getattr(record, "elapsed", None)
        message = record.getMessage()
        return f"[{elapsed:7.1f}s] {message}" if elapsed is not None else f"khabar: {message}"


def default_level() -> str:
    """$KHABAR_VERBOSITY (DEBUG, INFO, WARNING, ...: what the command's -v / -q set, or a
    notebook's choice), else WARNING: a library call shows warnings only."""
    level = os.environ.get("KHABAR_VERBOSITY", "").strip().upper()
    return level if isinstance(logging.getLevelName(level), int) else "WARNING"


def set_verbosity(level) -> None:
    """The `khabar` logger's level (a number or a name): INFO shows notices and stage lines (the
    CLI's default), DEBUG more, WARNING only warnings (the library default and `khabar -q`)."""
    LOGGER.setLevel(level)


if not any(isinstance(h, _StderrHandler) for h in LOGGER.handlers):
    _handler = _StderrHandler()
    _handler.setFormatter(_Formatter())
    LOGGER.addHandler(_handler)
    LOGGER.propagate = False  # one line per message, whatever the root logger does
    if LOGGER.level == logging.NOTSET:
        set_verbosity(default_level())


def _speaks(level: int = logging.INFO) -> bool:
    return torchrun.is_main() and not MUTED[0] and LOGGER.isEnabledFor(level)


def say(message: str, level: int = logging.INFO) -> None:
    """One notice line on stderr: `khabar: message` (rank 0 only under torchrun)."""
    if _speaks(level):
        LOGGER.log(level, message)


def warn(message: str) -> None:
    """A notice that shows even in a library call: something the user should act on."""
    say(message, logging.WARNING)


@contextmanager
def muted():
    """No notices or progress lines inside the block, in any thread: for work repeated many times
    (a hyperparameter search fits dozens of models) whose caller reports a summary instead."""
    MUTED[0] += 1
    try:
        yield
    finally:
        MUTED[0] -= 1


def bars_on() -> bool:
    """Whether progress bars show: notices are on, this is rank 0, and stderr is a terminal."""
    stream = sys.stderr
    return _speaks() and bool(getattr(stream, "isatty", lambda: False)())


def progress_bar(iterable: Optional[Iterable], total: Optional[int] = None, desc: Optional[str] = None,
                 unit: str = "it"):
    """The one way khabar shows progress through a long loop: `iterable` with a tqdm bar on stderr
    when `bars_on()`, else `iterable` itself (tqdm is then not even imported). With no iterable, a
    bar for work counted in steps (`with progress_bar(None, total, desc) as bar: bar.update(k)`),
    disabled when bars are off."""
    if iterable is not None and not bars_on():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True,
                disable=not bars_on())


class Progress:
    """The stages of one run, each a line with the seconds since the run started (rank 0 only).
    A given `stream` is written to directly (whatever the logger's level)."""

    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream

    def __call__(self, message: str) -> None:
        elapsed = time.perf_counter() - self.start
        if self.stream is not None:
            if torchrun.is_main() and not MUTED[0]:
                print(f"[{elapsed:7.1f}s] {message}", file=self.stream, flush=True)
        elif _speaks():
            LOGGER.info(message, extra={"elapsed": elapsed})


@contextmanager
def quiet_libraries(*names: str):
    """No progress bars or log lines from transformers and datasets inside the block; restored after.

    datasets' "Failed to read" log repeats khabar's own error; transformers' load reports list
    every re-initialised weight. `names` ("datasets", "transformers") are imported first; any
    other of the two is silenced only if already imported, so a TF-IDF run never imports torch here.
    """
    import importlib

    for name in names:
        importlib.import_module(name)
    with ExitStack() as stack:
        if "transformers" in sys.modules:
            stack.enter_context(_quiet_transformers())
        if "datasets" in sys.modules:
            stack.enter_context(_quiet_datasets())
        yield


@contextmanager
def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


@contextmanager
def _quiet_datasets():
    import datasets

    was_disabled = datasets.are_progress_bars_disabled()
    level = datasets.logging.get_verbosity()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()
        datasets.logging.set_verbosity(level)
