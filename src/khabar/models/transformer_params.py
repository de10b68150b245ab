"""Hyper-parameters of the transformer kind, as typed dataclasses the config loader validates.

Kept apart from the model code so that reading a config never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional


@dataclass
class TransformerParams:
    """`model:` section for `kind: transformer` (AraBERT and friends)."""

    name_or_path: str = "aubmindlab/bert-base-arabertv02"
    max_length: int = field(default=512, metadata={"min": 8})
    long_strategy: Literal["head", "head_tail", "chunks"] = "head"
    head_tokens: int = field(default=128, metadata={"min": 1})
    chunk_stride: int = field(default=128, metadata={"min": 0})
    max_chunks: int = field(default=8, metadata={"min": 1})
    class_weights: bool = False


@dataclass
class TransformerTrain:
    """`train:` section for `kind: transformer`: what `TrainingArguments` needs."""

    seed: int = field(default=13, metadata={"min": 0})
    epochs: float = field(default=3.0, metadata={"exclusive_min": 0.0})
    max_steps: int = -1
    learning_rate: float = field(default=2e-5, metadata={"exclusive_min": 0.0})
    warmup_ratio: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    weight_decay: float = field(default=0.01, metadata={"min": 0.0})
    batch_size: int = field(default=16, metadata={"min": 1})
    eval_batch_size: int = field(default=32, metadata={"min": 1})
    gradient_accumulation_steps: int = field(default=1, metadata={"min": 1})
    early_stopping_patience: Optional[int] = field(default=2, metadata={"min": 1})
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "auto"
    logging_steps: int = field(default=50, metadata={"min": 1})
