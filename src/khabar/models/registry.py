"""The registry of model kinds: `model.kind` in a config -> the plug-in that says everything about it.

A kind is a sub-package of `khabar.models` whose `__init__` exports `KIND`, a `Kind`. The rest of
khabar (config, training, the CLI, serving) asks the registry and never names a kind or one of
its parameters. Adding a kind is one folder and one line in `KINDS`.

A kind's `__init__` imports only its parameter dataclasses, so reading a config never imports a
training library (a TF-IDF run never imports torch); the model class is imported when needed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import KhabarError

#: name -> the package that defines it (its `KIND`)
KINDS: dict[str, str] = {
    "tfidf": "khabar.models.tfidf",
    "transformer": "khabar.models.transformer",
    "stream": "khabar.models.stream",
}


@dataclass(frozen=True)
class Kind:
    """What the rest of khabar needs to know about one model kind.

    name: the `model.kind` value.
    params / train: dataclasses of the config's `model:` (less `kind`) and `train:` sections;
      `train` must have a `seed` field. The config loader builds and type-checks them.
    model: "module:Class" of the `Model` subclass, imported on first use.
    check: cross-field checks a dataclass cannot express, `check(params, where)`, raising
      `KhabarError` with `where` ("configs/x.yaml: model") at the start; run at config load,
      before any data is read.
    default_preset: the normalization preset when the config names none, `default_preset(params)`.
    trusted_types: the types its saved files may hold (skops), checked before loading.
    data_parallel: whether `fit` may run under torchrun, one process per rank.
    unlabeled: whether `fit` learns from unlabeled articles (`data.unlabeled`, given to the model
      as its `unlabeled` setting, a list of inputs, before `fit`).
    streams: whether `fit` reads its train split in chunks (`data.chunks.StreamedSplit`, read
      again on every pass) rather than as a list in memory.
    """

    name: str
    params: type
    train: type
    model: str
    check: Optional[Callable[[Any, str], None]] = None
    default_preset: Callable[[Any], str] = lambda params: "standard"
    trusted_types: tuple[str, ...] = ()
    data_parallel: bool = False
    unlabeled: bool = False
    streams: bool = False

    def model_class(self) -> type:
        module, cls = self.model.split(":")
        return getattr(importlib.import_module(module), cls)

    def validate(self, params: Any, where: str) -> None:
        if self.check is not None:
            self.check(params, where)


def get_kind(name: Any) -> Kind:
    """The plug-in registered as `name`, or one line listing the registered names."""
    if name not in KINDS:
        raise KhabarError(f"unknown model kind {name!r}; valid kinds: {', '.join(sorted(KINDS))}")
    kind = importlib.import_module(KINDS[name]).KIND
    if kind.name != name:  # a registry line pointing at the wrong package
        raise RuntimeError(f"khabar.models.registry: {KINDS[name]} declares kind {kind.name!r}, not {name!r}")
    return kind
