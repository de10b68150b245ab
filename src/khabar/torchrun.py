"""What khabar needs to run data-parallel under `torchrun` (one process per rank).

Why at the top of the package: the transformer kind (its `fit`), `runs.train` and `log` all need
to know the rank and to run work once, so it sits below all of them.

Hugging Face's Trainer does the data parallelism itself once `torchrun` has set RANK and
WORLD_SIZE: it wraps the model in DistributedDataParallel and gives each rank its share of every
batch. Around the Trainer, some work must happen exactly once, and every rank must see its result:
- a temporary folder for the Trainer's checkpoints, the same path on every rank: rank 0 saves the
  checkpoints and, with `load_best_model_at_end`, every rank loads the best one from that path;
- the starting checkpoint: a scratch BERT learns its WordPiece vocabulary inside `fit`, and two
  processes can learn different ones (seen: 3590 vs 3591 tokens, and DDP refuses to start);
- evaluation and the run directory, written by rank 0 alone.
`on_main(fn)` runs such work on rank 0 while the other ranks wait, then hands every rank rank 0's
result, or rank 0's error (a `KhabarError` stays one, so every rank exits 2 with the same line).

The waiting happens on a separate gloo group with a long timeout (`WAIT_TIMEOUT`): the default
group's timeout (30 minutes) would end a run whose rank-0 evaluation of a large test split takes
longer. Waiting long is safe: if rank 0 dies, torchrun stops the other ranks at once.

Without WORLD_SIZE > 1 every function here is a no-op (`on_main(fn)` is `fn()`), so a plain
single-process run never imports torch.distributed. Verified on CPU with 2 processes (gloo); on
GPUs the default group is nccl and the waiting group still gloo, which has not been run here.
Multi-node: rank 0's temporary folder must be visible to every rank (set TMPDIR to a shared
folder); this is checked, and a run where it is not ends at once with a one-line error.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from typing import Callable, TypeVar

from .errors import KhabarError

#: How long ranks wait for rank 0's one-off work (scratch vocabulary, evaluation, writing the run).
WAIT_TIMEOUT = timedelta(hours=24)
#: The default group's timeout for the Trainer's own collectives (the Trainer's default ddp_timeout).
COLLECTIVE_TIMEOUT = timedelta(seconds=1800)

T = TypeVar("T")
STATE: dict = {}  # "wait": the gloo waiting group; "owner": True when khabar created the default group


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def rank() -> int:
    return int(os.environ.get("RANK", "0") or 0)


def is_distributed() -> bool:
    return world_size() > 1


def is_main() -> bool:
    return rank() == 0


def wait_group():
    """The process group (created on first use, by every rank at the same point) and the waiting group."""
    import torch
    import torch.distributed as dist

    if "wait" in STATE and dist.is_initialized():
        return STATE["wait"]
    missing = [v for v in ("RANK", "MASTER_ADDR", "MASTER_PORT") if v not in os.environ]
    if missing:
        raise KhabarError(f"WORLD_SIZE={world_size()} but {', '.join(missing)} not set; start data-parallel runs "
                          "with torchrun, or unset WORLD_SIZE for one process")
    if not dist.is_available():
        raise KhabarError(f"WORLD_SIZE={world_size()}: this torch build has no torch.distributed; run in one process")
    if not dist.is_initialized():
        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if cuda else "gloo", timeout=COLLECTIVE_TIMEOUT)
        STATE["owner"] = True  # the Trainer (accelerate) joins this group instead of making its own
    STATE["wait"] = dist.new_group(backend="gloo", timeout=WAIT_TIMEOUT)
    return STATE["wait"]


def on_main(fn: Callable[[], T], what: str) -> T:
    """Run `fn` on rank 0 only; every rank returns rank 0's result or raises rank 0's error.

    The result must pickle (it is broadcast). `what` names the work in the error other ranks raise.
    """
    if not is_distributed():
        return fn()
    import torch.distributed as dist

    group = wait_group()
    box = [None]
    if is_main():
        try:
            box[0] = ("ok", fn())
        except Exception as exc:
            box[0] = ("error", isinstance(exc, KhabarError), f"{type(exc).__name__}: {exc}", str(exc))
            dist.broadcast_object_list(box, src=0, group=group)
            raise
    dist.broadcast_object_list(box, src=0, group=group)
    if box[0][0] == "ok":
        return box[0][1]
    _, user_error, described, message = box[0]
    if user_error:
        raise KhabarError(message)
    raise RuntimeError(f"rank 0 failed while {what}: {described}")


def barrier() -> None:
    """Wait until every rank gets here (on the waiting group, so a slow rank 0 is no error)."""
    if is_distributed():
        import torch.distributed as dist

        dist.barrier(group=wait_group())


def shared_tempdir(prefix: str) -> str:
    """A new temporary folder, made by rank 0; every rank gets the same path, checked to be visible."""
    path = on_main(lambda: tempfile.mkdtemp(prefix=prefix), "making a temporary folder")
    if is_distributed():
        import torch.distributed as dist

        seen = [None] * world_size()
        dist.all_gather_object(seen, os.path.isdir(path), group=wait_group())
        blind = [r for r, ok in enumerate(seen) if not ok]
        if blind:
            if is_main():
                os.rmdir(path)
            raise KhabarError(
                f"rank(s) {blind} cannot see rank 0's temporary folder {path}: on several nodes set TMPDIR "
                "to a folder every node shares"
            )
    return path


def shutdown() -> None:
    """Leave the process group if khabar created it (the end of a `khabar train` run)."""
    if "wait" not in STATE:
        return
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group(None if STATE.get("owner") else STATE["wait"])
    STATE.clear()
