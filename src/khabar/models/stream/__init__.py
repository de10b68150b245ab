"""The streaming kind (`kind: stream`): hashed word n-gram TF-IDF and a linear model trained in
chunks, for corpora larger than memory.

`params` (the config sections), `features` (stateless hashing + IDF from one pass), `model` (fit
by `partial_fit` over chunks spilled to disk, probabilities, saving as plain arrays). Only
`params` is imported here: reading a config imports no training library.
"""

from ..registry import Kind
from .params import StreamParams, StreamTrain, check_params

KIND = Kind(
    name="stream",
    params=StreamParams,
    train=StreamTrain,
    model="khabar.models.stream.model:StreamModel",
    check=check_params,
    streams=True,
)
