"""Data: every input (csv, tsv, JSON lines, JSON, parquet, a folder per label, a Hub dataset) ->
the same checked `Example`s, and train/dev/test splits.

`load` is the front door (`load_examples`, `load_splits`, `guess_data_config`, `read_unlabeled`);
`spec` the `data:` config section; `formats` the registry of table readers; `files` byte-level
checks; `columns` column-name guessing; `rows` row checks; `hub` Hub datasets; `splits` splitting;
`stats` what `khabar data stats` reports; `gold` the labeled data `khabar evaluate` reads for a model.
"""

from .load import guess_data_config, load_examples, load_splits, read_unlabeled
from .spec import DataConfig, SplitRatios

__all__ = ["DataConfig", "SplitRatios", "guess_data_config", "load_examples", "load_splits", "read_unlabeled"]
