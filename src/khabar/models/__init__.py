"""Registry of model kinds: `model.kind` in a config -> the class that fits it.

Classes are imported lazily so that `kind: tfidf` never imports torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import KhabarError


@dataclass(frozen=True)
class Kind:
    module: str  # relative to khabar.models
    cls: str
    params: str  # "module:Class" of the `model:` section
    train: str  # "module:Class" of the `train:` section


KINDS: dict[str, Kind] = {
    "tfidf": Kind("tfidf", "TfidfModel", "params:TfidfParams", "params:SeedOnlyTrain"),
    "transformer": Kind(
        "transformer", "TransformerModel",
        "transformer_params:TransformerParams", "transformer_params:TransformerTrain",
    ),
}


def _kind(name: str) -> Kind:
    if name not in KINDS:
        raise KhabarError(f"unknown model kind {name!r}; valid kinds: {', '.join(sorted(KINDS))}")
    return KINDS[name]


def _import(spec: str):
    module, attr = spec.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr)


def params_class(kind: str) -> type:
    return _import(_kind(kind).params)


def train_class(kind: str) -> type:
    return _import(_kind(kind).train)


def model_class(kind: str) -> type:
    k = _kind(kind)
    return _import(f"{k.module}:{k.cls}")
