"""`khabar serve`: predictions over HTTP from one model directory.

`create_app` builds a FastAPI app around one loaded model; `serve` runs it with uvicorn. The
request body is read and validated here rather than by FastAPI's automatic body parsing, so that
every limit (size, content type, batch size, text length, task) gives one clear JSON error naming
the field, in the shape every other error has: `{"error": "..."}`. The schema still appears in the
OpenAPI docs at /docs. Concurrent requests share model calls through `batching.MicroBatcher`.
Which fields a request may use depends on the model's task; each item then passes the one input
rule (`examples.model_input`), and predictions have the shape of `predict.ranked` (of
`predict.label_sets` for a multi-label model: every label it decides, with its probability).

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
- 404/405: an unknown route or method (and `GET /card` of a model without a card).

With `feedback`, POST /feedback stores editors' corrections (serving/feedback.py); with `queue`
too, the page's queue view serves articles to label (GET /queue/next, POST /queue/label and
/queue/skip: serving/queue.py).

Besides `POST /predict`: `GET /` serves a page to try the model (static HTML, CSS and JavaScript
from `serving/page/`, under a Content-Security-Policy that allows only the server's own scripts and
connections); `GET /health`, `GET /model` (the manifest) and `GET /card` (the model directory's
README.md, a Hugging Face model card, as text/markdown).

A request may ask for less trust in a prediction: `labels` restricts it to a subset of the model's
labels (renormalized over them, `predict.restrict_proba`), `min_confidence` makes it abstain below
that top probability (default: the server's, else the model's stored threshold); and for more
insight: `"explain": true` adds to each prediction the `explanation` of the label it ranks first
(of every label it decides, for a multi-label model; `Model.explain`: evidence words with character
offsets into the request's own text). Explanations run one request at a time on a thread of their
own, at most `max_explain` items per request. A multi-label model takes neither `labels` nor
`min_confidence` (422: each of its labels has its own threshold, shown under `multi_label` in
`GET /model`).

A client that goes away in the middle of its body is logged as one line and answered nothing.
Slow clients are cut off by three deadlines (headers, body, idle keep-alive) and the number of
connections is capped; see `serve`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Optional, Union

import numpy as np

from ..errors import KhabarError
from ..examples import model_input, needs_pair
from ..normalize import NormalizeConfig

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import ClientDisconnect
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise KhabarError(f"khabar serve needs FastAPI and uvicorn ({exc.name} is missing): pip install 'khabar[serve]'") from None

from ..models.base import Model, model_version
from ..runs.choose import resolve_model_dir
from ..models.manifest import Manifest, read_manifest
from ..models.predict import DIGITS, check_labels, check_request, rows
from ..models.scheme import check_probability, record_targets
from .batching import MicroBatcher
from .http_body import Reject, check_content_type, read_body
from .http_limits import headers_deadline
from .http_schema import INPUT_FIELDS, ErrorResponse, PredictRequest, PredictResponse, parse_request, show_name
from .explain import explain_inputs
from .predict import load_for_prediction
from .queue import LabelQueue, add_queue_routes, read_queue_pool
from .settings import (
    DEFAULT_LIMIT_CONCURRENCY, DEFAULT_MAX_BATCH, DEFAULT_MAX_CLIENT_CONNECTIONS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_WAIT_MS, DEFAULT_MODEL_BATCH, DEFAULT_MODEL_WORKERS, DEFAULT_QUEUE_BATCH,
    DEFAULT_QUEUE_LEASE, DEFAULT_TIMEOUT_BODY, DEFAULT_TIMEOUT_HEADERS, DEFAULT_TIMEOUT_KEEP_ALIVE, check_limits,
)

#: uvicorn's logger: its lines follow --log-level and look like the server's own.
log = logging.getLogger("uvicorn.error")

#: Items one `"explain": true` request may hold (an explanation costs up to a minute per article
#: with a BERT-base on a CPU; see models/transformer/explain.py).
DEFAULT_MAX_EXPLAIN = 16
#: Words listed on each side (toward, against) of an explanation over HTTP.
EXPLAIN_WORDS = 10
#: The model card in a model directory, served at /card.
CARD = "README.md"
#: The page's files (serving/page/) and the media type each is served with.
PAGE_FILES = {"index.html": "text/html; charset=utf-8", "page.js": "text/javascript; charset=utf-8",
              "page.css": "text/css; charset=utf-8"}
#: Headers of every page file: only the server's own scripts, styles and connections; no framing.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-cache",
}


def _error(status: int, message: str, close: bool = False) -> JSONResponse:
    """`{"error": message}`: one line, and encodable whatever the client put in it (a lone
    surrogate echoed from a field name would make the JSON encoder fail)."""
    message = " ".join(message.split()).encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({"error": message}, status_code=status, headers={"connection": "close"} if close else None)


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


def _normalizer(model: Model, manifest: Manifest) -> Callable[[str], str]:
    """The model's own normalization (its NormalizeConfig, else the manifest's), or no change."""
    config = getattr(model, "normalize", None)
    if not isinstance(config, NormalizeConfig):
        spec = manifest.normalize
        config = NormalizeConfig(**spec) if isinstance(spec, dict) and "preset" in spec else None
    return config.build() if config is not None else (lambda text: text)


def _check_unicode(where: str, text) -> None:
    """A 422 naming `where` when a string holds a lone surrogate (JSON allows "\\ud800"): not text."""
    if not isinstance(text, str):
        return  # model_input names it
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Reject(422, f"{where}: character {exc.start + 1} is a lone surrogate (U+{ord(text[exc.start]):04X}), "
                           "which is not text; send valid Unicode") from None


def _check_text(where: str, what: str, text: str, normalize: Callable[[str], str]) -> None:
    """A 422 naming `where` unless `text` (valid Unicode with a letter, within the length limit,
    see `_inputs`) has something left to read after the model's normalization."""
    if not _readable().search(normalize(text)):
        raise Reject(422, f"{where}: nothing to read in the {what} after the model's normalization (only spaces, "
                           "invisible characters such as U+200B, or diacritics); give the text to label")


