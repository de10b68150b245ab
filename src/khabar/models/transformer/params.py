"""Hyper-parameters of the transformer kind, as typed dataclasses the config loader validates.

Kept apart from the model code so that reading a config never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from ...errors import KhabarError

#: `model.name_or_path` value that builds a small random BERT instead of loading a checkpoint.
SCRATCH = "scratch"


@dataclass
class ScratchParams:
    """`model.scratch:` sizes of the BERT built when `name_or_path: scratch`.

    The WordPiece vocabulary is trained on the normalized training texts only.
    """

    layers: int = field(default=2, metadata={"min": 1})
    hidden: int = field(default=64, metadata={"min": 8})
    heads: int = field(default=2, metadata={"min": 1})
    intermediate: int = field(default=128, metadata={"min": 8})
    vocab_size: int = field(default=4000, metadata={"min": 100})
    max_position_embeddings: int = field(default=512, metadata={"min": 16})
    min_frequency: int = field(default=2, metadata={"min": 1})
    dropout: float = field(default=0.1, metadata={"min": 0.0, "max": 0.9})


@dataclass
class TransformerParams:
    """`model:` section for `kind: transformer` (AraBERT and friends).

    name_or_path: a local checkpoint directory, a Hub name already in the local Hugging Face cache
      (or downloadable when online), or `scratch` (a small random BERT, see `scratch:`).
    max_length: tokens per input, special tokens included.
    long_strategy: what to do with articles longer than max_length, the same in training and
      prediction. head: the first tokens. head_tail: the first `head_tokens` tokens and the last
      ones that fill the rest. chunks: overlapping windows (`chunk_stride` tokens shared by
      neighbouring windows, at most `max_chunks` spread over the article); every window is a
      training example with the article's label, and at prediction the windows' logits are averaged.
      For stance the claim is always kept whole and only the article is cut.
    class_weights: weight the loss by inverse class frequency (for skewed labels such as stance).
    prior: a trained khabar transformer model (run, model/ folder or experiment folder), of any
      label set, to start from instead of name_or_path: its encoder's weights and its tokenizer,
      with a new classification head for this model's labels (keep its normalize preset).
    """

    name_or_path: str = "aubmindlab/bert-base-arabertv02"
    max_length: int = field(default=512, metadata={"min": 8})
    long_strategy: Literal["head", "head_tail", "chunks"] = "head"
    head_tokens: int = field(default=128, metadata={"min": 1})
    chunk_stride: int = field(default=128, metadata={"min": 0})
    max_chunks: int = field(default=8, metadata={"min": 1})
    class_weights: bool = False
    prior: Optional[str] = None
    scratch: ScratchParams = field(default_factory=ScratchParams)


@dataclass
class TransformerTrain:
    """`train:` section for `kind: transformer`: what `TrainingArguments` needs.

    Early stopping watches dev macro-F1 (evaluated once per epoch) and the best epoch's weights
    are kept. mixed_precision auto: bf16 (or fp16) only on a CUDA GPU that supports it.
    eval_batch_size is also the batch size of prediction.
    """

    seed: int = field(default=13, metadata={"min": 0})
    epochs: float = field(default=3.0, metadata={"exclusive_min": 0.0})
    max_steps: int = -1
    learning_rate: float = field(default=2e-5, metadata={"exclusive_min": 0.0})
    warmup_ratio: float = field(default=0.1, metadata={"min": 0.0, "max": 0.9})
    weight_decay: float = field(default=0.01, metadata={"min": 0.0})
    batch_size: int = field(default=16, metadata={"min": 1})
    eval_batch_size: int = field(default=32, metadata={"min": 1})
    gradient_accumulation_steps: int = field(default=1, metadata={"min": 1})
    early_stopping_patience: Optional[int] = field(default=2, metadata={"min": 1})
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "auto"
    logging_steps: int = field(default=50, metadata={"min": 1})


def check_params(params: TransformerParams, where: str = "model") -> None:
    """Cross-field checks a dataclass cannot express; `where` prefixes the message (file: model)."""
    if params.long_strategy == "head_tail" and params.head_tokens > params.max_length - 4:
        raise KhabarError(
            f"{where}.head_tokens: {params.head_tokens} leaves no room for the tail within max_length "
            f"{params.max_length}; use a value below {params.max_length - 4}, e.g. {params.max_length // 4}"
        )
    if params.long_strategy == "chunks" and params.chunk_stride * 2 > params.max_length:
        raise KhabarError(
            f"{where}.chunk_stride: the overlap of neighbouring windows ({params.chunk_stride}) must be at most "
            f"half of max_length ({params.max_length}); e.g. {params.max_length // 4}"
        )
    if params.name_or_path == SCRATCH:
        s = params.scratch
        if s.hidden % s.heads:
            raise KhabarError(f"{where}.scratch.hidden: {s.hidden} must be a multiple of heads ({s.heads})")
        if params.max_length > s.max_position_embeddings:
            raise KhabarError(
                f"{where}.max_length: {params.max_length} exceeds scratch.max_position_embeddings "
                f"({s.max_position_embeddings}); lower max_length or raise max_position_embeddings"
            )

