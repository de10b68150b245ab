"""Label a corpus too large for one machine with Ray Data (`khabar predict --engine ray`).

Why Ray Data: it reads Parquet and JSON-lines shards in parallel from local disks or object
stores, streams them through a pool of workers, and writes Parquet shards back, on one machine
or a cluster, without the corpus ever sitting in one process's memory. The model is loaded once
per worker (a callable class in `map_batches` becomes a pool of actors), not once per batch.
`ray` is an optional extra, imported only here and only when called.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
from typing import Optional, Sequence, Union

import numpy as np

from ..data.files import check_json_nesting
from ..data.formats import FORMATS, format_of, peek_columns
from ..errors import KhabarError
from ..examples import model_input, needs_pair
from ..models.base import load_model
from ..runs.choose import resolve_model_dir
from ..models.manifest import read_manifest
from ..models.predict import check_request, resolve_min_confidence, rows
from ..models.scheme import OneLabel
from ..ray_session import import_ray, start_ray, user_errors_from_workers, worker_cpus


#: the arrow type of each field a prediction record may have (`models.scheme`)
def _field_types():
    import pyarrow as pa

    scored = pa.list_(pa.struct([("label", pa.string()), ("probability", pa.float64())]))
    return {"label": pa.string(), "probability": pa.float64(), "abstained": pa.bool_(), "labels": scored,
            "top_k": scored}


def label_table(ids, records: Sequence[dict], fields: Sequence[str]):
    """A pyarrow table of prediction records (the rows of `models.predict.rows`; `fields` their
    keys, the model's `scheme.fields`, so an empty batch has the same columns): id first (when
    given), then one column per field. Shared by every engine so their outputs match."""
    import pyarrow as pa

    types = _field_types()
    columns = {} if ids is None else {"id": ids}
    for name in fields:
        columns[name] = pa.array([r[name] for r in records], types[name])
    return pa.table(columns)


class _Labeler:
    """One per Ray worker: loads the model at start, then labels batches (pyarrow tables)."""

    def __init__(self, model_dir, text_column, pair_column, id_column, top_k, device, min_confidence=None, labels=None):
        self.model = load_model(model_dir)
        self.model.set_device(device)
        self.text_column, self.pair_column, self.id_column, self.top_k = text_column, pair_column, id_column, top_k
        check_request(self.model, min_confidence, labels)
        self.min_confidence = resolve_min_confidence(self.model, min_confidence)  # the model's stored one by default
        self.labels = labels

    def __call__(self, batch):
        needed = [c for c in (self.id_column, self.text_column, self.pair_column) if c]
        missing = [c for c in needed if c not in batch.column_names]
        if missing:
            raise KhabarError(f"column(s) {missing} not in the input (it has {batch.column_names}); "
                              "pass the right text_column / pair_column / id_column")
        ids = batch.column(self.id_column) if self.id_column else None
        columns = [self.text_column] + ([self.pair_column] if self.pair_column else [])
        values = [batch.column(c).to_pylist() for c in columns]
        for column, texts in zip(columns, values):
            for row, text in enumerate(texts):
                if not isinstance(text, str) or not text.strip():
                    where = f"id {ids[row].as_py()!r}" if ids is not None else f"a row of a batch of {len(texts)}"
                    raise KhabarError(f"{where}: empty or missing {column!r}; drop or fill such rows before labeling")
        # stance: (claim, article), under the one input rule every output follows
        inputs = [model_input(self.model.task, *item, where=f"row {i + 1}")
                  for i, item in enumerate(zip(*values))]
        proba = self.model.predict_proba(inputs) if inputs else np.zeros((0, len(self.model.labels_)))
        return label_table(ids, rows(self.model, proba, self.top_k, None, self.min_confidence, self.labels),
                           self.model.scheme.fields)


def ray_reader(path: str) -> str:
    """The Ray Data reader for a file, from the format registry. Ray picks files by extension, so
    only each format's own one is accepted (.parquet, .jsonl, .json, the JSON ones gzipped too;
    not .pq or .ndjson)."""
    fmt = format_of(path)
    if fmt is not None and FORMATS[fmt].ray_reader and path.lower().removesuffix(".gz").endswith(f".{fmt}"):
        return FORMATS[fmt].ray_reader
    accepted = ", ".join(f".{name}" for name, f in FORMATS.items() if f.ray_reader)
    raise KhabarError(f"{path}: unknown format for the ray engine; give {accepted} files (JSON ones may be .gz)")


def _expand(input_paths: Union[str, Sequence[str]]) -> dict[str, list[str]]:
    """Files grouped by format. Local folders are walked and globs (a quoted "shards/*.parquet")
    expanded; remote URIs (s3://...) are passed on to Ray as they are."""
    groups: dict[str, list[str]] = {"parquet": [], "json": []}
    for path in [input_paths] if isinstance(input_paths, (str, os.PathLike)) else input_paths:
        path = os.fspath(path)
        if "://" not in path and glob.has_magic(path):
            files = sorted(f for f in glob.glob(path, recursive=True) if os.path.isfile(f))
            if not files:
                raise KhabarError(f"{path}: no file matches; check the pattern")
        elif "://" not in path and os.path.isdir(path):
            files = sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names
                           if not f.startswith((".", "_")))
            if not files:
                raise KhabarError(f"{path}: empty folder; give Parquet or JSON-lines shards")
        elif "://" not in path and not os.path.isfile(path):
            raise KhabarError(f"{path}: no such file or folder")
        else:
            files = [path]
        for f in files:
            groups[ray_reader(f)].append(f)
            if ray_reader(f) == "json" and "://" not in f:
                check_json_nesting(f)  # pyarrow's reader crashes the worker on deep nesting
    return groups


