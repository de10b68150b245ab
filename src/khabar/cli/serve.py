"""`khabar serve RUN`: one model over HTTP (`serving.http.serve`, FastAPI), with its limits."""

from __future__ import annotations

from ..serving import settings as serve_settings
from .parser import add_device_argument, number, whole


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over HTTP (FastAPI)",
                       description="Serve one model directory over HTTP: POST /predict, GET /health, GET /model, "
                                   "docs at /docs. Concurrent requests are grouped into one model call.",
                       epilog="example: khabar serve experiments/sample_topic_tfidf --port 8000")
    p.add_argument("model", metavar="RUN_OR_MODEL", help="a run directory, its model/ folder, or an experiment folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=whole(1, 65535), default=8000, help="port (default: 8000)")
    p.add_argument("--max-batch", type=whole(1), default=serve_settings.DEFAULT_MAX_BATCH,
                   help="most items in one request (default: %(default)s)")
    p.add_argument("--model-batch", type=whole(1), default=serve_settings.DEFAULT_MODEL_BATCH,
                   help="most items grouped into one model call (default: %(default)s; a larger request runs whole)")
    p.add_argument("--max-wait-ms", type=number(0, 60_000), default=serve_settings.DEFAULT_MAX_WAIT_MS,
                   help="how long a request waits for company (default: %(default)s)")
    p.add_argument("--no-micro-batching", action="store_true", help="one model call per request")
    p.add_argument("--min-confidence", type=number(0, 1), default=None, metavar="P",
                   help="abstain (label null, abstained true) when the top probability is below P, from 0 to 1 "
                        "(default: the threshold stored in the model, if any; 0 never abstains)")
    p.add_argument("--labels", default=None, metavar="A,B,...",
                   help="restrict every prediction to these of the model's labels, probabilities renormalized over them")
    add_device_argument(p)
    add_server_limits(p)
    p.set_defaults(handler=run)


def add_server_limits(p) -> None:
    """How much work the server takes on at once and how long it waits for a client."""
    p.add_argument("--workers", type=whole(1), default=serve_settings.DEFAULT_MODEL_WORKERS,
                   help="grouped model calls that may run at once (default: %(default)s: one computes while the next gathers)")
    p.add_argument("--threads", type=whole(1), default=None,
                   help="torch threads per model call for a transformer (default: cores - 1, shared by the workers)")
    p.add_argument("--max-text-chars", type=whole(1), default=serve_settings.DEFAULT_MAX_TEXT_CHARS,
                   help="longest text (or claim) accepted, in characters; longer gets 422 (default: %(default)s)")
    p.add_argument("--max-body-bytes", type=whole(1), default=serve_settings.DEFAULT_MAX_BODY_BYTES,
                   help="largest request body; larger gets 413 (default: %(default)s, 16 MiB)")
    p.add_argument("--timeout-body", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_BODY,
                   help="seconds a client has to send a whole body; slower gets 408 (default: %(default)s)")
    p.add_argument("--timeout-headers", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_HEADERS,
                   help="seconds a client has to send its headers; slower gets 408 (default: %(default)s)")
    p.add_argument("--timeout-keep-alive", type=number(0.001), default=serve_settings.DEFAULT_TIMEOUT_KEEP_ALIVE,
                   help="seconds an idle connection stays open (default: %(default)s)")
    p.add_argument("--limit-concurrency", type=whole(1), default=serve_settings.DEFAULT_LIMIT_CONCURRENCY,
                   help="most connections at once; more get 503 (default: %(default)s)")
    p.add_argument("--max-client-connections", type=whole(1), default=serve_settings.DEFAULT_MAX_CLIENT_CONNECTIONS,
                   help="most connections one client address may hold; past it (or when the server is full) its "
                        "oldest idle one is closed first (default: %(default)s)")
    p.add_argument("--max-header-bytes", type=whole(1024), default=serve_settings.DEFAULT_MAX_HEADER_BYTES,
                   help="largest request head; larger gets 431 (default: %(default)s)")
    p.add_argument("--feedback", default=None, metavar="STORE.sqlite",
                   help="show label buttons beside each answer and store editors' corrections in this SQLite file "
                        "(khabar feedback export STORE turns them into training data)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's log level (default: info; warning hides the per-request access lines)")


def run(args) -> int:
    from ..serving.http import serve
    from ..serving.predict import parse_labels

    # passed only when given, so a server without these keywords still starts without them
    trust = {key: value for key, value in (("labels", parse_labels(args.labels)),
                                           ("min_confidence", args.min_confidence),
                                           ("feedback", args.feedback)) if value is not None}
    serve(args.model, **trust, host=args.host, port=args.port, max_batch=args.max_batch,
          max_wait_ms=args.max_wait_ms, micro_batching=not args.no_micro_batching, device=args.device,
          threads=args.threads, max_text_chars=args.max_text_chars, max_body_bytes=args.max_body_bytes,
          log_level=args.log_level, model_workers=args.workers, model_batch=args.model_batch,
          timeout_body=args.timeout_body, timeout_headers=args.timeout_headers,
          timeout_keep_alive=args.timeout_keep_alive, limit_concurrency=args.limit_concurrency,
          max_header_bytes=args.max_header_bytes, max_client_connections=args.max_client_connections)
    return 0
