"""khabar's one voice: progress and notices on stderr, and silence from the libraries it drives.

Why one module: training, loading data, tokenizing and serving all report what they do, and all of
it must look the same (`khabar: ...`, or `[  12.3s] ...` for the stages of a run), go to stderr so
that stdout stays machine-readable (predictions, tables), come from rank 0 alone under torchrun,
and never be drowned by transformers' or datasets' own progress bars and load reports.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack, contextmanager

from . import torchrun


MUTED = [0]  # > 0 inside `muted()`: notices and progress lines are dropped (every thread)


def say(message: str) -> None:
    """One notice line on stderr: `khabar: message` (rank 0 only under torchrun)."""
    if torchrun.is_main() and not MUTED[0]:
        print(f"khabar: {message}", file=sys.stderr, flush=True)


@contextmanager
def muted():
    """No notices or progress lines inside the block, in any thread: for work repeated many times
    (a hyperparameter search fits dozens of models) whose caller reports a summary instead."""
    MUTED[0] += 1
    try:
        yield
    finally:
        MUTED[0] -= 1


class Progress:
    """The stages of one run, each a line with the seconds since the run started (rank 0 only)."""

    def __init__(self, stream=None):
        self.start = time.perf_counter()
        self.stream = stream

    def __call__(self, message: str) -> None:
        if torchrun.is_main() and not MUTED[0]:
            print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", file=self.stream or sys.stderr, flush=True)


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


def progress_bar(total: int, what: str):
    """A tqdm bar on stderr for long work counted in steps (`bar.update(k)`): shown only when stderr
    is a terminal (never in logs, pipes or tests) and not inside `muted()`, and on rank 0 only."""
    from tqdm import tqdm

    hidden = MUTED[0] > 0 or not torchrun.is_main() or not sys.stderr.isatty()
    return tqdm(total=total, desc=f"khabar: {what}", unit="", disable=hidden, file=sys.stderr, leave=False)
