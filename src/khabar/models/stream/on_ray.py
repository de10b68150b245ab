"""Pass 1 of the streaming fit on Ray Data (`train.ray: true`): featurizing where one machine is
not enough.

Why it can run anywhere: reading, normalizing and hashing a chunk need no state (`features.py`),
so each unit of work, a data file of the train split (or, for a list of examples, one chunk of
`model.chunk_rows`), is read, normalized and hashed by a Ray Data task (`map_batches`, one unit a
batch), which spills its chunks' hashed counts to the spill folder and returns its document
frequencies. The IDF needs only their sum, added up on the driver as the results arrive (integer
sums: the order does not matter), so the features are exactly the local pass's. The spilled
chunks, in unit then chunk order, hold the articles in the local pass's order; with several
files, the chunk boundaries fall at the file ends as well.

What stays on the driver: the label set and data fingerprint (`Model.start_fit`, a pass that
reads without featurizing), the sum of frequencies (one `n_features` vector) and the SGD epochs,
which read the spilled chunks. On a cluster the data files and `train.ray_spill` must be on
storage every node sees at the same path.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Sequence

import numpy as np

from ...data.chunks import StreamedSplit, data_files
from ...errors import KhabarError
from ...examples import Example
from ...ray_session import import_ray, start_ray, user_errors_from_workers, worker_cpus
from .features import HashedTfidf
from .model import chunked, write_counts


def work_units(train, rows: int) -> list[dict]:
    """What the tasks share out: each data file of a streamed split, or each `rows` examples of a list."""
    if isinstance(train, StreamedSplit):
        return [{"unit": i, "file": path, "texts": [], "labels": []}
                for i, path in enumerate(data_files(train.cfg, train.source))]
    return [{"unit": i, "file": None, "texts": [ex.text for ex in chunk], "labels": [ex.label for ex in chunk]}
            for i, chunk in enumerate(chunked(train, rows))]


def spill_on_ray(model, train, features: HashedTfidf, folder: str) -> list[str]:
    """Featurize `train` on Ray: the spilled chunk files, in order; their document frequencies
    added to `features` (as `model._spill` would)."""
    settings = model.train_params
    units = work_units(train, model.params.chunk_rows)
    split = ({"cfg": train.cfg, "task": train.task, "source": train.source, "split": train.split}
             if isinstance(train, StreamedSplit) else None)
    ray = import_ray()
    started = start_ray(ray, settings.ray_address, progress=False)
    found: dict[int, list[str]] = {}
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        done = ray.data.from_items(units, override_num_blocks=len(units)).map_batches(
            featurize_units, batch_size=1, batch_format="pyarrow", fn_kwargs={"model": model, "folder": folder, "split": split},
            concurrency=settings.ray_workers, num_cpus=worker_cpus(ray, settings.ray_workers))
        with user_errors_from_workers():
            for row in done.iter_rows():
                features.add_frequencies(np.frombuffer(row["columns"], dtype=np.int32),
                                         np.frombuffer(row["counts"], dtype=np.int64), row["rows"])
                found[row["unit"]] = json.loads(row["files"])
    finally:
        if started:
            ray.shutdown()
    missing = sorted(set(range(len(units))) - set(found))
    if missing:
        raise KhabarError(f"train.ray: {len(missing)} of {len(units)} featurizing tasks returned nothing; see Ray's log")
    return [path for unit in sorted(found) for path in found[unit]]


def featurize_units(batch, model, folder: str, split: dict | None):
    """The task: each unit of the batch read, normalized, hashed and spilled; one row per unit
    with its spilled files and its document frequencies (sparse, as bytes)."""
    import pyarrow as pa

    out = {"unit": [], "files": [], "rows": [], "columns": [], "counts": []}
    for unit in batch.to_pylist():
        features = model.new_features()
        files = []
        for number, chunk in enumerate(unit_chunks(unit, split, model.params.chunk_rows)):
            path = os.path.join(folder, f"{unit['unit']:06d}-{number:06d}.npz")
            write_counts(path, *model.hash_chunk(chunk, features))
            files.append(path)
        columns, counts = features.frequencies()
        for key, value in (("unit", unit["unit"]), ("files", json.dumps(files)), ("rows", features.n_docs_),
                           ("columns", columns.tobytes()), ("counts", counts.astype(np.int64).tobytes())):
            out[key].append(value)
    return pa.table({"unit": pa.array(out["unit"], pa.int64()), "files": pa.array(out["files"], pa.string()),
                     "rows": pa.array(out["rows"], pa.int64()), "columns": pa.array(out["columns"], pa.binary()),
                     "counts": pa.array(out["counts"], pa.binary())})


def unit_chunks(unit: dict, split: dict | None, rows: int) -> Sequence[list[Example]]:
    """The chunks of one unit: its file read as the streamed split reads it, or its examples."""
    if unit["file"] is None:
        return [[Example(id=str(i), text=t, label=lab) for i, (t, lab) in enumerate(zip(unit["texts"], unit["labels"]))]]
    cfg = dataclasses.replace(split["cfg"], path=[unit["file"]])
    return StreamedSplit(cfg, split["task"], split["source"], split["split"]).chunks(rows)
