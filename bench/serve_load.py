"""Load test of `khabar serve`: throughput and latency with and without micro-batching.

    python bench/serve_load.py [--duration 20 --concurrency 32] [--tfidf-dir DIR] [--bert-dir DIR]

For each model (a TF-IDF and a tiny scratch BERT, trained here on data/sample/topic.jsonl with
khabar's own API unless their directories are given) the server runs in a subprocess on
127.0.0.1, once with micro-batching and once without; `concurrency` httpx clients each post one
article per request, back to back, for `duration` seconds. Reports requests/s, p50/p99 latency,
errors, and the micro-batching / per-request throughput ratio.

Traffic goes only to 127.0.0.1, and every run is bounded in time and in requests. The clients
share the machine with the server (2 cores here), so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"  # never anything else: this is a load generator
JSON = {"content-type": "application/json"}


def environment() -> dict:
    import importlib.metadata as md

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    versions = {}
    for name in ("khabar", "torch", "transformers", "scikit-learn", "fastapi", "uvicorn", "httpx"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpu": cpu,
            "cores": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),  # other work skews figures
            "python": platform.python_version(), "versions": versions}


def train_models(workdir: str, kinds: list[str]) -> dict:
    """Model directories trained on the sample corpus with the configs the project ships."""
    from khabar.config import load_config
    from khabar.data import load_splits
    from khabar.models import model_class

    configs = {"tfidf": "sample_topic_tfidf.yaml", "bert": "sample_topic_bert.yaml"}
    dirs = {}
    for kind in kinds:
        config = load_config(os.path.join(ROOT, "configs", configs[kind]))
        splits = load_splits(config.data, config.task, config.train.seed, config.source)
        model = model_class(config.model_kind)(config.task, config.model, config.train, config.normalize,
                                                labels=config.data.labels)
        started = time.perf_counter()
        model.fit(splits.train, splits.dev or None)
        print(f"trained {kind} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
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


def start_server(model_dir: str, port: int, micro_batching: bool, max_batch: int, max_wait_ms: float):
    code = ("import sys; from khabar.serve import serve; "
            f"serve(sys.argv[1], host={HOST!r}, port={port}, micro_batching={micro_batching}, "
            f"max_batch={max_batch}, max_wait_ms={max_wait_ms}, log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", code, model_dir], cwd=ROOT)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not answer /health within 120 s")


async def load(port: int, texts: list[str], concurrency: int, duration: float, max_requests: int,
               health_only: bool = False) -> dict:
    """Closed-loop load: `concurrency` clients, each sending its next request when the last returns.
    `health_only` sends GET /health instead: the ceiling of the HTTP stack alone (no model)."""
    import httpx

    url = f"http://{HOST}:{port}/predict"
    bodies = [json.dumps({"text": t}, ensure_ascii=False).encode("utf-8") for t in texts]
    latencies, errors, sent = [], [], 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        for text in texts[:concurrency]:  # warm-up: first calls pay one-off costs
            await client.post(url, json={"text": text})
        start = time.perf_counter()
        stop = start + duration

        async def worker(seed: int):
            nonlocal sent
            i = seed
            while time.perf_counter() < stop and sent < max_requests:
                sent += 1
                t0 = time.perf_counter()
                try:
                    if health_only:
                        r = await client.get(f"http://{HOST}:{port}/health")
                    else:  # bodies encoded once, up front: the client's CPU is the scarce resource here
                        r = await client.post(url, content=bodies[i % len(bodies)], headers=JSON)
                    if r.status_code == 200 and (health_only or b'"predictions"' in r.content):
                        latencies.append(time.perf_counter() - t0)
                    else:
                        errors.append(f"HTTP {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                i += concurrency

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - start
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"requests": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
            "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p99_ms": round(float(np.percentile(lat, 99)), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per run (default 20)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests per run")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--tfidf-dir", help="a TF-IDF model directory (default: train one on the sample)")
    parser.add_argument("--bert-dir", help="a transformer model directory (default: train the scratch BERT)")
    parser.add_argument("--kinds", default="tfidf,bert", help="which models to load-test (default tfidf,bert)")
    parser.add_argument("--texts", default=os.path.join(ROOT, "data", "sample", "topic.jsonl"))
    parser.add_argument("--max-chars", type=int, default=0,
                        help="cut each text to this many characters, e.g. 120 for headline-sized requests (default: whole articles)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.duration > 600 or args.concurrency < 1 or args.concurrency > 1024:
        parser.error("--duration must be in (0, 600] s and --concurrency in [1, 1024]")

    with open(args.texts, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    if args.max_chars > 0:
        texts = [t[:args.max_chars] for t in texts]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    env = environment()
    print(json.dumps(env, ensure_ascii=False))
    results = {"environment": env, "settings": {k: getattr(args, k) for k in
                                                ("duration", "concurrency", "max_batch", "max_wait_ms", "max_chars")}, "runs": []}
    with tempfile.TemporaryDirectory(prefix="khabar-serve-bench-") as workdir:
        given = {"tfidf": args.tfidf_dir, "bert": args.bert_dir}
        dirs = {k: v for k, v in given.items() if v and k in kinds}
        dirs.update(train_models(workdir, [k for k in kinds if k not in dirs]))
        print(f"{'model':6} {'micro-batching':14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for kind in kinds:
            alone = model_only(dirs[kind], texts)
            results.setdefault("model_only", {})[kind] = alone
            print(f"{kind:6} model alone: {alone['single_per_s']} articles/s one per call, {alone['batched32_per_s']} "
                  f"in calls of 32 ({alone['ratio']}x)", flush=True)
            rps = {}
            for micro in (True, False):
                port = free_port()
                server = start_server(dirs[kind], port, micro, args.max_batch, args.max_wait_ms)
                try:
                    run = asyncio.run(load(port, texts, args.concurrency, args.duration, args.max_requests))
                    if micro and kind == kinds[0]:  # once: what HTTP alone allows on this machine now
                        ceiling = asyncio.run(load(port, texts, args.concurrency, min(args.duration, 10),
                                                   args.max_requests, health_only=True))
                        results["http_ceiling"] = ceiling
                        print(f"HTTP ceiling (GET /health, no model): {ceiling['rps']:.1f} req/s, "
                              f"p50 {ceiling['p50_ms']:.1f} ms", flush=True)
                finally:
                    server.terminate()
                    server.wait(30)
                run.update(model=kind, micro_batching=micro)
                results["runs"].append(run)
                rps[micro] = run["rps"]
                print(f"{kind:6} {'on' if micro else 'off':14} {run['rps']:8.1f} {run['p50_ms']:8.1f} "
                      f"{run['p99_ms']:8.1f} {run['errors']:6d} {' '.join(run['error_kinds'])}", flush=True)
            ratio = rps[True] / rps[False] if rps[False] else float("inf")
            results.setdefault("ratios", {})[kind] = round(ratio, 2)
            print(f"{kind:6} micro-batching / per-request throughput: {ratio:.2f}x", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=2)
    return 0 if all(r["errors"] == 0 for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
