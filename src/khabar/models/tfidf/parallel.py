"""A large batch predicted on every core: slices of it go to worker processes, whole.

Why processes: normalizing and featurizing are pure Python, and the GIL holds threads back.
Why the whole prediction goes to a worker, not only the featurizing: workers that sent back
TF-IDF rows (some 1,800 non-zeros per SANAD article) while the parent normalized and waited
reached 0.82x the peer's throughput on SANAD test; workers that send back probabilities (a few
numbers per article) while the parent predicts the first slice reached 1.31-1.41x (bench/scale.py,
2026-12-07). Each worker reads the model once from a file (`_predict_in_worker`) and keeps it,
rather than receiving it with every call.

The workers compute the classifier's probabilities only; what the model's scheme does with them
(label offsets, thresholds, abstaining) stays in the parent, so a setting changed after the
first call (say, an abstain threshold) is never served stale by a worker's copy.
"""

from __future__ import annotations

import atexit
import os
import pickle
import tempfile
import uuid
import weakref

import numpy as np

#: articles per process below which a batch is predicted in this process alone
PARALLEL_ROWS = 1500

#: in a worker process: the model of the last call, by key (`_predict_in_worker`)
_IN_WORKER: dict = {}
#: in the parent: model -> (key, file, the fitted pipeline the file holds), see `_shared_copy`
_SHARED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container or `taskset` may
    narrow below the machine's `os.cpu_count()`)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def processes_for(rows: int) -> int:
    """How many processes a batch of `rows` is shared among (1: this process alone)."""
    return max(1, min(available_cores(), rows // PARALLEL_ROWS))


def proba_on_every_core(model, inputs: list) -> np.ndarray:
    """`model.classifier_proba(inputs)` computed in `processes_for(len(inputs))` processes, this
    one included, with the same rows in the same order. A bad input raises the error it raises
    in one process (its row numbers count from the batch's first input)."""
    jobs = processes_for(len(inputs))
    if jobs < 2:
        return model.classifier_proba(inputs)
    from joblib.externals.loky import get_reusable_executor

    key, path = _shared_copy(model)
    bounds = slice_bounds(inputs, jobs)
    executor = get_reusable_executor(max_workers=jobs - 1)
    futures = [executor.submit(_predict_in_worker, key, path, inputs[a:b], a) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        parts = [model.classifier_proba(inputs[: bounds[1]])] + [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
    return np.vstack(parts)


def slice_bounds(inputs: list, parts: int) -> list[int]:
    """Where `inputs` is cut into `parts` slices of about as many characters each (not as many
    inputs: the cost is per character, and a corpus in date or topic order puts its long
    articles together); every slice keeps at least one input."""
    sizes = np.fromiter((len(x) if isinstance(x, str) else sum(map(len, x)) for x in inputs), dtype=np.float64,
                        count=len(inputs))
    ends = np.cumsum(sizes + 1.0)  # + 1: empty inputs count too
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, parts) / parts) + 1
    cuts = np.clip(cuts, np.arange(1, parts), len(inputs) - np.arange(parts - 1, 0, -1))
    return [0, *np.maximum.accumulate(cuts).tolist(), len(inputs)]


def _predict_in_worker(key: str, path: str, inputs: list, first: int) -> np.ndarray:
    model = _IN_WORKER.get(key)
    if model is None:
        _IN_WORKER.clear()  # one model per worker at a time
        with open(path, "rb") as fh:
            model = _IN_WORKER[key] = pickle.load(fh)
    return model.classifier_proba(inputs, first=first)


def _shared_copy(model) -> tuple[str, str]:
    """(key, file) of `model` pickled for the workers: written on its first parallel call and again
    after a new fit (another pipeline), removed when this process exits."""
    pipeline = getattr(model, "pipeline_", None)
    shared = _SHARED.get(model)
    if shared is not None and shared[2]() is pipeline:
        return shared[0], shared[1]
    if shared is not None:
        _remove(shared[1])
    with tempfile.NamedTemporaryFile(prefix="khabar-model-", suffix=".pkl", delete=False) as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    atexit.register(_remove, fh.name)
    key = uuid.uuid4().hex
    _SHARED[model] = (key, fh.name, weakref.ref(pipeline))
    return key, fh.name


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
