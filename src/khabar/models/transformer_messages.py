"""What a transformer run prints: khabar's own short lines, and nothing from transformers.

Why apart: loading, tokenizing and training all report progress, and all of it must come from
rank 0 only under torchrun and go to stderr, while transformers' own load reports and progress
bars stay silent.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from .. import distributed_training


def _say(message: str) -> None:
    if not distributed_training.is_main():
        return  # under torchrun only rank 0 reports progress
    print(f"khabar: {message}", file=sys.stderr, flush=True)


@contextmanager
def _quiet_transformers():
    """Silence transformers' load reports and progress bars; khabar prints its own short lines."""
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
