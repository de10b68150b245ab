"""`khabar serve RUN`: one model over HTTP (`serving.http.serve`, FastAPI), with its limits."""

from __future__ import annotations

import argparse

from ..serving import settings as serve_settings
from .parser import add_device_argument, number, whole


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over HTTP (FastAPI)",
                       description="Serve one model directory over HTTP: POST /predict, GET /health, GET /model, "
                                   "docs at /docs. Concurrent requests are grouped into one model call.",
                       epilog="examples:\n  khabar serve experiments/sample_topic_tfidf --port 8000\n"
                              "  khabar serve experiments/outlet --feedback store.sqlite --queue our_articles.jsonl",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
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
    add_queue_arguments(p)
    p.set_defaults(handler=run)


def add_queue_arguments(p) -> None:
    """The page's queue view: the next article of a pool to label (serving/queue.py)."""
    from ..adapt.strategies import STRATEGIES

    p.add_argument("--queue", default=None, metavar="POOL",
                   help="unlabeled articles (a csv/tsv/jsonl/json/parquet file, a .txt file or a folder of .txt files) "
                        "that the page's \"Label next\" view serves one at a time, most useful first as khabar suggest "
                        "ranks them, into the --feedback store (needs --feedback)")
    p.add_argument("--queue-labels", default=None, metavar="A,B,...",
                   help="the labels editors choose from in the queue (default: the model's; your own taxonomy "
                        "when the model is a public prior of another one)")
    p.add_argument("--queue-strategy", default="auto", choices=list(STRATEGIES),
                   help="how the queue ranks the pool, as khabar suggest --strategy (default: auto)")
    p.add_argument("--queue-batch", type=whole(1), default=None,
                   help=f"articles ranked at a time; the next batch is ranked when one is used up, with the labels "
                        f"given so far (default: {serve_settings.DEFAULT_QUEUE_BATCH})")
    p.add_argument("--queue-lease", type=number(0, 86_400), default=None, metavar="SECONDS",
                   help=f"how long an article handed to one editor is kept from the others (default: "
                        f"{serve_settings.DEFAULT_QUEUE_LEASE:g})")


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
    queue = {key: value for key, value in (("queue", args.queue), ("queue_labels", parse_labels(args.queue_labels, "--queue-labels")),
                                           ("queue_batch", args.queue_batch), ("queue_lease", args.queue_lease))
             if value is not None}
    if args.queue_strategy != "auto":
        queue["queue_strategy"] = args.queue_strategy
    serve(args.model, **trust, host=args.host, port=args.port, max_batch=args.max_batch,
          max_wait_ms=args.max_wait_ms, micro_batching=not args.no_micro_batching, device=args.device,
          threads=args.threads, max_text_chars=args.max_text_chars, max_body_bytes=args.max_body_bytes,
          log_level=args.log_level, model_workers=args.workers, model_batch=args.model_batch,
          timeout_body=args.timeout_body, timeout_headers=args.timeout_headers,
          timeout_keep_alive=args.timeout_keep_alive, limit_concurrency=args.limit_concurrency,
          max_header_bytes=args.max_header_bytes, max_client_connections=args.max_client_connections, **queue)
    return 0
