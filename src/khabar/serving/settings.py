"""`khabar serve`'s defaults and their checks, apart from http.py so that the CLI can show them
without importing FastAPI (an optional extra).

Every name below is also the keyword of `serving.http.serve` (lower-cased, without `DEFAULT_`) and,
with dashes, the CLI flag: `DEFAULT_TIMEOUT_BODY` -> `serve(timeout_body=...)` -> `--timeout-body`.
"""

from __future__ import annotations

import math

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

# -- the queue view (serving/queue.py) ---------------------------------------------------------
# Articles ranked at a time: the next batch is ranked, with the labels given meanwhile, when one is
# used up; each ranking predicts the whole pool once.
DEFAULT_QUEUE_BATCH = 20
# Seconds an article handed to one editor is kept from the others (labelling or skipping it ends
# the lease sooner).
DEFAULT_QUEUE_LEASE = 300.0

# -- slow and greedy clients ------------------------------------------------------------------
# Seconds a client has to send a request's whole body once its headers are in; then 408 and the
# connection is closed. 16 MB (the body limit) in 30 s needs about 4.5 Mbit/s; a usual request is a
# few kilobytes.
DEFAULT_TIMEOUT_BODY = 30.0
# Seconds a client has to send a request's headers, counted from the connection (or from the first
# byte of a later request on a kept-alive connection); then the connection is closed (408 if part of
# a request had arrived). uvicorn itself has no such deadline: a client that connects and sends
# nothing, or half a header line, would hold its connection forever (see http_limits.HeadersDeadline).
DEFAULT_TIMEOUT_HEADERS = 10.0
# Seconds an idle kept-alive connection stays open between requests (uvicorn's timeout_keep_alive).
DEFAULT_TIMEOUT_KEEP_ALIVE = 5.0
# Connections and requests in flight at once (uvicorn's limit_concurrency); past it new requests get
# 503 at once instead of queueing. Each may hold up to max_body_bytes while its body is read.
DEFAULT_LIMIT_CONCURRENCY = 128
# Connections one client address may hold at once; past it (and when the server is full) its oldest
# idle connection is closed first (see http_limits.headers_deadline). Half the server: one slow
# client cannot starve the others, and 50 busy clients behind one address (a proxy) still fit.
DEFAULT_MAX_CLIENT_CONNECTIONS = 64
# Bytes of a request line and headers: past it, 431 and the connection is closed (uvicorn passes it
# to h11 as h11_max_incomplete_event_size; httptools has no limit of its own, so khabar counts).
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


def check_limits(**flags: float) -> None:
    """One line naming the flag for a value out of range: `max_wait_ms` may be 0, `timeout_*` may be
    any number of seconds above 0 (fractions too), the rest must be at least 1. NaN and infinity
    are refused everywhere."""
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise KhabarError(f"{flag} {value}: must be a finite number")
        if name == "max_wait_ms":
            if value < 0:
                raise KhabarError(f"{flag} {value}: must be 0 or more")
        elif name.startswith("timeout_"):
            if value <= 0:
                raise KhabarError(f"{flag} {value}: must be more than 0 seconds")
        elif value < 1:
            raise KhabarError(f"{flag} {value}: must be at least 1")