def _inputs(req: PredictRequest, task: str, max_batch: int, max_chars: int,
            normalize: Callable[[str], str] = lambda text: text) -> list:
    """The model inputs a request asks for, or a 422 naming the offending field."""
    given = [name for name in INPUT_FIELDS if getattr(req, name) is not None]
    if needs_pair(task):
        if req.texts is not None or (req.text is not None and req.claim is None and req.pairs is None):
            raise Reject(422, f"{'texts' if req.texts is not None else 'text'}: this is a stance model; "
                               "send {\"claim\": ..., \"text\": ...} or {\"pairs\": [[claim, text], ...]}")
        if req.pairs is not None and req.claim is None and req.text is None:
            named = [(f"pairs[{i}]", pair) for i, pair in enumerate(req.pairs)]
        elif req.claim is not None and req.text is not None and req.pairs is None:
            named = [("", (req.claim, req.text))]
        else:
            raise Reject(422, f"got {', '.join(given) or 'no input field'}; send either claim and text, or pairs")
    else:
        if req.pairs is not None or req.claim is not None:
            raise Reject(422, f"{'pairs' if req.pairs is not None else 'claim'}: this is a topic model; "
                               "send {\"text\": ...} or {\"texts\": [...]}")
        if len(given) != 1:
            raise Reject(422, f"got {', '.join(given) or 'no input field'}; send either text or texts")
        named = [("text", req.text)] if req.text is not None else [(f"texts[{i}]", t) for i, t in enumerate(req.texts)]
    batch_field = "pairs" if req.pairs is not None else "texts"
    if not named:
        raise Reject(422, f"{batch_field}: empty list; send at least one item")
    if len(named) > max_batch:
        raise Reject(422, f"{batch_field}: {len(named)} items, over the limit of {max_batch}; split the batch")
    for name, item in named:
        parts = item if isinstance(item, tuple) else (item,)
        fields = [(f"{name}.{what}" if name else what, what) for what in ("claim", "text")] if isinstance(item, tuple) \
            else [(name, "text")]
        for (where, _), part in zip(fields, parts):
            if len(part) > max_chars:
                raise Reject(422, f"{where}: longer than {max_chars} characters; shorten it or split the article")
        for (where, _), part in zip(fields, parts):
            _check_unicode(where, part)
        try:  # the one input rule: a string with something to read
            model_input(task, *parts, where=name or "body", part_where=tuple(where for where, _ in fields))
        except KhabarError as exc:
            raise Reject(422, str(exc)) from None
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
    min_confidence: Optional[float] = None,
    labels: Optional[list[str]] = None,
    max_explain: int = DEFAULT_MAX_EXPLAIN,
    feedback: Optional[str] = None,
    queue: Optional[str] = None,
    queue_labels: Optional[list[str]] = None,
    queue_strategy: str = "auto",
    queue_batch: Optional[int] = None,
    queue_lease: Optional[float] = None,
) -> FastAPI:
    """A FastAPI app serving one model: POST /predict, GET /health, GET /model, GET /card, the page
    at GET /, docs at /docs.

    The model is loaded here, before any port is bound, so a bad directory fails at start.
    `max_batch` bounds the items in one request; `model_batch` the items the micro-batcher groups
    into one model call (a larger request still runs whole, alone). `timeout_body`: seconds to
    receive a request's body (408 after). Every request is validated in full before the model
    sees it (see the module docstring), texts against the model's own normalization. `min_confidence`: the abstain threshold of requests that name
    none (None: the model's stored threshold, if any); `labels`: the label subset of requests
    that name none (None: all); `max_explain`: items one `"explain": true` request may hold.
    `feedback`: a SQLite file where POST /feedback stores editors' corrections (see serving/feedback.py).
    `queue`: a file or folder of articles (any input format) the page's queue view serves to label,
    next most useful first, into the `feedback` store (see serving/queue.py): with the choices
    `queue_labels` (default: the model's labels), ranked by `queue_strategy` (a `khabar suggest`
    strategy), `queue_batch` at a time, each article reserved `queue_lease` seconds for its editor.
    """
    check_limits(max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                 max_wait_ms=max_wait_ms, workers=model_workers, model_batch=model_batch, timeout_body=timeout_body)
    if isinstance(max_explain, bool) or not isinstance(max_explain, int) or max_explain < 0:
        raise KhabarError(f"max_explain {max_explain!r}: must be a whole number of at least 0 (0: no explanations)")
    check_probability(min_confidence, "--min-confidence")
    model, manifest, card_path = _load(model_dir_or_model, device)
    check_request(model, min_confidence, labels)  # a server default it cannot honour: at start
    # the queue's pool and settings are checked before the store is created: a bad one leaves no file
    pool = read_queue_pool(queue, model, feedback, queue_labels, queue_strategy, queue_batch, queue_lease)
    store = _open_feedback_store(feedback)  # a bad path fails at start, before a port is bound
    version = model_version(os.path.dirname(card_path)) if card_path else manifest.data_fingerprint or "in memory"
    label_queue = None
    if pool is not None:
        label_queue = LabelQueue(model, pool, store, list(model.labels_) if queue_labels is None else queue_labels,
                                 version, queue_strategy, DEFAULT_QUEUE_BATCH if queue_batch is None else queue_batch,
                                 DEFAULT_QUEUE_LEASE if queue_lease is None else queue_lease)
    _readable()  # built now rather than on the first request
    # Without micro-batching the same workers still run the calls, one request each: the model is
    # never called from dozens of threads at once, which on a small machine only adds contention.
    batcher = MicroBatcher(model.predict_proba, max_batch=model_batch if micro_batching else 1,
                           max_wait_ms=max_wait_ms if micro_batching else 0, workers=model_workers)
    server = _Server(model, batcher, _normalizer(model, manifest), max_batch, max_text_chars, max_body_bytes,
                     timeout_body, max_explain, _explain_refusal(model, max_explain), check_labels(model, labels),
                     model.scheme.threshold(min_confidence))

    app = FastAPI(title="khabar", version=manifest.khabar_version, lifespan=_closing_on_shutdown(server),
                  description=f"Arabic news {model.task} classification with a {manifest.kind} model "
                              f"({len(model.labels_)} labels: {', '.join(model.labels_)}).")
    app.state.model, app.state.batcher = model, batcher
    _add_error_handlers(app)
    _add_predict_route(app, server)
    _add_info_routes(app, model, manifest, _read_card(card_path), feedback=store is not None,
                     queue=None if label_queue is None else {"labels": label_queue.labels, "pool": len(label_queue.pool)})
    if store is not None:
        _add_feedback_route(app, store, model, version, max_text_chars, max_body_bytes, timeout_body)
    if label_queue is not None:
        add_queue_routes(app, label_queue, lambda request: read_body(request, max_body_bytes, timeout_body), _error)
    return app


