"""Batch prediction on this machine: the plain path against the Ray Data path, articles/s.

    python bench/predict_ray.py [--n 20000] [--workers 2] [--kinds tfidf,bert] [--model-dir KIND=DIR] [--small]

The same N SANAD (AlKhaleej) articles from ../shared/data/sanad_khaleej.jsonl.gz, written as
Parquet shards, are labeled twice with the same model: by the plain path (one process: read the
shards, `predict_proba` in batches, write Parquet) and by `khabar.distributed.predict_with_ray`
(a local Ray, one model per worker). Models are trained here on data/sample with the project's
configs unless given. Prints both rates, Ray's start-up separately, and the share of articles
on which the two engines agree (it must be 1.0) and match SANAD's gold label.
--small: 300 articles in 2 shards, batches of 64, 1 Ray worker (its start-up dominates); verdict informational.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_small_flag, machine_line, shared_path, small_banner, verdict  # noqa: E402
from serve_load import train_models  # noqa: E402


def read_sanad(path: str, n: int, seed: int = 13) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    keep = sorted(random.Random(seed).sample(range(len(records)), min(n, len(records))))  # every label, fixed
    return [{"id": records[i]["id"], "text": records[i]["text"], "gold": records[i]["label"]} for i in keep]


def write_shards(records: list[dict], directory: str, shards: int) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(directory)
    paths = []
    for k in range(shards):
        part = records[k::shards]
        paths.append(os.path.join(directory, f"part-{k:03d}.parquet"))
        pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in part]), paths[-1])
    return paths


def plain(model_dir: str, shards: list[str], out_dir: str, batch_size: int) -> float:
    """What `khabar predict` does in one process, with the same Parquet in and out as Ray."""
    import pyarrow.parquet as pq

    from khabar.models.base import load_model
    from khabar.models.predict import rows
    from khabar.serving.ray import label_table

    started = time.perf_counter()
    model = load_model(model_dir)
    os.makedirs(out_dir)
    for k, path in enumerate(shards):
        table = pq.read_table(path)
        texts = table.column("text").to_pylist()
        proba = np.concatenate([model.predict_proba(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)])
        pq.write_table(label_table(table.column("id"), rows(model, proba), model.scheme.fields), os.path.join(out_dir, f"part-{k:03d}.parquet"))
    return time.perf_counter() - started


def labels_of(directory: str) -> dict:
    import pyarrow.parquet as pq

    table = pq.read_table(directory, columns=["id", "label"])
    return dict(zip(table.column("id").to_pylist(), table.column("label").to_pylist()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="a JSON-lines(.gz) corpus (default: SANAD AlKhaleej from the shared data)")
    parser.add_argument("--n", type=int, default=20_000, help="articles to label (default 20000)")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Ray workers (default 2)")
    parser.add_argument("--batch-size", type=int, default=1024, help="articles per model call and per Ray block (default 1024)")
    parser.add_argument("--kinds", default="tfidf", help="tfidf and/or bert (default tfidf)")
    parser.add_argument("--model-dir", action="append", default=[], metavar="KIND=DIR", help="use this model, not one trained here")
    parser.add_argument("--json", help="also write the results to this file")
    add_small_flag(parser, "300 articles in 2 shards, batches of 64, 1 Ray worker")
    args = parser.parse_args(argv)
    if args.small:
        args.n, args.shards, args.batch_size, args.workers = min(args.n, 300), min(args.shards, 2), min(args.batch_size, 64), 1
    data = args.data or str(shared_path("sanad_khaleej.jsonl.gz", args.small))
    try:
        import ray  # noqa: F401
    except ImportError:
        print("skipped: Ray is not installed (pip install 'khabar[ray]')")
        return 0 if args.small else 1

    from khabar.serving.ray import predict_with_ray

    env = machine_line() + f"; load average {os.getloadavg()[0]:.2f}"
    print(env, flush=True)
    small_banner(args.small, f"{args.n} articles")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    given = dict(item.split("=", 1) for item in args.model_dir)
    records = read_sanad(data, args.n)
    gold = {r["id"]: r["gold"] for r in records}
    results = {"machine": env, "n": len(records), "workers": args.workers, "batch_size": args.batch_size, "runs": []}
    with tempfile.TemporaryDirectory(prefix="khabar-ray-bench-") as work:
        shards = write_shards(records, os.path.join(work, "in"), args.shards)
        dirs = {k: given[k] for k in kinds if k in given}
        dirs.update(train_models(work, [k for k in kinds if k not in dirs], args.small))
        for kind in kinds:
            plain_s = plain(dirs[kind], shards, os.path.join(work, f"plain-{kind}"), args.batch_size)
            print(f"{kind}: plain {len(records) / plain_s:.1f} articles/s ({plain_s:.1f}s)", flush=True)
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
            init_s = time.perf_counter() - t0
            try:
                out = predict_with_ray(dirs[kind], [os.path.join(work, "in")], os.path.join(work, f"ray-{kind}"),
                                       batch_size=args.batch_size, num_workers=args.workers, progress=False)
            finally:
                ray.shutdown()
            a, b = labels_of(os.path.join(work, f"plain-{kind}")), labels_of(os.path.join(work, f"ray-{kind}"))
            run = {"model": kind, "plain_seconds": round(plain_s, 1), "plain_per_s": round(len(records) / plain_s, 1),
                   "ray_init_seconds": round(init_s, 1), "ray_seconds": round(out["seconds"], 1),
                   "ray_per_s": round(len(records) / out["seconds"], 1),
                   "ray_per_s_with_init": round(len(records) / (out["seconds"] + init_s), 1),
                   "rows": out["rows"], "agreement": round(np.mean([a[i] == b.get(i) for i in a]), 4),
                   "accuracy_vs_gold": round(np.mean([a[i] == gold[i] for i in a]), 4)}
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
            print(f"{kind}: plain {run['plain_per_s']} articles/s; ray ({args.workers} workers) {run['ray_per_s']} "
                  f"articles/s ({run['ray_per_s_with_init']} with {run['ray_init_seconds']}s start-up); "
                  f"agreement {run['agreement']}", flush=True)
    for run in results["runs"]:
        print(f"target: {run['model']}: the plain and Ray paths give the same label to every article: "
              f"agreement {run['agreement']} {verdict(run['agreement'] == 1.0, args.small)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
