"""Load test of `khabar serve`: throughput and latency with and without micro-batching.

    python bench/serve_load.py [--duration 20 --concurrency 32] [--tfidf-dir DIR] [--bert-dir DIR] [--small]

For each model (a TF-IDF and a tiny scratch BERT, trained here on data/sample/topic.jsonl with
khabar's own API unless their directories are given) and each workload (whole articles, and
headline-sized texts: the first `--headline-chars` characters of each article), the server runs
in a subprocess on 127.0.0.1, once with micro-batching and once without; `concurrency` clients
each post one text per request, back to back, for `duration` seconds. Reports requests/s,
p50/p99 latency, errors, and the micro-batching / per-request throughput ratio, next to what the
model alone gains from calls of 32 (which bounds what grouping can give).

The clients are a lean asyncio HTTP/1.1 keep-alive loop over pre-encoded requests, not httpx:
they share the 2 cores with the server, and with httpx the client's own CPU capped every run at
about 450 requests/s (even GET /health), so the server's differences did not show.

Traffic goes only to 127.0.0.1, and every run is bounded in time and in requests.
--small: 2 s of load by 8 clients, headlines only, the scratch BERT trained for 2 epochs; verdicts
informational. Needs no shared corpus (the sample ships with the repository).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_small_flag, machine_line, small_banner, verdict  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"  # never anything else: this is a load generator


def train_models(workdir: str, kinds: list[str], small: bool = False) -> dict:
    """Model directories trained on the sample corpus with the configs the project ships
    (`small`: the BERT for 2 epochs only, for the benchmarks' small mode)."""
    from khabar.config import load_config
    from khabar.runs.train import fit_from_config

    configs = {"tfidf": "sample_topic_tfidf.yaml", "bert": "sample_topic_bert.yaml"}
    dirs = {}
    for kind in kinds:
        config = load_config(os.path.join(ROOT, "configs", configs[kind]),
                             ["train.epochs=2"] if small and kind == "bert" else [])
        model, _ = fit_from_config(config)
        print(f"trained {kind} in {model.fit_seconds_:.0f}s", file=sys.stderr)
        dirs[kind] = os.path.join(workdir, kind)
        model.save(dirs[kind])
    return dirs


def model_only(model_dir: str, texts: list[str], n: int = 64) -> dict:
    """The model alone, no HTTP: n articles one call each vs in batches of 32, with the torch
    threads `khabar serve` uses. The batched/single ratio bounds what micro-batching can gain."""
    from khabar.models.base import load_model

    model = load_model(model_dir)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(max(1, (os.cpu_count() or 1) - 1))
    sample = (texts * (n // len(texts) + 1))[:n]
    model.predict_proba(sample[:8])  # warm-up
    t0 = time.perf_counter()
    for text in sample:
        model.predict_proba([text])
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, n, 32):
        model.predict_proba(sample[start:start + 32])
    batched = time.perf_counter() - t0
    return {"single_per_s": round(n / single, 1), "batched32_per_s": round(n / batched, 1),
            "ratio": round(single / batched, 2)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(model_dir: str, port: int, micro_batching: bool, model_batch: int, max_wait_ms: float,
                 workers: int = 2, pure_python_http: bool = False):
    """`khabar serve` in a subprocess; `pure_python_http` swaps in uvicorn's h11 parser and the
    asyncio loop (its fallbacks without httptools/uvloop), to show what the serve extra buys."""
    code = ("import sys; from khabar.serving.http import serve; "
            f"serve(sys.argv[1], host={HOST!r}, port={port}, micro_batching={micro_batching}, "
            f"model_batch={model_batch}, max_wait_ms={max_wait_ms}, model_workers={workers}, log_level='warning')")
    if pure_python_http:
        code = ("import sys, uvicorn; from khabar.serving.http import create_app; "
                f"uvicorn.run(create_app(sys.argv[1]), host={HOST!r}, port={port}, log_level='warning', "
                "http='h11', loop='asyncio')")
    proc = subprocess.Popen([sys.executable, "-c", code, model_dir], cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not answer /health within 120 s")


def encode_requests(port: int, texts: list[str] | None) -> list[bytes]:
    """Whole HTTP/1.1 requests, built once: POST /predict per text, or GET /health when None."""
    if texts is None:
        return [f"GET /health HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()]
    requests = []
    for text in texts:
        body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
        head = (f"POST /predict HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        requests.append(head.encode("ascii") + body)
    return requests


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection and read its whole response: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status, length = int(head[9:12]), None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError("response without Content-Length")  # khabar serve always sends one
    return status, await reader.readexactly(length)


async def load(port: int, texts: list[str] | None, concurrency: int, duration: float, max_requests: int) -> dict:
    """Closed-loop load: `concurrency` clients on their own connections, each sending its next
    request when the last returns. Timing starts once every client has connected and sent two
    warm-up requests (one-off costs). `texts=None` sends GET /health: the HTTP stack alone."""
    requests = encode_requests(port, texts)
    latencies, errors, sent = [], [], 0
    warmed, go = 0, asyncio.Event()
    window = {}

    async def client(seed: int):
        nonlocal sent, warmed
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for i in range(seed, seed + 2 * concurrency, concurrency):
                await _exchange(reader, writer, requests[i % len(requests)])
            warmed += 1
            if warmed == concurrency:
                window["start"] = time.perf_counter()
                window["stop"] = window["start"] + duration
                go.set()
            await go.wait()
            i = seed
            while time.perf_counter() < window["stop"] and sent < max_requests:
                sent += 1
                t0 = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(_exchange(reader, writer, requests[i % len(requests)]), 60)
                except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
                    errors.append(type(exc).__name__)
                    break  # the connection is in an unknown state
                if status == 200 and (texts is None or b'"predictions"' in body):
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors.append(f"HTTP {status}")
                i += concurrency
        finally:
            writer.close()

    await asyncio.gather(*(client(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - window["start"]
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"requests": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
            "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p99_ms": round(float(np.percentile(lat, 99)), 1)}


def run_load(*args) -> dict:
    """`load` on uvloop when it is installed (the serve extra brings it): a cheaper client."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load(*args))
    return uvloop.run(load(*args))


def http_ceiling(port: int, model_dir: str, args) -> dict:
    """GET /health under the same load (no model): on the running server, and on one with
    uvicorn's pure-Python HTTP stack."""
    ceilings = {"httptools+uvloop": run_load(port, None, args.concurrency, min(args.duration, 10), args.max_requests)}
    pure_port = free_port()
    pure = start_server(model_dir, pure_port, True, args.model_batch, args.max_wait_ms, pure_python_http=True)
    try:
        ceilings["h11+asyncio"] = run_load(pure_port, None, args.concurrency, min(args.duration, 10), args.max_requests)
    finally:
        pure.terminate()
        pure.wait(30)
    for stack, run in ceilings.items():
        print(f"HTTP ceiling (GET /health, no model), {stack}: {run['rps']:.1f} req/s, p50 {run['p50_ms']:.1f} ms",
              flush=True)
    return ceilings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per run (default 20)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests per run")
    parser.add_argument("--model-batch", type=int, default=16, help="khabar serve --model-batch (default 16)")
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="khabar serve --workers (default 2)")
    parser.add_argument("--tfidf-dir", help="a TF-IDF model directory (default: train one on the sample)")
    parser.add_argument("--bert-dir", help="a transformer model directory (default: train the scratch BERT)")
    parser.add_argument("--kinds", default="tfidf,bert", help="which models to load-test (default tfidf,bert)")
    parser.add_argument("--workloads", default="articles,headlines", help="articles, headlines or both (default both)")
    parser.add_argument("--texts", default=os.path.join(ROOT, "data", "sample", "topic.jsonl"))
    parser.add_argument("--headline-chars", type=int, default=120,
                        help="headline-sized texts: the first this many characters of each article (default 120)")
    parser.add_argument("--json", help="also write the results to this file")
    add_small_flag(parser, "2 s of load by 8 clients, headlines only, the BERT trained 2 epochs")
    args = parser.parse_args(argv)
    if args.small:
        args.duration, args.concurrency, args.workloads = min(args.duration, 2.0), min(args.concurrency, 8), "headlines"
    if args.duration <= 0 or args.duration > 600 or args.concurrency < 1 or args.concurrency > 1024:
        parser.error("--duration must be in (0, 600] s and --concurrency in [1, 1024]")

    with open(args.texts, encoding="utf-8") as fh:
        articles = [json.loads(line)["text"] for line in fh if line.strip()]
    workloads = {"articles": articles, "headlines": [t[:args.headline_chars] for t in articles]}
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = sorted(set(chosen) - set(workloads)) + sorted(set(kinds) - {"tfidf", "bert"})
    if unknown:
        parser.error(f"unknown workload or model kind: {', '.join(unknown)}")
    print(machine_line() + f"; load average {os.getloadavg()[0]:.2f}", flush=True)
    small_banner(args.small, f"{args.duration:g} s of load by {args.concurrency} clients")
    settings = {k: getattr(args, k) for k in ("duration", "concurrency", "model_batch", "max_wait_ms", "workers", "headline_chars")}
    print("settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()), flush=True)
    results = {"machine": machine_line(), "settings": settings, "runs": [], "model_only": {}, "ratios": {}}
    with tempfile.TemporaryDirectory(prefix="khabar-serve-bench-") as workdir:
        given = {"tfidf": args.tfidf_dir, "bert": args.bert_dir}
        dirs = {k: v for k, v in given.items() if v and k in kinds}
        dirs.update(train_models(workdir, [k for k in kinds if k not in dirs], args.small))
        print(f"{'model':6} {'workload':10} {'micro-batching':14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for kind in kinds:
            for workload in chosen:
                texts = workloads[workload]
                alone = model_only(dirs[kind], texts)
                results["model_only"][f"{kind}/{workload}"] = alone
                print(f"{kind:6} {workload:10} model alone: {alone['single_per_s']} texts/s one per call, "
                      f"{alone['batched32_per_s']} in calls of 32 ({alone['ratio']}x)", flush=True)
                rps = {}
                for micro in (True, False):
                    port = free_port()
                    server = start_server(dirs[kind], port, micro, args.model_batch, args.max_wait_ms, args.workers)
                    try:
                        if "http_ceiling" not in results:  # once: what HTTP alone allows on this machine now
                            results["http_ceiling"] = http_ceiling(port, dirs[kind], args)
                        run = run_load(port, texts, args.concurrency, args.duration, args.max_requests)
                    finally:
                        server.terminate()
                        server.wait(30)
                    run.update(model=kind, workload=workload, micro_batching=micro)
                    results["runs"].append(run)
                    rps[micro] = run["rps"]
                    print(f"{kind:6} {workload:10} {'on' if micro else 'off':14} {run['rps']:8.1f} {run['p50_ms']:8.1f} "
                          f"{run['p99_ms']:8.1f} {run['errors']:6d} {' '.join(run['error_kinds'])}", flush=True)
                ratio = rps[True] / rps[False] if rps[False] else float("inf")
                results["ratios"][f"{kind}/{workload}"] = round(ratio, 2)
                print(f"{kind:6} {workload:10} micro-batching / per-request throughput: {ratio:.2f}x", flush=True)
    errors = sum(r["errors"] for r in results["runs"])
    bert = {w: results["ratios"][f"bert/{w}"] for w in chosen if f"bert/{w}" in results["ratios"]}
    for workload, ratio in bert.items():
        print(f"target: micro-batching >= 3x for the BERT model ({workload}): {ratio:.2f}x, "
              f"{verdict(ratio >= 3, args.small)}")
    print(f"target: zero errors: {errors} errors, {verdict(errors == 0, args.small)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=2)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
