"""`khabar serve`: predictions over HTTP from one model directory.

`create_app` builds a FastAPI app around one loaded model; `serve` runs it with uvicorn. The
request body is read and validated here rather than by FastAPI's automatic body parsing, so that
every limit (size, content type, batch size, text length, task) gives one clear JSON error naming
the field, in the shape every other error has: `{"error": "..."}`. The schema still appears in the
OpenAPI docs at /docs. Concurrent requests share model calls through `batching.MicroBatcher`.
Which fields a request may use depends on the model's task; each item then passes the one input
rule (`examples.model_input`), and predictions have the shape of `predict.ranked`.

Nothing a client sends gets a 5xx: every request is checked completely before the model sees it,
so a model error is a server bug (500, logged with its traceback) and never a reaction to input.

- 400: the body is not JSON: empty, not UTF-8 (a lone surrogate's bytes included), a syntax error,
  nested deeper than Python's parser goes, NaN/Infinity, a number beyond a double (1e400) or an
  integer of more than 20 digits. JSON has no NaN, and these numbers fit no field.
- 408: the body did not arrive within `timeout_body` seconds (the connection is then closed).
- 413: the body is over `max_body_bytes` (by its Content-Length, or while it streams).
- 415: a content type other than JSON (`application/json` or `application/*+json`), or a charset
  other than UTF-8.
- 422: valid JSON that is not a valid request: not an object, an unknown field, a field of the wrong
  type (strict: `top_k` must be a JSON integer, so `true`, `"3"` and `3.0` are refused; a `top_k`
  above the number of labels lists them all), `null` for an input field, the wrong fields for the
  model's task, a batch over `max_batch`, and any text that is over `max_text_chars`, holds a lone
  surrogate (`"\\ud800"`: not a character, cannot be encoded), is blank, or has nothing left to read
  after the model's own normalization (only zero-width or other invisible characters, only
  diacritics).
- 404/405: an unknown route or method.

A client that goes away in the middle of its body is logged as one line and answered nothing.
Slow clients are cut off by three deadlines (headers, body, idle keep-alive) and the number of
connections is capped; see `serve`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import sys
import unicodedata
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Callable, Optional, Union

import numpy as np

from ..errors import KhabarError
from ..examples import model_input, needs_pair
from ..normalize import NormalizeConfig

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response
    from pydantic import BaseModel, ConfigDict, Field, ValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import ClientDisconnect
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise KhabarError(f"khabar serve needs FastAPI and uvicorn ({exc.name} is missing): pip install 'khabar[serve]'") from None

from ..models.base import Model, read_manifest, resolve_model_dir
from .batching import MicroBatcher
from .predict import load_for_prediction, ranked
from .settings import (
    DEFAULT_LIMIT_CONCURRENCY, DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_WAIT_MS, DEFAULT_MODEL_BATCH, DEFAULT_MODEL_WORKERS, DEFAULT_TIMEOUT_BODY,
    DEFAULT_TIMEOUT_HEADERS, DEFAULT_TIMEOUT_KEEP_ALIVE, check_limits,
)

#: uvicorn's logger: its lines follow --log-level and look like the server's own.
log = logging.getLogger("uvicorn.error")

#: Digits of the longest JSON integer accepted (a signed 64-bit integer has at most 19).
MAX_INT_DIGITS = 20


class PredictRequest(BaseModel):
    """One article or a batch. Topic: `text` or `texts`. Stance: `claim` + `text`, or `pairs`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "فاز المنتخب الوطني بالمباراة النهائية"},
        {"texts": ["ارتفع مؤشر البورصة اليوم", "افتتح معرض الكتاب"], "top_k": 2},
        {"claim": "البنك المركزي يرفع الفائدة", "text": "قرر البنك المركزي إبقاء الفائدة دون تغيير"},
    ]})
    text: Optional[str] = Field(None, description="one article (topic), or the article for `claim` (stance)")
    texts: Optional[list[str]] = Field(None, description="a batch of articles (topic model)")
    claim: Optional[str] = Field(None, description="the claim the `text` is read against (stance model)")
    pairs: Optional[list[tuple[str, str]]] = Field(None, description="a batch of [claim, text] pairs (stance model)")
    top_k: int = Field(3, ge=1, strict=True, description="how many labels to list per item, best first: a JSON "
                                                          "integer of at least 1; more than there are labels lists them all")


