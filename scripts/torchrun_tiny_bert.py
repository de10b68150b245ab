"""Train khabar's transformer kind data-parallel under torchrun, and save a model that predicts.

    torchrun --standalone --nproc_per_node=2 scripts/torchrun_tiny_bert.py OUT_DIR [--max-steps 2]
    torchrun --nproc_per_node=4 scripts/torchrun_tiny_bert.py OUT_DIR --config configs/sanad_topic_arabert.yaml

The default config is the scratch tiny BERT on the embedded sample (CPU, gloo). A config with a
pretrained checkpoint (AraBERT) uses it as is on every rank (nccl on GPUs); that path has not been
run on this project's machines, which have neither a GPU nor the Hub.

Why this works with so little DDP code: torchrun starts one process per rank with RANK,
WORLD_SIZE and MASTER_ADDR set; Hugging Face's Trainer (inside `TransformerModel.fit`) sees them,
uses the process group (gloo on CPU), wraps the model in DistributedDataParallel and gives each
rank its share of every batch. What this script adds is what a multi-process run needs around
`fit`:
- the starting checkpoint must be identical on every rank. `name_or_path: scratch` builds a
  WordPiece vocabulary inside `fit`, and two processes can learn different vocabularies from the
  same texts (seen: 3590 vs 3591 tokens, and DDP refuses to start). So rank 0 builds the scratch
  BERT once into a folder beside OUT_DIR and every rank fine-tunes from that folder;
- only rank 0 writes the model directory, and no rank leaves before it is complete.
The dev split drives early stopping as in `khabar train`; held-out accuracy is measured on dev + test.

The last line on standard output (rank 0) is JSON: world size, backend, seconds, model dir, and
the reloaded model's accuracy on the held-out (dev + test) articles, for tests and logs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="where rank 0 saves the model directory (must not exist)")
    parser.add_argument("--config", default=os.path.join(ROOT, "configs", "sample_topic_bert.yaml"))
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimizer steps (-1: the config's epochs)")
    parser.add_argument("--epochs", type=float, default=None, help="override train.epochs")
    args = parser.parse_args(argv)

    import torch
    import torch.distributed as dist

    from khabar.config import load_config
    from khabar.data import load_splits
    from khabar.models import model_class
    from khabar.models.scratch import build_scratch_bert
    from khabar.models.transformer_params import SCRATCH

    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    overrides = [f"train.max_steps={args.max_steps}"]
    if args.epochs is not None:
        overrides.append(f"train.epochs={args.epochs}")
    config = load_config(args.config, overrides)
    if config.model_kind != "transformer":
        print("torchrun_tiny_bert: the config must use kind: transformer", file=sys.stderr)
        return 2
    original = config.model.name_or_path  # config.model is the model's params object: keep the name
    scratch = original == SCRATCH
    if os.path.exists(args.out_dir):
        print(f"torchrun_tiny_bert: {args.out_dir} already exists; give a new folder", file=sys.stderr)
        return 2
    if world > 1:  # joined here for the barrier below; the Trainer then uses this same group
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    splits = load_splits(config.data, config.task, config.train.seed, config.source)
    model = model_class(config.model_kind)(config.task, config.model, config.train, config.normalize,
                                            labels=config.data.labels)
    # a pretrained checkpoint is already identical on every rank; only a scratch BERT is built first
    start_dir = os.path.abspath(args.out_dir.rstrip(os.sep)) + ".init" if scratch else original
    if scratch and rank == 0:
        sizes = config.model.scratch
        texts = [t for item in model.normalize_inputs([ex.inputs for ex in splits.train])
                 for t in (item if isinstance(item, tuple) else (item,))]
        build_scratch_bert(texts, start_dir, layers=sizes.layers, hidden=sizes.hidden, heads=sizes.heads,
                           intermediate=sizes.intermediate, vocab_size=sizes.vocab_size,
                           max_position_embeddings=sizes.max_position_embeddings, min_frequency=sizes.min_frequency,
                           dropout=sizes.dropout, labels=model._label_set(splits.train), seed=config.train.seed)
    if world > 1:
        dist.barrier()  # the starting checkpoint exists before any rank loads it
    model.params.name_or_path = start_dir
    started = time.perf_counter()
    try:
        model.fit(splits.train, splits.dev or None)
    finally:
        if world > 1:
            dist.barrier()
        if scratch and rank == 0:
            shutil.rmtree(start_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    model.params.name_or_path = original  # what the manifest should say
    joined = dist.is_available() and dist.is_initialized()
    summary = {"world_size": dist.get_world_size() if joined else 1,
               "backend": dist.get_backend() if joined else None,
               "train_seconds": round(seconds, 1), "train_examples": len(splits.train)}
    if rank == 0:
        model.save(args.out_dir)
    if joined:
        dist.barrier()  # no rank leaves before the model directory is complete
        dist.destroy_process_group()
    if rank == 0:
        from khabar.models.base import load_model

        reloaded = load_model(args.out_dir)
        held_out = splits.dev + splits.test  # dev chose the epoch, never a training example
        predicted = reloaded.predict([ex.inputs for ex in held_out])
        accuracy = sum(p == ex.label for p, ex in zip(predicted, held_out)) / max(len(held_out), 1)
        summary.update(model_dir=os.path.abspath(args.out_dir), task=reloaded.task, labels=reloaded.labels_,
                       held_out=len(held_out), held_out_accuracy=round(accuracy, 4), predicted=predicted[:5])
        print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
