"""Inference throughput: khabar's transformer predict_proba against transformers.pipeline.

Same model, same 1,000 SANAD AlKhaleej test articles, same process, same torch threads, same batch
size. The model is a BERT built from scratch (4 layers, hidden 256, WordPiece vocabulary trained on
SANAD training texts) the way `khabar train` builds one (`name_or_path: scratch`, `fit`, `save`),
with ONE training step at a negligible learning rate, so its weights are as good as random:
throughput does not depend on what the weights learned, and no checkpoint is available offline.
Both sides use the head strategy at max_length 512.

khabar goes through `load_model(model_dir)` and `predict_proba(raw texts)`, so its time includes
normalization; the pipeline is fed the texts already normalized the same way (not timed), so both
see identical token ids and must give identical labels.

    .venv/bin/python bench/transformer_infer.py [--n 1000] [--batch-size 32] [--repeats 3] [--threads N] [--small]

--small: 64 articles, 1 pass, max_length 128, a 2-layer BERT of hidden 64 (seconds); verdict informational.
Reads sanad_khaleej.jsonl.gz from $KHABAR_SHARED_DATA (default ../shared/data); see bench/_common.py
for what happens when it is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone

from _common import add_small_flag, cpu_model, shared_path, small_banner, verdict  # bench/ is on sys.path when a script here runs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 1.5
SIZE = dict(layers=4, hidden=256, heads=4, intermediate=1024, vocab_size=30000)
SMALL_SIZE = dict(layers=2, hidden=64, heads=2, intermediate=128, vocab_size=4000)


def read_sanad(path: str, n_test: int, n_vocab: int, seed: int = 13):
    """A seeded sample of test articles (the benchmark) and of training texts (the vocabulary)."""
    import random

    test, train = [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            (test if rec["split"] == "test" else train if rec["split"] == "train" else []).append(rec)
    rng = random.Random(seed)
    return rng.sample(test, min(n_test, len(test))), rng.sample(train, min(n_vocab, len(train)))


def normalizer_config():
    from khabar.normalize import NormalizeConfig

    return NormalizeConfig(preset="standard")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="test articles (default 1000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per side, alternating, best kept (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both sides (default: torch's default)")
    add_small_flag(parser, "64 articles, 1 pass, max_length 128, a 2-layer BERT")
    args = parser.parse_args()
    if args.small:
        args.n, args.repeats, args.max_length = min(args.n, 64), 1, min(args.max_length, 128)
    size = SMALL_SIZE if args.small else SIZE
    data = shared_path("sanad_khaleej.jsonl.gz", args.small)

    import numpy as np
    import torch
    import transformers

    from khabar.examples import Example
    from khabar.models.base import load_model
    from khabar.models.registry import get_kind
    from khabar.models.transformer.params import ScratchParams, TransformerParams, TransformerTrain

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    test, train = read_sanad(str(data), args.n, 500 if args.small else 5000)
    labels = sorted({r["label"] for r in test} | {r["label"] for r in train})
    texts = [r["text"] for r in test]
    normalize = normalizer_config()

    with tempfile.TemporaryDirectory(prefix="khabar-bench-") as tmp:
        model_dir = os.path.join(tmp, "model")
        # a khabar model dir around a scratch BERT (vocabulary from SANAD training texts), built as
        # `khabar train` builds one: the registry's class, fit, save; one step that changes nothing
        params = TransformerParams(name_or_path="scratch", max_length=args.max_length, long_strategy="head",
                                   scratch=ScratchParams(**size, max_position_embeddings=512))
        settings = TransformerTrain(max_steps=1, learning_rate=1e-12, warmup_ratio=0.0, batch_size=8,
                                    eval_batch_size=args.batch_size, seed=13)
        proto = get_kind("transformer").model_class()("topic", params, settings, normalize, labels=labels)
        proto.fit([Example(id=r["id"], text=r["text"], label=r["label"]) for r in train])
        proto.save(model_dir)

        model = load_model(model_dir)
        model.set_device("cpu")
        normalized = model.normalize_inputs(texts)  # what the pipeline is fed (not timed)
        clf = transformers.pipeline(
            "text-classification", model=model_dir, tokenizer=model_dir, device="cpu",
            truncation=True, max_length=args.max_length, batch_size=args.batch_size,
        )
        n_tokens = [len(ids) for ids in model.tokenizer_(normalized, truncation=True, max_length=args.max_length)["input_ids"]]
        # token positions computed, padding included: the pipeline pads each batch of consecutive
        # articles to its longest; khabar pads batches of length-sorted articles
        b = args.batch_size
        pipe_cells = sum(len(n_tokens[i:i + b]) * max(n_tokens[i:i + b]) for i in range(0, len(n_tokens), b))
        ordered = sorted(n_tokens, reverse=True)
        khabar_cells = sum(len(ordered[i:i + b]) * max(ordered[i:i + b]) for i in range(0, len(ordered), b))

        # warm-up both (first calls allocate and pick kernels)
        model.predict_proba(texts[:64])
        clf(normalized[:64])

        khabar_times, pipe_times = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            proba = model.predict_proba(texts)
            khabar_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            out = clf(normalized)
            pipe_times.append(time.perf_counter() - t)

    ours = [model.labels_[i] for i in np.asarray(proba).argmax(axis=1)]
    theirs = [o["label"] for o in out]
    same = sum(a == b for a, b in zip(ours, theirs))
    k_rate, p_rate = len(texts) / min(khabar_times), len(texts) / min(pipe_times)
    ratio = k_rate / p_rate
    print("transformer inference benchmark: khabar predict_proba vs transformers.pipeline")
    small_banner(args.small, f"{len(texts)} articles, {args.repeats} pass")
    print(f"date           {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    print(f"cpu            {cpu_model()} ({os.cpu_count()} logical cores), torch threads {torch.get_num_threads()}, load average at start {load_start}")
    print(f"versions       python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"model          scratch BERT {size['layers']} layers, hidden {size['hidden']}, {size['heads']} heads, vocab "
          f"{len(model.tokenizer_)}, weights as good as random; head, max_length {args.max_length}")
    print(f"data           {len(texts)} SANAD AlKhaleej test articles, tokens per article: median {int(np.median(n_tokens))}, "
          f"{np.mean(np.array(n_tokens) >= args.max_length):.0%} cut at {args.max_length}")
    print(f"batch size     {args.batch_size} on both sides; best of {args.repeats} timed passes each")
    print(f"padded tokens  khabar {khabar_cells:,} (length-sorted batches), pipeline {pipe_cells:,} (input order): "
          f"{pipe_cells / khabar_cells:.2f}x fewer for khabar")
    print(f"khabar         {k_rate:8.1f} articles/s  (passes: {', '.join(f'{t:.1f}s' for t in khabar_times)}; includes normalization)")
    print(f"pipeline       {p_rate:8.1f} articles/s  (passes: {', '.join(f'{t:.1f}s' for t in pipe_times)}; pre-normalized input)")
    print(f"ratio          {ratio:.2f}x (target >= {TARGET}): {verdict(ratio >= TARGET, args.small)}; "
          f"pass by pass (each pair run back to back): {', '.join(f'{p / k:.2f}x' for k, p in zip(khabar_times, pipe_times))}")
    print(f"labels         {'identical' if same == len(texts) else 'DIFFERENT'} ({same}/{len(texts)} agree)")
    print(f"wall time      {time.time() - started:.0f}s")
    return 0 if same == len(texts) else 2


if __name__ == "__main__":
    sys.exit(main())
