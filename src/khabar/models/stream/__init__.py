"""The streaming kind (`kind: stream`): hashed word n-gram TF-IDF and a linear model trained in
chunks, for corpora larger than memory.

`params` (the config section), `features` (stateless hashing + IDF from one pass), `model` (fit
by `partial_fit` over chunks spilled to disk, probabilities, saving as plain arrays). Only
`params` is imported here: reading a config imports no training library.
"""

from ..registry import Kind
from ..tfidf.params import SeedOnlyTrain
from .params import StreamParams, check_params

KIND = Kind(
    name="stream",
    params=StreamParams,
    train=SeedOnlyTrain,
    model="khabar.models.stream.model:StreamModel",
    check=check_params,
    streams=True,
)
