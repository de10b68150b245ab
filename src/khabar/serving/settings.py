"""`khabar serve`'s defaults and their checks, apart from serve.py so that the CLI can show them
without importing FastAPI (an optional extra)."""

from __future__ import annotations

from ..errors import KhabarError

DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_TEXT_CHARS = 100_000
# A full batch of the longest texts, in UTF-8 Arabic (2 bytes a letter) and JSON quoting, fits.
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_WAIT_MS = 5.0
DEFAULT_MODEL_WORKERS = 2
# Items per grouped model call. Smaller than a request may be: with two workers, 32 clients' requests
# then form two batches that alternate (one computes while the other gathers) instead of one wave
# that leaves a worker idle (bench/serve_load.py, 2 cores, tiny BERT: 16 beat 64).
DEFAULT_MODEL_BATCH = 16


def check_limits(**flags: float) -> None:
    """One line naming the flag for a value out of range: `max_wait_ms` may be 0, the rest >= 1."""
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if name == "max_wait_ms":
            if value < 0:
                raise KhabarError(f"{flag} {value}: must be 0 or more")
        elif value < 1:
            raise KhabarError(f"{flag} {value}: must be at least 1")
