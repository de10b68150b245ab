"""SANAD AlKhaleej topic classification with a small BERT trained from nothing, on a CPU, in 30 minutes.

No pretrained checkpoint: khabar's `name_or_path: scratch` path learns a WordPiece vocabulary on
the (normalized) training texts and trains a randomly initialised BERT of 4 layers, hidden 256,
with the same `TransformerModel.fit` that `khabar train` uses. To fit the time budget the script
first times a few training steps of that model on this machine, with 1 thread and with torch's
default (on a shared machine one thread often wins; the faster is kept), then trains on as many
training articles as the budget allows: one epoch, classes balanced, max_length 128 with the
head_tail strategy, a dev sample for the end-of-epoch evaluation. It reports accuracy and
macro-F1 on the WHOLE test split (splits as given in the file) and the wall time.

    .venv/bin/python bench/topic_sanad_tiny_bert.py [--budget-minutes 30] [--small]

--small: a 2-layer BERT of hidden 64, max_length 64, a 1.5-minute budget, at most 400 training,
100 dev and 300 test articles (not the whole split); verdict informational.
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
import time
from collections import defaultdict
from datetime import datetime, timezone

from _common import add_small_flag, balanced_sample, cpu_model, shared_path, small_banner, verdict  # bench/ is on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOWDOWN = 1.8  # safety factor from calibration to real steps
SIZE = dict(layers=4, hidden=256, heads=4, intermediate=1024, vocab_size=16000, max_position_embeddings=512)
SMALL_SIZE = dict(layers=2, hidden=64, heads=2, intermediate=128, vocab_size=4000, max_position_embeddings=512)


def read_splits(path: str):
    from khabar.examples import Example

    splits = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            splits[rec["split"]].append(Example(id=str(rec["id"]), text=rec["text"], label=rec["label"], split=rec["split"]))
    return splits


def seconds_per_step(batch_size: int, max_length: int, n_labels: int, size: dict) -> float:
    """Time forward + backward + AdamW of the benchmark's BERT `size` on random tokens, on this CPU."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=size["vocab_size"], hidden_size=size["hidden"], num_hidden_layers=size["layers"],
                        num_attention_heads=size["heads"], intermediate_size=size["intermediate"],
                        max_position_embeddings=size["max_position_embeddings"], num_labels=n_labels)
    model = BertForSequenceClassification(config).train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(5, size["vocab_size"], (batch_size, max_length))
    labels = torch.randint(0, n_labels, (batch_size,))
    times = []
    for _ in range(4):
        start = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[1]  # median of the 3 after warm-up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-minutes", type=float, default=30.0, help="whole run, everything included (default 30)")
    parser.add_argument("--train-share", type=float, default=0.7,
                        help="part of the budget spent on training steps; the rest covers vocabulary, dev and test (default 0.62)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--dev", type=int, default=700, help="dev articles for the end-of-epoch evaluation (default 700)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the faster of 1 and torch's default, timed)")
    add_small_flag(parser, "a 2-layer BERT, max_length 64, at most 400 training articles, 300 test articles")
    args = parser.parse_args()
    size = SIZE
    if args.small:
        size = SMALL_SIZE
        args.budget_minutes, args.max_length, args.dev = min(args.budget_minutes, 1.5), min(args.max_length, 64), 100
    data = shared_path("sanad_khaleej.jsonl.gz", args.small)
    started = time.time()
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())

    import torch
    import transformers
    from sklearn.metrics import accuracy_score, f1_score

    from khabar.normalize import NormalizeConfig
    from khabar.models.registry import get_kind
    from khabar.models.transformer.params import ScratchParams, TransformerParams, TransformerTrain

    normalize = NormalizeConfig(preset="standard")

    splits = read_splits(str(data))
    labels = sorted({ex.label for ex in splits["train"]})
    # On a shared machine two OpenMP threads can be several times slower than one (a busy core
    # stalls every parallel region): time both and keep the faster.
    candidates = sorted({1, torch.get_num_threads()}) if args.threads is None else [args.threads]
    timings = {}
    for threads in candidates:
        torch.set_num_threads(threads)
        timings[threads] = seconds_per_step(args.batch_size, args.max_length, len(labels), size)
    threads = min(timings, key=timings.get)
    torch.set_num_threads(threads)
    step_s = timings[threads]
    budget_s = args.budget_minutes * 60
    # Trainer steps came out up to ~1.7x slower than this bare loop on a busy shared machine
    steps = int((budget_s * args.train_share) / (step_s * SLOWDOWN))
    n_train = min(len(splits["train"]), steps * args.batch_size, 400 if args.small else len(splits["train"]))
    train = balanced_sample(splits["train"], n_train, args.seed)
    dev = balanced_sample(splits["dev"], args.dev, args.seed)
    test = balanced_sample(splits["test"], 300, args.seed) if args.small else splits["test"]
    print("calibration: " + ", ".join(f"{t} thread(s) {v:.2f}s/step" for t, v in timings.items()) + f"; using {threads}", file=sys.stderr)
    print(f"calibration: {step_s:.2f}s per training step of {args.batch_size}x{args.max_length} tokens -> "
          f"{steps} steps -> {len(train)} training articles ({time.time() - started:.0f}s)", file=sys.stderr)

    params = TransformerParams(
        name_or_path="scratch", max_length=args.max_length, long_strategy="head_tail", head_tokens=args.max_length // 2,
        scratch=ScratchParams(**size),
    )
    train_params = TransformerTrain(
        seed=args.seed, epochs=1, learning_rate=args.learning_rate, warmup_ratio=0.06, weight_decay=0.01,
        batch_size=args.batch_size, eval_batch_size=64, early_stopping_patience=None, logging_steps=50,
    )
    model = get_kind("transformer").model_class()("topic", params, train_params, normalize, labels=labels)
    fit_start = time.time()
    model.fit(train, dev)
    fit_s = time.time() - fit_start
    runtime = next((e["train_runtime"] for e in model.history_ if "train_runtime" in e), float("nan"))
    n_steps = max((e.get("step", 0) for e in model.history_), default=0)

    predict_start = time.time()
    predicted = model.predict([ex.text for ex in test])
    predict_s = time.time() - predict_start
    gold = [ex.label for ex in test]
    accuracy = accuracy_score(gold, predicted)
    macro_f1 = f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)
    wall = time.time() - started

    print("SANAD AlKhaleej topic, small BERT trained from scratch on CPU (khabar kind: transformer, name_or_path: scratch)")
    small_banner(args.small, f"{len(test)} test articles, budget {args.budget_minutes:g} min")
    print(f"date         {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    print(f"cpu          {cpu_model()} ({os.cpu_count()} logical cores), torch threads {torch.get_num_threads()} "
          f"(calibrated: {', '.join(f'{t}: {v:.2f}s/step' for t, v in timings.items())}), load average at start {load_start}")
    print(f"versions     python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"model        BERT {size['layers']} layers, hidden {size['hidden']}, {size['heads']} heads, intermediate "
          f"{size['intermediate']}, WordPiece vocab {len(model.tokenizer_)} (trained on the training articles); random init")
    print(f"input        max_length {args.max_length}, head_tail (head {args.max_length // 2}), normalize {normalize.preset}")
    print(f"training     {len(train)} of {len(splits['train'])} training articles (balanced sample), 1 epoch, batch "
          f"{args.batch_size}, lr {args.learning_rate:g}; dev {len(dev)} articles; best dev macro-F1 "
          f"{model.best_dev_macro_f1_ if model.best_dev_macro_f1_ is not None else float('nan'):.4f}")
    print(f"test         {len(test)} articles ({'a balanced sample' if args.small else 'whole test split'}): accuracy {accuracy:.4f}, macro-F1 {macro_f1:.4f}")
    print(f"steps        {n_steps} optimisation steps in {runtime / 60:.1f} min ({runtime / max(n_steps, 1):.2f}s/step; "
          f"calibrated {step_s:.2f}s/step)")
    print(f"time         fit {fit_s / 60:.1f} min, test prediction {predict_s / 60:.1f} min ({len(test) / predict_s:.0f} articles/s), "
          f"wall {wall / 60:.1f} min (budget {args.budget_minutes:g} min: {'within' if wall <= budget_s else 'OVER'})")
    print(f"target wall time within the budget of {args.budget_minutes:g} min: {wall / 60:.1f} min "
          f"{verdict(wall <= budget_s, args.small)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
