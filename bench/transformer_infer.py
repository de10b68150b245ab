"""Inference throughput: khabar's transformer predict_proba against transformers.pipeline.

Same model, same 1,000 SANAD AlKhaleej test articles, same process, same torch threads, same batch
size. The model is a BERT built from scratch (4 layers, hidden 256, WordPiece vocabulary trained on
SANAD training texts) with RANDOM weights: throughput does not depend on what the weights learned,
and no checkpoint is available offline. Both sides use the head strategy at max_length 512.

khabar goes through `load_model(model_dir)` and `predict_proba(raw texts)`, so its time includes
normalization; the pipeline is fed the texts already normalized the same way (not timed), so both
see identical token ids and must give identical labels.

    .venv/bin/python bench/transformer_infer.py [--n 1000] [--batch-size 32] [--repeats 3] [--threads N]

Reads sanad_khaleej.jsonl.gz from $KHABAR_SHARED_DATA (default ../shared/data); prints `skipped: ...` and exits 1 when it is absent.
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

from _common import SHARED, cpu_model  # bench/ is on sys.path when a script here runs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = str(SHARED / "sanad_khaleej.jsonl.gz")
TARGET = 1.5


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
    args = parser.parse_args()
    if not os.path.isfile(DATA):
        print(f"skipped: {DATA} not found (the shared benchmark corpora are not on this machine)")
        return 1

    import numpy as np
    import torch
    import transformers

    from khabar.models.base import load_model
    from khabar.models.transformer.scratch import build_scratch_bert
    from khabar.models.transformer.model import TransformerModel
    from khabar.models.transformer.params import TransformerParams, TransformerTrain

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    test, train = read_sanad(DATA, args.n, 5000)
    labels = sorted({r["label"] for r in test} | {r["label"] for r in train})
    texts = [r["text"] for r in test]
    normalize = normalizer_config()

    with tempfile.TemporaryDirectory(prefix="khabar-bench-") as tmp:
        base_dir, model_dir = os.path.join(tmp, "scratch"), os.path.join(tmp, "model")
        # a khabar model dir around a random 4-layer BERT (vocabulary from SANAD training texts)
        proto = TransformerModel(
            "topic", TransformerParams(name_or_path=base_dir, max_length=args.max_length, long_strategy="head"),
            TransformerTrain(eval_batch_size=args.batch_size), normalize,
        )
        proto.labels_ = labels
        norm_train = proto.normalize_inputs([r["text"] for r in train])
        build_scratch_bert(norm_train, base_dir, layers=4, hidden=256, heads=4, intermediate=1024,
                           vocab_size=30000, max_position_embeddings=512, labels=labels, seed=13)
        proto._load_pretrained(base_dir, True)
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
    print(f"date           {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    print(f"cpu            {cpu_model()} ({os.cpu_count()} logical cores), torch threads {torch.get_num_threads()}, load average at start {load_start}")
    print(f"versions       python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"model          scratch BERT 4 layers, hidden 256, 4 heads, vocab {len(model.tokenizer_)}, RANDOM weights; head, max_length {args.max_length}")
    print(f"data           {len(texts)} SANAD AlKhaleej test articles, tokens per article: median {int(np.median(n_tokens))}, "
          f"{np.mean(np.array(n_tokens) >= args.max_length):.0%} cut at {args.max_length}")
    print(f"batch size     {args.batch_size} on both sides; best of {args.repeats} timed passes each")
    print(f"padded tokens  khabar {khabar_cells:,} (length-sorted batches), pipeline {pipe_cells:,} (input order): "
          f"{pipe_cells / khabar_cells:.2f}x fewer for khabar")
    print(f"khabar         {k_rate:8.1f} articles/s  (passes: {', '.join(f'{t:.1f}s' for t in khabar_times)}; includes normalization)")
    print(f"pipeline       {p_rate:8.1f} articles/s  (passes: {', '.join(f'{t:.1f}s' for t in pipe_times)}; pre-normalized input)")
    print(f"ratio          {ratio:.2f}x (target >= {TARGET}): {'MET' if ratio >= TARGET else 'NOT MET'}; "
          f"pass by pass (each pair run back to back): {', '.join(f'{p / k:.2f}x' for k, p in zip(khabar_times, pipe_times))}")
    print(f"labels         {'identical' if same == len(texts) else 'DIFFERENT'} ({same}/{len(texts)} agree)")
    print(f"wall time      {time.time() - started:.0f}s")
    return 0 if same == len(texts) else 2


if __name__ == "__main__":
    sys.exit(main())
