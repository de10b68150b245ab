"""Hyper-parameters of the streaming kind, as a dataclass the config loader validates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from ...errors import KhabarError


@dataclass
class StreamParams:
    """`model:` section for `kind: stream`.

    word_ngrams: [min, max] word n-gram lengths, hashed (no vocabulary is kept).
    n_features: hashing dimensions, 2**18 .. 2**24; more means fewer collisions and a bigger model
      (labels x n_features float32 weights).
    loss / alpha / average: scikit-learn's SGDClassifier, trained with partial_fit; hinge is a
      linear SVM, its probabilities come from a softmax temperature fitted on the dev split.
    epochs: passes over the training chunks (the first pass also counts document frequencies).
    chunk_rows: articles read and featurized at a time; shuffle_chunks: chunks whose rows are
      shuffled together and learned from at a time. Together they bound memory.
    """

    word_ngrams: list[int] = field(default_factory=lambda: [1, 2])
    n_features: int = field(default=2 ** 21, metadata={"min": 2 ** 10, "max": 2 ** 24})
    sublinear_tf: bool = True
    loss: Literal["hinge", "log_loss", "modified_huber"] = "hinge"
    alpha: float = field(default=1e-5, metadata={"exclusive_min": 0.0})
    average: bool = False
    epochs: int = field(default=5, metadata={"min": 1, "max": 100})
    chunk_rows: int = field(default=4096, metadata={"min": 16})
    shuffle_chunks: int = field(default=8, metadata={"min": 1})


@dataclass
class StreamTrain:
    """`train:` section for `kind: stream`.

    seed: the order of chunks and rows in every epoch, and SGD's own.
    ray: featurize the train split on Ray Data (`on_ray.py`): each data file (or, for a list of
      examples, each chunk) is read, normalized, hashed and spilled by a Ray worker, and the IDF is
      the sum of the document frequencies the workers counted; the features are identical to the
      local pass. For corpora whose featurizing one machine cannot do in time: on a cluster, the
      data files and the spill folder (`ray_spill`) must be on storage every node sees at the
      same path. Needs the `ray` extra.
    ray_address: the cluster to join ("auto", "ray://head:10001"); null starts a local Ray.
    ray_workers: featurizing tasks at a time.
    ray_spill: a folder for the hashed counts (deleted when the fit ends); null: a temporary folder
      on this machine, which only a local Ray can use.
    """

    seed: int = field(default=13, metadata={"min": 0})
    ray: bool = False
    ray_address: Optional[str] = None
    ray_workers: int = field(default=2, metadata={"min": 1})
    ray_spill: Optional[str] = None


def check_params(params: StreamParams, where: str = "model") -> None:
    rng = params.word_ngrams
    if len(rng) != 2 or not 1 <= rng[0] <= rng[1]:
        raise KhabarError(f"{where}.word_ngrams: expected [min, max] with 1 <= min <= max; got {rng}")