INPUT_FIELDS = ("text", "texts", "claim", "pairs")
#: The fix named in a 422 about each field.
FIELD_FIX = {
    "text": "send a string", "claim": "send a string", "texts": "send an array of strings",
    "pairs": "send an array of [claim, text] pairs of strings", "top_k": "send a whole number of at least 1, such as 3",
}


class LabelScore(BaseModel):
    label: str
    probability: float


class Prediction(BaseModel):
    label: str
    probability: float
    top_k: list[LabelScore]


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="one per input item, in order")


class ErrorResponse(BaseModel):
    error: str


class _Reject(Exception):
    """A request the server refuses, with its HTTP status and a one-line reason. `close`: the body
    was not read to its end, so the connection cannot carry another request."""

    def __init__(self, status: int, message: str, close: bool = False):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


def _error(status: int, message: str, close: bool = False) -> JSONResponse:
    """`{"error": message}`: one line, and encodable whatever the client put in it (a lone
    surrogate echoed from a field name would make the JSON encoder fail)."""
    message = " ".join(message.split()).encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({"error": message}, status_code=status, headers={"connection": "close"} if close else None)


def _show(name: str, width: int = 40) -> str:
    """A client-chosen field name, safe to quote in a one-line message."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,%d}" % width, name):
        return name
    shown = json.dumps(name)
    return shown if len(shown) <= width else shown[:width] + '..."'


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number with a fraction or an exponent"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, (list, tuple)) else "an object"


def _field_path(loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


# -- reading and parsing the body --------------------------------------------------------------

def _check_content_type(content_type: str) -> None:
    media, *params = [part.strip().lower() for part in content_type.split(";")]
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise _Reject(415, f"content type {media or '(none)'!r} is not supported; "
                           "send JSON with Content-Type: application/json", close=True)
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise _Reject(415, f"charset {value.strip()!r} is not supported; send the JSON as UTF-8", close=True)


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, at most `limit` bytes (413) and within `timeout` seconds (408).
    Raises starlette's ClientDisconnect if the client goes away first."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _Reject(413, f"request body of {declared} bytes is over the limit of {limit} bytes; send smaller batches",
                      close=True)

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():  # also bounds chunked bodies that declare no length
            size += len(chunk)
            if size > limit:
                raise _Reject(413, f"request body is over the limit of {limit} bytes; send smaller batches", close=True)
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise _Reject(408, f"request body not received within {timeout:g} s; send the whole body at once",
                      close=True) from None


class _BadNumber(ValueError):
    pass


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(f"an integer of {len(digits.lstrip('-'))} digits is too large (at most {MAX_INT_DIGITS})")
    return int(digits)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _BadNumber(f"the number {literal[:30]} is out of range")
    return value


def _parse_constant(name: str):
    raise _BadNumber(f"{name} is not a JSON number")


def _parse_json(body: bytes):
    """The JSON value of a UTF-8 body (a leading byte-order mark is allowed), or a 400."""
    hint = "send a JSON object such as {\"text\": \"...\"}"
    try:
        text = body.decode("utf-8")  # strict: no surrogate bytes, unlike json.loads(bytes)
    except UnicodeDecodeError as exc:
        raise _Reject(400, f"body is not valid UTF-8 JSON: byte 0x{body[exc.start]:02x} at offset {exc.start} "
                           f"is not UTF-8; {hint} in UTF-8") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _Reject(400, f"body is empty; {hint}")
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise _Reject(400, f"body is not valid UTF-8 JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; {hint}") from None
    except _BadNumber as exc:
        raise _Reject(400, f"body is not valid UTF-8 JSON: {exc}; {hint}") from None
    except ValueError as exc:  # e.g. Python's own limit on integer digits
        raise _Reject(400, f"body is not valid UTF-8 JSON: {exc}; {hint}") from None
    except RecursionError:
        raise _Reject(400, "body is nested too deeply (arrays or objects inside each other); "
                           "a request needs at most 3 levels, e.g. {\"pairs\": [[claim, text]]}") from None


def _parse(body: bytes, max_batch: int) -> PredictRequest:
    """The request in `body`, or a 400 (not JSON) or 422 (not a request) naming the field."""
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise _Reject(422, f"body: expected a JSON object such as {{\"text\": \"...\"}}, got {_json_type(data)}")
    for key in data:
        if key not in PredictRequest.model_fields:
            raise _Reject(422, f"{_show(key)}: Extra inputs are not permitted; remove it "
                               f"(the fields are {', '.join(PredictRequest.model_fields)})")
    for key in INPUT_FIELDS:
        if key in data and data[key] is None:
            raise _Reject(422, f"{key}: null; {FIELD_FIX[key]}, or leave the field out")
    for key in ("texts", "pairs"):  # before validating a million items one by one
        if isinstance(data.get(key), list) and len(data[key]) > max_batch:
            raise _Reject(422, f"{key}: {len(data[key])} items, over the limit of {max_batch}; split the batch")
    try:
        return PredictRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        got = f" (got {_json_type(first['input'])})" if first["type"].endswith("_type") and "input" in first else ""
        fix = FIELD_FIX.get(str(loc[0]) if loc else "", "see /docs")
        raise _Reject(422, f"{_field_path(loc)}: {first['msg']}{got}; {fix}") from None


# -- checking every text -----------------------------------------------------------------------

@lru_cache(maxsize=None)
def _readable() -> re.Pattern:
    """Matches a character there is something to read in: anything but whitespace and the
    characters that show nothing by themselves: controls (Cc), format characters (Cf: zero-width
    space and joiners, bidi marks, soft hyphen, BOM), combining marks (Mn, Me: Arabic diacritics)
    and surrogates. Built once, from the Unicode database (planes 4 to 13 are unassigned)."""
    hidden = {"Cc", "Cf", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"}
    ranges = []
    for span in (range(0, 0x40000), range(0xE0000, 0x110000)):
        start = None
        for cp in span:
            char = chr(cp)
            if unicodedata.category(char) in hidden or char.isspace():
                start = cp if start is None else start
            elif start is not None:
                ranges.append((start, cp - 1))
                start = None
        if start is not None:
            ranges.append((start, span[-1]))
    members = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{members}]")


def _normalizer(model: Model, manifest: dict) -> Callable[[str], str]:
    """The model's own normalization (its NormalizeConfig, else the manifest's), or no change."""
    config = getattr(model, "normalize", None)
    if not isinstance(config, NormalizeConfig):
        spec = manifest.get("normalize")
        config = NormalizeConfig(**spec) if isinstance(spec, dict) and "preset" in spec else None
    return config.build() if config is not None else (lambda text: text)


def _check_text(where: str, what: str, text: str, normalize: Callable[[str], str]) -> None:
    """A 422 naming `where` unless `text` (already within the length limit and not blank, see
    `_inputs`) is something the model can read: valid Unicode with something left to read after
    the model's normalization."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Reject(422, f"{where}: character {exc.start + 1} is a lone surrogate (U+{ord(text[exc.start]):04X}), "
                           "which is not text; send valid Unicode") from None
    if not _readable().search(normalize(text)):
        raise _Reject(422, f"{where}: nothing to read in the {what} after the model's normalization (only spaces, "
                           "invisible characters such as U+200B, or diacritics); give the text to label")