def predict_with_ray(
    model_dir: str,
    input_paths: Union[str, Sequence[str]],
    output_dir: str,
    *,
    text_column: str = "text",
    pair_column: Optional[str] = None,
    id_column: Optional[str] = "id",
    batch_size: int = 1024,
    num_workers: int = 2,
    top_k: int = 3,
    address: Optional[str] = None,
    device: str = "cpu",
    progress: bool = True,
    min_confidence: Optional[float] = None,
    labels: Optional[Sequence[str]] = None,
) -> dict:
    """Label Parquet / JSON-lines shards with one model per Ray worker; write Parquet shards.

    `text_column` holds the article. A stance model reads (claim, article) pairs as in
    `Example(text, text_pair)` and `khabar predict --text/--pair`: `text_column` names the claim
    column and `pair_column` the article column.
    `address` joins a running cluster ("auto", "ray://head:10001"); None starts a local Ray on
    this machine (or uses the one this process already started). On a cluster, `model_dir`, the
    inputs and `output_dir` must be reachable from every node at the same path (shared storage,
    or s3:// / gs:// URIs for the data).
    `min_confidence`: abstain (label null, abstained true) below this top probability; None uses
    the model's stored threshold (its scheme's `min_confidence`), 0 never abstains. `labels`:
    restrict the prediction to this subset of the model's labels, renormalized.
    Output rows: id and the prediction record (`models.scheme`): label, probability, abstained,
    top_k (a multi-label model: label, probability, labels, top_k; it takes neither
    `min_confidence` nor `labels`: its scheme's `check_request`). A local `output_dir` is written under a temporary
    name and renamed when complete, so a failed run leaves nothing that looks finished. Returns
    {"rows", "files", "output_dir", "seconds"} (seconds exclude starting Ray).
    """
    model_dir = resolve_model_dir(os.fspath(model_dir))
    labels = _check_request(read_manifest(model_dir), pair_column, batch_size, num_workers, top_k, min_confidence, labels)
    groups = _expand(input_paths)
    _check_columns(groups, (id_column, text_column, pair_column))
    output_dir, remote, partial = _output(output_dir)
    labeler = dict(model_dir=os.path.abspath(model_dir), text_column=text_column, pair_column=pair_column,
                   id_column=id_column, top_k=top_k, device=device, min_confidence=min_confidence, labels=labels)

    ray = import_ray()
    started = start_ray(ray, address, progress)
    start = time.perf_counter()
    try:
        _label(ray, groups, partial, labeler, batch_size, num_workers, progress)
        if not remote:
            os.replace(partial, output_dir)  # replaces an empty folder too
    except BaseException:
        if not remote:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        if started:
            ray.shutdown()
    return {"output_dir": output_dir, "seconds": time.perf_counter() - start, **_summary(output_dir, remote)}


