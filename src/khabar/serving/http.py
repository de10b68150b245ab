"""`khabar serve`: predictions over HTTP from one model directory.

`create_app` builds a FastAPI app around one loaded model; `serve` runs it with uvicorn. The
request body is read and validated here rather than by FastAPI's automatic body parsing, so that
every limit (size, content type, batch size, text length, task) gives one clear JSON error naming
the field, in the shape every other error has: `{"error": "..."}`. The schema still appears in the
OpenAPI docs at /docs. Concurrent requests share model calls through `batching.MicroBatcher`.
Which fields a request may use depends on the model's task; each item then passes the one input
rule (`examples.model_input`), and predictions have the shape of `predict.ranked`.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import asynccontextmanager
from typing import Optional, Union

import numpy as np

from ..errors import KhabarError
from ..examples import model_input, needs_pair

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, ValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise KhabarError(f"khabar serve needs FastAPI and uvicorn ({exc.name} is missing): pip install 'khabar[serve]'") from None

from ..models.base import Model, read_manifest, resolve_model_dir
from .batching import MicroBatcher
from .predict import load_for_prediction, ranked
from .settings import (
    DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_WAIT_MS, DEFAULT_MODEL_BATCH,
    DEFAULT_MODEL_WORKERS, check_limits,
)


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
    top_k: int = Field(3, ge=1, description="how many labels to list per item, best first")


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
    """A request the server refuses, with its HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _field_path(loc) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Reject(413, f"request body of {declared} bytes is over the limit of {limit} bytes; send smaller batches")
    chunks, size = [], 0
    async for chunk in request.stream():  # also bounds chunked bodies that declare no length
        size += len(chunk)
        if size > limit:
            raise _Reject(413, f"request body is over the limit of {limit} bytes; send smaller batches")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, content_type: str) -> PredictRequest:
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise _Reject(415, f"content type {media or '(none)'!r} is not supported; send JSON with Content-Type: application/json")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Reject(400, f"body is not valid UTF-8 JSON ({exc})")
    if not isinstance(data, dict):
        raise _Reject(422, "body: expected a JSON object such as {\"text\": \"...\"}")
    try:
        return PredictRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _Reject(422, f"{_field_path(first['loc'])}: {first['msg']}")


def _inputs(req: PredictRequest, task: str, max_batch: int, max_chars: int) -> list:
    """The model inputs a request asks for, or a 422 naming the offending field."""
    given = [name for name in ("text", "texts", "claim", "pairs") if getattr(req, name) is not None]
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
        for part, field in zip(parts, ("claim", "text") if isinstance(item, tuple) else ("",)):
            where = f"{name}.{field}" if name and field else (name or field)
            if len(part) > max_chars:
                raise _Reject(422, f"{where}: longer than {max_chars} characters")
        try:
            model_input(task, *parts, where=name or "body")
        except KhabarError as exc:
            raise _Reject(422, str(exc)) from None
    return [item for _, item in named]


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
) -> FastAPI:
    """A FastAPI app serving one model: POST /predict, GET /health, GET /model, docs at /docs.

    The model is loaded here, before any port is bound, so a bad directory fails at start.
    `max_batch` bounds the items in one request; `model_batch` the items the micro-batcher groups
    into one model call (a larger request still runs whole, alone).
    """
    check_limits(max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                 max_wait_ms=max_wait_ms, workers=model_workers, model_batch=model_batch)
    if isinstance(model_dir_or_model, Model):
        model, manifest = model_dir_or_model, model_dir_or_model.manifest()
        model.set_device(device)
    else:
        directory = resolve_model_dir(os.fspath(model_dir_or_model))
        model, manifest = load_for_prediction(directory, device), read_manifest(directory)
    labels = list(model.labels_)
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
        message = exc.detail if exc.status_code != 404 else f"no route {request.method} {request.url.path}; see /docs"
        return _error(exc.status_code, str(message))

    @app.exception_handler(Exception)
    async def server_error(request, exc):  # a bug, still answered as JSON (and logged by uvicorn)
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    @app.post("/predict", response_model=PredictResponse, responses={
        400: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
        415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": PredictRequest.model_json_schema()}}}})
    async def predict(request: Request):
        """Label one article or a batch: label, probability and the top-k labels per item."""
        try:
            req = _parse(await _read_body(request, max_body_bytes), request.headers.get("content-type", ""))
            inputs = _inputs(req, model.task, max_batch, max_text_chars)
            proba = await batcher.submit(inputs)
        except _Reject as exc:
            return _error(exc.status, exc.message)
        except KhabarError as exc:  # the model refused the input
            return _error(422, str(exc))
        return JSONResponse({"predictions": ranked(labels, np.asarray(proba), req.top_k)})

    @app.get("/health")
    async def health():
        """Liveness: the model is loaded and the server answers."""
        return {"status": "ok", "kind": manifest.get("kind"), "task": model.task}

    @app.get("/model")
    async def model_info():
        """The model's manifest: kind, task, labels, normalization, training parameters and metrics."""
        return manifest

    return app


def serve(model_dir: str, *, host: str = "127.0.0.1", port: int = 8000, max_batch: int = DEFAULT_MAX_BATCH,
          max_text_chars: int = DEFAULT_MAX_TEXT_CHARS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          micro_batching: bool = True, max_wait_ms: float = DEFAULT_MAX_WAIT_MS, device: str = "auto",
          threads: Optional[int] = None, log_level: str = "info", model_workers: int = DEFAULT_MODEL_WORKERS,
          model_batch: int = DEFAULT_MODEL_BATCH) -> None:
    """Load `model_dir` and serve it until interrupted. Binds to the loopback address by default:
    exposing a model to a network is a decision to make explicitly with `host`.

    `model_workers`: grouped model calls that may run at once (see `batching.MicroBatcher`).
    `threads`: torch threads per call for a transformer on the CPU; default the cores less one,
    shared among the workers, at least 1. The event loop needs a core of its own: torch's threads
    spin while they wait for each other, and when one of them loses its core to the event loop
    every operation stalls (measured on 2 cores: a batch of 32 articles took 6x longer with 2
    threads than with 1 under HTTP load).
    """
    try:
        import uvicorn
    except ImportError:
        raise KhabarError("khabar serve needs uvicorn: pip install 'khabar[serve]'") from None
    if threads is not None:
        check_limits(threads=threads)
    app = create_app(model_dir, max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                     micro_batching=micro_batching, max_wait_ms=max_wait_ms, device=device,
                     model_workers=model_workers, model_batch=model_batch)
    if "torch" in sys.modules:  # only a transformer model imported it
        spare = max(1, (os.cpu_count() or 1) - 1)
        sys.modules["torch"].set_num_threads(threads or max(1, spare // model_workers))
    uvicorn.run(app, host=host, port=port, log_level=log_level)