def _inputs(req: PredictRequest, task: str, max_batch: int, max_chars: int,
            normalize: Callable[[str], str] = lambda text: text) -> list:
    """The model inputs a request asks for, or a 422 naming the offending field."""
    given = [name for name in INPUT_FIELDS if getattr(req, name) is not None]
    if needs_pair(task):
        if req.texts is not None or (req.text is not None and req.claim is None and req.pairs is None):
            raise _Reject(422, f"{'texts' if req.texts is not None else 'text'}: this is a stance model; "
                               "send {\"claim\": ..., \"text\": ...} or {\"pairs\": [[claim, text], ...]}")
        if req.pairs is not None and req.claim is None and req.text is None:
            named = [(f"pairs[{i}]", pair) for i, pair in enumerate(req.pairs)]
        elif req.claim is not None and req.text is not None and req.pairs is None:
            named = [("", (req.claim, req.text))]
        else:
            raise _Reject(422, f"got {', '.join(given) or 'no input field'}; send either claim and text, or pairs")
    else:
        if req.pairs is not None or req.claim is not None:
            raise _Reject(422, f"{'pairs' if req.pairs is not None else 'claim'}: this is a topic model; "
                               "send {\"text\": ...} or {\"texts\": [...]}")
        if len(given) != 1:
            raise _Reject(422, f"got {', '.join(given) or 'no input field'}; send either text or texts")
        named = [("text", req.text)] if req.text is not None else [(f"texts[{i}]", t) for i, t in enumerate(req.texts)]
    batch_field = "pairs" if req.pairs is not None else "texts"
    if not named:
        raise _Reject(422, f"{batch_field}: empty list; send at least one item")
    if len(named) > max_batch:
        raise _Reject(422, f"{batch_field}: {len(named)} items, over the limit of {max_batch}; split the batch")
    for name, item in named:
        parts = item if isinstance(item, tuple) else (item,)
        fields = [(f"{name}.{what}" if name else what, what) for what in ("claim", "text")] if isinstance(item, tuple) \
            else [(name, "text")]
        for (where, _), part in zip(fields, parts):
            if len(part) > max_chars:
                raise _Reject(422, f"{where}: longer than {max_chars} characters; shorten it or split the article")
        try:  # the one input rule: a string, not blank
            model_input(task, *parts, where=name or "body")
        except KhabarError as exc:
            raise _Reject(422, str(exc)) from None
        for (where, what), part in zip(fields, parts):
            _check_text(where, what, part, normalize)
    return [item for _, item in named]