def _closing_on_shutdown(server: "_Server"):
    """The app's lifespan: nothing at start (the model is loaded before the app exists), the
    server's batcher and worker pool closed at shutdown."""
    @asynccontextmanager
    async def lifespan(app):
        yield
        await server.close()

    return lifespan


def _open_feedback_store(feedback: Optional[str]):
    """The store of editors' corrections at the SQLite file `feedback`, or None without one.
    Imported only when asked for, so a server without feedback never loads it."""
    if feedback is None:
        return None
    from .feedback_store import FeedbackStore

    return FeedbackStore(feedback)


def _add_predict_route(app: FastAPI, server: "_Server") -> None:
    """POST /predict, documented with its error answers and the request schema (the handler reads
    the body itself, to bound its size and time, so FastAPI cannot infer the schema)."""
    app.post("/predict", response_model=PredictResponse, responses={
        400: {"model": ErrorResponse}, 408: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
        415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": PredictRequest.model_json_schema()}}}})(server.predict)


def _add_feedback_route(app: FastAPI, store, model: Model, version: str,
                        max_text_chars: int, max_body_bytes: int, timeout_body: float) -> None:
    """POST /feedback into `store`, each correction tagged with the version of the model served
    (its directory's, else its data fingerprint), bodies read under the same bounds as /predict."""
    from .feedback import add_feedback_route

    add_feedback_route(app, store, model.task, list(model.labels_), version, max_text_chars,
                       lambda request: read_body(request, max_body_bytes, timeout_body), _error)


def _load(model_dir_or_model: Union[str, os.PathLike, Model], device: str) -> tuple[Model, Manifest, Optional[str]]:
    """The model on `device`, its manifest and the path of its card (None for a model given in memory)."""
    if isinstance(model_dir_or_model, Model):
        model_dir_or_model.set_device(device)
        return model_dir_or_model, model_dir_or_model.manifest(), None
    directory = resolve_model_dir(os.fspath(model_dir_or_model))
    return load_for_prediction(directory, device), read_manifest(directory), os.path.join(directory, CARD)


@dataclass
class _Server:
    """What POST /predict needs: the model, its micro-batcher, the request limits, the server's
    defaults (label subset and abstain threshold) and the one explanation thread (made on first
    use, again after a restart)."""

    model: Model
    batcher: MicroBatcher
    normalize: Callable[[str], str]
    max_batch: int
    max_text_chars: int
    max_body_bytes: int
    timeout_body: float
    max_explain: int
    explain_refusal: Optional[str]
    default_labels: Optional[list[str]]
    default_threshold: Optional[float]
    pool: Optional[ThreadPoolExecutor] = None

    async def close(self) -> None:
        await self.batcher.aclose()
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def predict(self, request: Request):
        """Label one article or a batch: label, probability and the top-k labels per item (and, for a
        multi-label model, every label it decides)."""
        try:
            # the CLI's record: the id first (text-1, text-2, ... in request order), rounded to DIGITS
            predictions = await self._predictions(request)
            return JSONResponse({"predictions": [{"id": f"text-{i}", **p} for i, p in enumerate(predictions, 1)]})
        except Reject as exc:
            return _error(exc.status, exc.message, exc.close)
        except ClientDisconnect:  # nobody to answer: one line, no traceback
            client = request.client
            log.warning("client %s went away before sending the whole request body; nothing answered",
                        f"{client.host}:{client.port}" if client else "(unknown)")
            return Response(status_code=400)  # never sent: the connection is gone
        except KhabarError as exc:  # the model refused the input
            return _error(422, str(exc))

    async def _predictions(self, request: Request) -> list[dict]:
        model = self.model
        check_content_type(request.headers.get("content-type", ""))
        req = parse_request(await read_body(request, self.max_body_bytes, self.timeout_body), self.max_batch)
        try:  # a multi-label model takes neither; said before the labels are checked one by one
            model.scheme.check_request(req.min_confidence, req.labels, ("min_confidence", "labels"))
        except KhabarError as exc:
            raise Reject(422, str(exc)) from None
        inputs = _inputs(req, model.task, self.max_batch, self.max_text_chars, self.normalize)
        subset = _subset(req.labels, list(model.labels_)) if req.labels is not None else self.default_labels
        if req.explain:
            _check_explain(self.explain_refusal, len(inputs), self.max_explain)
        proba = np.asarray(await self.batcher.submit(inputs), dtype=np.float64)
        threshold = req.min_confidence if req.min_confidence is not None else self.default_threshold
        predictions = rows(model, proba, req.top_k, DIGITS, threshold, subset, "labels")
        if req.explain:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="khabar-explain")
            found = await asyncio.get_running_loop().run_in_executor(
                self.pool, explain_inputs, model, inputs, [record_targets(p) for p in predictions], EXPLAIN_WORDS)
            for prediction, explanation in zip(predictions, found):
                prediction["explanation"] = explanation
        return predictions


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):  # 404, 405 and friends, in the same JSON shape
        path = request.url.path if len(request.url.path) <= 100 else request.url.path[:100] + "..."
        message = exc.detail if exc.status_code != 404 else f"no route {request.method} {path}; see /docs"
        return _error(exc.status_code, str(message))

    @app.exception_handler(Exception)
    async def server_error(request, exc):  # a bug, still answered as JSON (and logged by uvicorn)
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")


