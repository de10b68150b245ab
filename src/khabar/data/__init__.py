"""Data: every input (csv, tsv, JSON lines, JSON, parquet, a folder per label, a Hub dataset) ->
the same checked `Example`s, and train/dev/test splits.

`load` is the front door (`load_examples`, `load_splits`, `guess_data_config`, `read_unlabeled`);
`spec` the `data:` config section; `formats` the registry of table readers; `files` byte-level
checks; `columns` column-name guessing; `rows` row checks; `hub` Hub datasets; `splits` splitting;
`stats` what `khabar data stats` reports; `gold` the labeled data `khabar evaluate` reads for a model.

The names are imported on first use (PEP 562): a command that only needs `formats` (the help of
`khabar evaluate` lists the extensions) does not pay for `load` and its readers at start-up.
"""

import importlib

#: each public name and the submodule that defines it
_WHERE = {"DataConfig": "spec", "SplitRatios": "spec", "guess_data_config": "load", "load_examples": "load",
          "load_splits": "load", "read_unlabeled": "load"}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