# -- the app -----------------------------------------------------------------------------------

def create_app(
    model_dir_or_model: Union[str, os.PathLike, Model],
    *,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    micro_batching: bool = True,
    max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
    device: str = "auto",
    model_workers: int = DEFAULT_MODEL_WORKERS,
    model_batch: int = DEFAULT_MODEL_BATCH,
    timeout_body: float = DEFAULT_TIMEOUT_BODY,
) -> FastAPI:
    """A FastAPI app serving one model: POST /predict, GET /health, GET /model, docs at /docs.

    The model is loaded here, before any port is bound, so a bad directory fails at start.
    `max_batch` bounds the items in one request; `model_batch` the items the micro-batcher groups
    into one model call (a larger request still runs whole, alone). `timeout_body`: seconds to
    receive a request's body (408 after). Every request is validated in full before the model
    sees it (see the module docstring for the status of each case); texts are checked against
    the model's own normalization.
    """
    check_limits(max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                 max_wait_ms=max_wait_ms, workers=model_workers, model_batch=model_batch, timeout_body=timeout_body)
    if isinstance(model_dir_or_model, Model):
        model, manifest = model_dir_or_model, model_dir_or_model.manifest()
        model.set_device(device)
    else:
        directory = resolve_model_dir(os.fspath(model_dir_or_model))
        model, manifest = load_for_prediction(directory, device), read_manifest(directory)
    labels = list(model.labels_)
    normalize = _normalizer(model, manifest)
    _readable()  # built now rather than on the first request
    # Without micro-batching the same workers still run the calls, one request each: the model is
    # never called from dozens of threads at once, which on a small machine only adds contention.
    batcher = MicroBatcher(model.predict_proba, max_batch=model_batch if micro_batching else 1,
                           max_wait_ms=max_wait_ms if micro_batching else 0, workers=model_workers)

    @asynccontextmanager
    async def lifespan(app):
        yield
        await batcher.aclose()

    app = FastAPI(title="khabar", version=manifest.get("khabar_version", ""), lifespan=lifespan,
                  description=f"Arabic news {model.task} classification with a {manifest.get('kind')} model "
                              f"({len(labels)} labels: {', '.join(labels)}).")
    app.state.model, app.state.batcher = model, batcher

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):  # 404, 405 and friends, in the same JSON shape
        path = request.url.path if len(request.url.path) <= 100 else request.url.path[:100] + "..."
        message = exc.detail if exc.status_code != 404 else f"no route {request.method} {path}; see /docs"
        return _error(exc.status_code, str(message))

    @app.exception_handler(Exception)
    async def server_error(request, exc):  # a bug, still answered as JSON (and logged by uvicorn)
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    @app.post("/predict", response_model=PredictResponse, responses={
        400: {"model": ErrorResponse}, 408: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
        415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": PredictRequest.model_json_schema()}}}})
    async def predict(request: Request):
        """Label one article or a batch: label, probability and the top-k labels per item."""
        try:
            _check_content_type(request.headers.get("content-type", ""))
            req = _parse(await _read_body(request, max_body_bytes, timeout_body), max_batch)
            inputs = _inputs(req, model.task, max_batch, max_text_chars, normalize)
            proba = await batcher.submit(inputs)
        except _Reject as exc:
            return _error(exc.status, exc.message, exc.close)
        except ClientDisconnect:  # nobody to answer: one line, no traceback
            client = request.client
            log.warning("client %s went away before sending the whole request body; nothing answered",
                        f"{client.host}:{client.port}" if client else "(unknown)")
            return Response(status_code=400)  # never sent: the connection is gone
        except KhabarError as exc:  # the model refused the input
            return _error(422, str(exc))
        return JSONResponse({"predictions": ranked(labels, np.asarray(proba), min(req.top_k, len(labels)))})

    @app.get("/health")
    async def health():
        """Liveness: the model is loaded and the server answers."""
        return {"status": "ok", "kind": manifest.get("kind"), "task": model.task}

    @app.get("/model")
    async def model_info():
        """The model's manifest: kind, task, labels, normalization, training parameters and metrics."""
        return manifest

    return app


# -- the server --------------------------------------------------------------------------------

def _headers_deadline(base: type, timeout: float, max_bytes: int) -> type:
    """uvicorn's HTTP protocol class `base`, with the deadline for headers that uvicorn lacks.

    uvicorn (0.54) times out only idle kept-alive connections between requests: a client that
    connects and sends nothing, or sends half a header line and stops, holds its connection (and a
    slot of `limit_concurrency`) forever. Here each request's line and headers must arrive within
    `timeout` seconds, counted from the connection or from the first byte of a later request on the
    same connection, and hold at most `max_bytes` bytes (httptools has no bound of its own). Past
    either, the connection is closed: after a 408 or 431 in the usual JSON shape if part of a
    request had arrived, silently if nothing had. The request body has its own deadline, in the app.
    """

    class _HeadersDeadline(base):
        def connection_made(self, transport) -> None:
            self._headers_timer, self._headers_cycle, self._headers_bytes = None, None, 0
            super().connection_made(transport)
            self._arm_headers_deadline()

        def connection_lost(self, exc) -> None:
            self._cancel_headers_deadline()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting:
                self._arm_headers_deadline()
            before = self.cycle
            super().data_received(data)
            if self.cycle is not before:  # a request's headers are complete
                self._cancel_headers_deadline()
            elif waiting and self._headers_timer is not None:
                self._headers_bytes += len(data)
                if self._headers_bytes > max_bytes:
                    self._refuse(431, f"request line and headers over {max_bytes} bytes; send shorter headers")

        def _arm_headers_deadline(self) -> None:
            if self._headers_timer is None and not self.transport.is_closing():
                self._headers_cycle = self.cycle
                self._headers_timer = self.loop.call_later(timeout, self._headers_deadline_passed)

        def _cancel_headers_deadline(self) -> None:
            if self._headers_timer is not None:
                self._headers_timer.cancel()
            self._headers_timer, self._headers_bytes = None, 0

        def _headers_deadline_passed(self) -> None:
            self._headers_timer = None
            if self.cycle is not self._headers_cycle or self.transport.is_closing():
                return
            if self._headers_bytes:
                self._refuse(408, f"request headers not received within {timeout:g} s; send them at once")
            else:
                self.transport.close()

        def _refuse(self, status: int, message: str) -> None:
            self._cancel_headers_deadline()
            client = "%s:%d" % self.client if self.client else "(unknown)"
            log.warning("client %s: %s; connection closed", client, message)
            body = json.dumps({"error": message}).encode()
            reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
            self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                                 b"connection: close\r\n\r\n%s" % (status, reason, len(body), body))
            self.transport.close()

    _HeadersDeadline.__name__ = _HeadersDeadline.__qualname__ = f"HeadersDeadline{base.__name__}"
    return _HeadersDeadline


def serve(model_dir: str, *, host: str = "127.0.0.1", port: int = 8000, max_batch: int = DEFAULT_MAX_BATCH,
          max_text_chars: int = DEFAULT_MAX_TEXT_CHARS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          micro_batching: bool = True, max_wait_ms: float = DEFAULT_MAX_WAIT_MS, device: str = "auto",
          threads: Optional[int] = None, log_level: str = "info", model_workers: int = DEFAULT_MODEL_WORKERS,
          model_batch: int = DEFAULT_MODEL_BATCH, timeout_body: float = DEFAULT_TIMEOUT_BODY,
          timeout_headers: float = DEFAULT_TIMEOUT_HEADERS, timeout_keep_alive: float = DEFAULT_TIMEOUT_KEEP_ALIVE,
          limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> None:
    """Load `model_dir` and serve it until interrupted. Binds to the loopback address by default:
    exposing a model to a network is a decision to make explicitly with `host`. `port` 0 takes a
    free port (uvicorn's start-up line names it).

    `model_workers`: grouped model calls that may run at once (see `batching.MicroBatcher`).
    `threads`: torch threads per call for a transformer on the CPU; default the cores less one,
    shared among the workers, at least 1. The event loop needs a core of its own: torch's threads
    spin while they wait for each other, and when one of them loses its core to the event loop
    every operation stalls (measured on 2 cores: a batch of 32 articles took 6x longer with 2
    threads than with 1 under HTTP load).

    Slow or greedy clients (defaults in `settings`): `timeout_headers` seconds to send a request's
    line and headers, at most `max_header_bytes` of them (khabar's own deadline, see
    `_headers_deadline`: uvicorn has none); `timeout_body` seconds to send its body (408);
    `timeout_keep_alive` seconds an idle connection stays open between requests; at most
    `limit_concurrency` connections and requests at once, past which uvicorn answers 503 (the
    server is full; not a verdict on the request).
    """
    try:
        import uvicorn
        from uvicorn.protocols.http.auto import AutoHTTPProtocol
    except ImportError:
        raise KhabarError("khabar serve needs uvicorn: pip install 'khabar[serve]'") from None
    check_limits(timeout_headers=timeout_headers, timeout_keep_alive=timeout_keep_alive,
                 limit_concurrency=limit_concurrency, max_header_bytes=max_header_bytes)
    if threads is not None:
        check_limits(threads=threads)
    app = create_app(model_dir, max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                     micro_batching=micro_batching, max_wait_ms=max_wait_ms, device=device,
                     model_workers=model_workers, model_batch=model_batch, timeout_body=timeout_body)
    if "torch" in sys.modules:  # only a transformer model imported it
        spare = max(1, (os.cpu_count() or 1) - 1)
        sys.modules["torch"].set_num_threads(threads or max(1, spare // model_workers))
    uvicorn.run(app, host=host, port=port, log_level=log_level,
                http=_headers_deadline(AutoHTTPProtocol, timeout_headers, max_header_bytes),
                timeout_keep_alive=timeout_keep_alive, limit_concurrency=limit_concurrency,
                # h11's own bound (when httptools is missing) is a backstop behind khabar's, which answers in JSON
                h11_max_incomplete_event_size=2 * max_header_bytes)