def _add_info_routes(app: FastAPI, model: Model, manifest: Manifest, card: Optional[str],
                     feedback: bool = False, queue: Optional[dict] = None) -> None:
    """GET /health, /card, /model (with whether POST /feedback stores corrections and, under
    "queue", the queue view's labels and pool size, or null) and the page's files."""
    page = _page_files()

    @app.get("/health")
    async def health():
        """Liveness: the model is loaded and the server answers."""
        return {"status": "ok", "kind": manifest.kind, "task": model.task}

    @app.get("/card", responses={200: {"content": {"text/markdown": {}}}, 404: {"model": ErrorResponse}})
    async def model_card():
        """The model card (the model directory's README.md, Hugging Face format), as Markdown."""
        if card is None:
            return _error(404, f"this model has no card ({CARD} in its model directory); "
                               "`khabar card RUN` writes one")
        return Response(card, media_type="text/markdown; charset=utf-8")

    def page_file(name: str):
        async def serve_file():
            return Response(page[name], media_type=PAGE_FILES[name], headers=PAGE_HEADERS)
        serve_file.__name__ = f"page_{name.replace('.', '_')}"
        return serve_file

    app.add_api_route("/", page_file("index.html"), methods=["GET"], include_in_schema=False)
    for name in PAGE_FILES:
        if name != "index.html":
            app.add_api_route(f"/{name}", page_file(name), methods=["GET"], include_in_schema=False)

    @app.get("/model")
    async def model_info():
        """The model's manifest (kind, task, labels, normalization, training parameters and metrics,
        abstain threshold; for a multi-label model, under "multi_label", each label's threshold and
        whether it may give no label) and, under "card", its model card (the text GET /card serves,
        or null)."""
        return {**manifest.to_dict(), "card": card, "feedback": feedback, "queue": queue}