def _output(output_dir) -> tuple[str, bool, str]:
    """(the output folder, whether it is remote, where to write before the rename: the folder itself
    when remote), refusing a local folder that is not empty."""
    output_dir = os.fspath(output_dir)
    remote = "://" in output_dir
    if not remote and os.path.exists(output_dir) and os.listdir(output_dir):
        raise KhabarError(f"{output_dir}: already exists and is not empty; choose a new output folder")
    return output_dir, remote, output_dir if remote else f"{output_dir.rstrip(os.sep)}.partial-{os.getpid()}"


def _check_columns(groups: dict, columns: Sequence[Optional[str]]) -> None:
    for path, names in _columns(groups).items():
        missing = [c for c in columns if c and c not in names]
        if missing:
            raise KhabarError(f"{path}: no column {', '.join(map(repr, missing))} (it has {', '.join(names)}); "
                              "name the right ones with text_column / pair_column / id_column")


def _check_request(manifest, pair_column, batch_size, num_workers, top_k, min_confidence, labels) -> Optional[list]:
    """Everything a run can refuse before Ray starts, each in one line; the label subset as a list."""
    if needs_pair(manifest.task) and not pair_column:
        raise KhabarError("this is a stance model: name the claim column with text_column and the article column with pair_column")
    if not needs_pair(manifest.task) and pair_column:
        raise KhabarError("this is a topic model: it reads one text column; drop pair_column")
    if batch_size < 1 or num_workers < 1 or top_k < 1:
        raise KhabarError("batch_size, num_workers and top_k must be at least 1")
    scheme = OneLabel.from_manifest(manifest)
    scheme.check_request(min_confidence, labels)
    if labels is None:
        return None
    scheme.restrict(np.zeros((0, len(manifest.labels))), manifest.labels, list(labels))  # refused here, not in a worker
    return list(labels)


def _label(ray, groups: dict, partial: str, labeler: dict, batch_size: int, num_workers: int, progress: bool) -> None:
    """Read the shards, label them with a pool of `_Labeler` actors and write Parquet to `partial`."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = progress
    parts = []
    if groups["parquet"]:
        parts.append(ray.data.read_parquet(groups["parquet"]))
    if groups["json"]:
        # pyarrow's reader (the default) reads JSON-lines, gzipped too, into Arrow blocks like
        # Parquet's; lines=True gives pandas blocks, which Ray 2.60 cannot batch with Arrow ones.
        parts.append(ray.data.read_json(groups["json"]))
    ds = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    # Ray may read many shards as one block, and a block goes to one worker (8 shards of 2,500
    # articles: one worker labeled all while the other idled). Blocks of one batch each are
    # shared out; this repartition streams, it does not wait for the whole corpus.
    ds = ds.repartition(target_num_rows_per_block=batch_size)
    labeled = ds.map_batches(
        _Labeler, batch_size=batch_size, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=num_workers), num_cpus=worker_cpus(ray, num_workers),
        fn_constructor_kwargs=labeler)
    with user_errors_from_workers():
        labeled.write_parquet(partial)


def _summary(output_dir: str, remote: bool) -> dict:
    if remote:
        return {"rows": None, "files": None}
    import pyarrow.parquet as pq

    files = sorted(os.path.join(output_dir, f) for f in os.listdir(output_dir) if f.endswith(".parquet"))
    return {"rows": sum(pq.read_metadata(f).num_rows for f in files), "files": files}


def _columns(groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """Column names of the first local file of each format, read without Ray, to catch a
    wrong column name in a second rather than after starting a cluster job."""
    found = {}
    for fmt, files in groups.items():
        local = [f for f in files if "://" not in f]
        if local:  # Ray's json reader takes JSON-lines: peek at the first record, not a JSON list
            found[local[0]] = peek_columns(local[0], "parquet" if fmt == "parquet" else "jsonl")
    return found