def _subset(names: list, labels: list[str]) -> list[str]:
    """A request's `labels`, or a 422 naming the first one the model does not know."""
    known = set(labels)
    for i, name in enumerate(names):
        if name not in known:
            raise Reject(422, f"labels[{i}]: {show_name(name)} is not a label of this model; name at least two of "
                               f"{', '.join(labels)}")
    if len(set(names)) < 2:
        raise Reject(422, f"labels: name at least two different labels of the model ({', '.join(labels)})")
    return list(dict.fromkeys(names))


def _explain_refusal(model: Model, max_explain: int) -> Optional[str]:
    """Why this server gives no explanations (None: it gives them), found once at start."""
    if max_explain == 0:
        return "explanations are switched off on this server (max_explain 0); send \"explain\": false"
    if not model.explains:
        return f"explain: a {model.task} model of this kind gives no explanations; send \"explain\": false"
    try:
        model.explain([], top=1)  # a kind that needs a library it lacks says so here
    except KhabarError as exc:
        return f"explain: {exc}; send \"explain\": false"
    return None


def _check_explain(refusal: Optional[str], items: int, max_explain: int) -> None:
    if refusal is not None:
        raise Reject(422, refusal)
    if items > max_explain:
        raise Reject(422, f"explain: {items} items, over the limit of {max_explain} explained per request; "
                           "send smaller batches")


def _read_card(path: Optional[str]) -> Optional[str]:
    """The model card's text, read once at start (at most 1 MiB, UTF-8), or None without one."""
    if path is None or not os.path.isfile(path):
        return None
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
    return data.decode("utf-8", "replace")


def _page_files() -> dict[str, bytes]:
    """The page's files (serving/page/), read once from the installed package."""
    folder = resources.files("khabar.serving").joinpath("page")
    return {name: folder.joinpath(name).read_bytes() for name in PAGE_FILES}


# -- the server --------------------------------------------------------------------------------

def serve(model_dir: str, *, host: str = "127.0.0.1", port: int = 8000, max_batch: int = DEFAULT_MAX_BATCH,
          max_text_chars: int = DEFAULT_MAX_TEXT_CHARS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          micro_batching: bool = True, max_wait_ms: float = DEFAULT_MAX_WAIT_MS, device: str = "auto",
          threads: Optional[int] = None, log_level: str = "info", model_workers: int = DEFAULT_MODEL_WORKERS,
          model_batch: int = DEFAULT_MODEL_BATCH, timeout_body: float = DEFAULT_TIMEOUT_BODY,
          timeout_headers: float = DEFAULT_TIMEOUT_HEADERS, timeout_keep_alive: float = DEFAULT_TIMEOUT_KEEP_ALIVE,
          limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
          max_client_connections: int = DEFAULT_MAX_CLIENT_CONNECTIONS, min_confidence: Optional[float] = None,
          labels: Optional[list[str]] = None, max_explain: int = DEFAULT_MAX_EXPLAIN,
          feedback: Optional[str] = None, queue: Optional[str] = None, queue_labels: Optional[list[str]] = None,
          queue_strategy: str = "auto", queue_batch: Optional[int] = None, queue_lease: Optional[float] = None) -> None:
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
    server is full; not a verdict on the request), at most `max_client_connections` of them from
    one address, idle ones closed first to make room (see `http_limits.headers_deadline`).

    `min_confidence`, `labels` and `max_explain`: the defaults of requests (see `create_app`);
    `feedback`: the SQLite store of corrections made on the page; `queue` and its `queue_*`
    settings: the queue view of articles to label (see `create_app`).
    """
    try:
        import uvicorn
        from uvicorn.protocols.http.auto import AutoHTTPProtocol
    except ImportError:
        raise KhabarError("khabar serve needs uvicorn: pip install 'khabar[serve]'") from None
    check_limits(timeout_headers=timeout_headers, timeout_keep_alive=timeout_keep_alive,
                 limit_concurrency=limit_concurrency, max_header_bytes=max_header_bytes,
                 max_client_connections=max_client_connections)
    if threads is not None:
        check_limits(threads=threads)
    app = create_app(model_dir, max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                     micro_batching=micro_batching, max_wait_ms=max_wait_ms, device=device,
                     model_workers=model_workers, model_batch=model_batch, timeout_body=timeout_body,
                     min_confidence=min_confidence, labels=labels, max_explain=max_explain, feedback=feedback,
                     queue=queue, queue_labels=queue_labels, queue_strategy=queue_strategy,
                     queue_batch=queue_batch, queue_lease=queue_lease)
    if "torch" in sys.modules:  # only a transformer model imported it
        spare = max(1, (os.cpu_count() or 1) - 1)
        sys.modules["torch"].set_num_threads(threads or max(1, spare // model_workers))
    uvicorn.run(app, host=host, port=port, log_level=log_level,
                http=headers_deadline(AutoHTTPProtocol, timeout_headers, max_header_bytes, max_client_connections),
                timeout_keep_alive=timeout_keep_alive, limit_concurrency=limit_concurrency,
                # h11's own bound (when httptools is missing) is a backstop behind khabar's, which answers in JSON
                h11_max_incomplete_event_size=2 * max_header_bytes)
