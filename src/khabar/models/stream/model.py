"""The streaming model: memory bounded by a chunk, whatever the size of the corpus.

Fit, with the train split read in chunks (`data.chunks.StreamedSplit` or any list):
1. one pass: normalize and hash each chunk, add its document frequencies, and spill its hashed
   counts to a temporary folder (float32 values, int32 columns: about 8 bytes per non-zero);
   with `train.ray: true` this pass runs on Ray Data instead (`on_ray.py`), with the same features;
2. the IDF from those frequencies;
3. `epochs` passes over the spilled chunks, in a seeded random order, `shuffle_chunks` of them
   at a time with their rows shuffled together, turned to TF-IDF and given to
   `SGDClassifier.partial_fit`.
Only `shuffle_chunks` chunks, the IDF and the weights are in memory at a time; the spill folder is deleted
when the fit ends, however it ends. Reading the spill is much faster than reading, normalizing
and hashing the corpus again on every epoch.

Probabilities: a softmax of the decision scores with one temperature fitted on the dev split
(`tfidf.temperature.fit_temperature`: monotone, so the label is exactly the linear model's).
Saved as plain arrays (`numpy.savez`, loaded with `allow_pickle=False`): the IDF, the weights,
the intercepts and the temperature; the hashing needs no state.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax

from ...errors import KhabarError
from ...examples import Example, needs_pair
from ...log import say
from ..base import Inputs, Model, rebuild_config
from ..manifest import RESTORE
from ..tfidf.temperature import fit_temperature
from . import KIND
from .features import HashedTfidf

WEIGHTS = "hashed_linear.npz"


def chunked(examples: Iterable[Example], rows: int) -> Iterable[list[Example]]:
    """Lists of at most `rows` examples: a streamed split's own chunks, or slices of a list."""
    if hasattr(examples, "chunks"):
        yield from examples.chunks(rows)
        return
    examples = list(examples)
    for start in range(0, len(examples), rows):
        yield examples[start:start + rows]


def write_counts(path: str, counts, y: np.ndarray) -> None:
    """One chunk's hashed counts and label numbers, spilled as plain arrays."""
    np.savez(path, data=counts.data, indices=counts.indices, indptr=counts.indptr, y=y)


def read_counts(path: str, n_features: int):
    with np.load(path, allow_pickle=False) as part:
        y = part["y"]
        return sp.csr_matrix((part["data"], part["indices"], part["indptr"]), shape=(len(y), n_features)), y


class StreamModel(Model):
    kind = KIND.name

    def new_features(self) -> HashedTfidf:
        """Empty features (no document frequencies yet) with this model's settings."""
        p = self.params
        return HashedTfidf(p.word_ngrams, p.n_features, p.sublinear_tf)

    # -- fit ---------------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "StreamModel":
        if self.multi_label or needs_pair(self.task):
            raise KhabarError("model.kind stream: learns one topic per article; use kind tfidf for stance or "
                              "multi-label data")
        self.start_fit(train)
        if len(self.labels_) < 2:
            raise KhabarError(f"training data has {len(self.labels_)} label(s) {self.labels_}; a classifier needs at least 2")
        dev_in = [ex for ex in dev or [] if ex.label in self.labels_]
        if len({ex.label for ex in dev_in}) < 2:
            raise KhabarError("model.kind stream: needs a dev split with at least 2 labels to fit its probabilities "
                              "(its split column, or a dev file)")
        start = time.perf_counter()
        features = self.new_features()
        on_ray, spill_in = self.train_params.ray, self.train_params.ray_spill
        if on_ray and spill_in is not None and not os.path.isdir(spill_in):
            raise KhabarError(f"train.ray_spill: {spill_in}: no such folder; create it, on storage every Ray node "
                              "sees at the same path")
        with tempfile.TemporaryDirectory(prefix="khabar-stream-", dir=spill_in if on_ray else None) as spill:
            if on_ray:
                from .on_ray import spill_on_ray

                files = spill_on_ray(self, train, features, spill)
            else:
                files = self._spill(train, features, spill)
            features.finish()
            say(f"features: {len(files)} chunks, {features.n_docs_:,} articles hashed to {features.n_features:,} "
                f"columns ({time.perf_counter() - start:.1f}s)")
            classifier = self._learn(files, features)
        self.features_ = features
        self.coef_ = classifier.coef_.astype(np.float32)
        self.intercept_ = classifier.intercept_.astype(np.float32)
        if len(self.labels_) == 2:  # scikit-learn's one score for two classes, as two columns
            self.coef_ = np.vstack([-self.coef_, self.coef_])
            self.intercept_ = np.concatenate([-self.intercept_, self.intercept_])
        self.temperature_ = 1.0
        scores = self._scores(self.normalize_inputs([ex.inputs for ex in dev_in], training=True))
        self.temperature_ = fit_temperature(scores, [ex.label for ex in dev_in], self.labels_)
        self.probabilities_ = (f"softmax of decision scores, temperature {self.temperature_:.3g} "
                                                 "fitted on the dev split")
        say(f"fitted SGD ({self.params.loss}, {self.params.epochs} epochs) in {time.perf_counter() - start:.1f}s")
        return self

    def _spill(self, train, features: HashedTfidf, folder: str) -> list[str]:
        """Pass 1: hashed counts of each chunk to `folder`, document frequencies into `features`."""
        files = []
        for number, chunk in enumerate(chunked(train, self.params.chunk_rows)):
            path = os.path.join(folder, f"{number}.npz")
            write_counts(path, *self.hash_chunk(chunk, features))
            files.append(path)
        return files

    def hash_chunk(self, chunk: Sequence[Example], features: HashedTfidf):
        """(hashed counts, label numbers) of one chunk, its document frequencies added to `features`."""
        counts = features.counts(self.normalize_inputs([ex.inputs for ex in chunk], training=True))
        features.add_counts(counts)
        index = {label: i for i, label in enumerate(self.labels_)}
        return counts, np.array([index[ex.label] for ex in chunk], dtype=np.int32)

    def _learn(self, files: list[str], features: HashedTfidf):
        """`epochs` passes; each takes the spilled chunks in a new random order, `shuffle_chunks`
        at a time, and learns from their rows shuffled together: a corpus stored sorted by label
        (SANAD is) would otherwise feed SGD one label for thousands of steps."""
        from sklearn.linear_model import SGDClassifier

        p, seed = self.params, self.train_params.seed
        classifier = SGDClassifier(loss=p.loss, alpha=p.alpha, average=p.average, random_state=seed)
        classes = np.arange(len(self.labels_))
        rng = np.random.default_rng(seed)
        for _ in range(p.epochs):
            order = rng.permutation(len(files))
            for start in range(0, len(order), p.shuffle_chunks):
                parts = [read_counts(files[j], features.n_features) for j in order[start:start + p.shuffle_chunks]]
                counts = sp.vstack([x for x, _ in parts], format="csr")
                y = np.concatenate([y for _, y in parts])
                del parts
                rows = rng.permutation(len(y))
                classifier.partial_fit(features.tfidf(counts)[rows], y[rows], classes=classes)
        return classifier

    # -- predict -----------------------------------------------------------------------------------
    def _scores(self, normalized: list) -> np.ndarray:
        matrix = self.features_.transform(normalized)
        return np.asarray(matrix @ self.coef_.T) + self.intercept_

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        self.check_fitted()
        inputs = list(inputs)
        out = np.zeros((len(inputs), len(self.labels_)))
        step = self.params.chunk_rows
        for begin in range(0, len(inputs), step):
            scores = self._scores(self.normalize_inputs(inputs[begin:begin + step]))
            out[begin:begin + step] = softmax(scores / self.temperature_, axis=1)
        return out

    # -- persistence -------------------------------------------------------------------------------
    def save_weights(self, directory: str) -> None:
        with open(os.path.join(directory, WEIGHTS), "wb") as fh:
            np.savez(fh, idf=self.features_.idf_, coef=self.coef_, intercept=self.intercept_,
                     temperature=np.float64(self.temperature_))

    @classmethod
    def load_weights(cls, directory: str, manifest) -> "StreamModel":
        path = os.path.join(directory, WEIGHTS)
        if not os.path.isfile(path):
            raise KhabarError(f"{path}: missing; the model directory is incomplete, {RESTORE}")
        params, train, normalize = rebuild_config(manifest, directory)
        if manifest.multi_label is not None:
            raise KhabarError(f"{directory}: the manifest says multi-label, which kind stream never writes; {RESTORE}")
        model = cls(manifest.task, params, train, normalize, manifest.labels)
        model.labels_ = list(manifest.labels)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
                temperature = float(arrays["temperature"])
        except Exception as exc:  # zipfile, numpy and a missing key fail differently: all the same to the user
            raise KhabarError(f"{path}: not a readable weights file ({type(exc).__name__}); {RESTORE}") from None
        n, k = params.n_features, len(model.labels_)
        if idf.shape != (n,) or coef.shape != (k, n) or intercept.shape != (k,):
            raise KhabarError(f"{path}: arrays of shapes idf {idf.shape}, coef {coef.shape}, intercept {intercept.shape} "
                              f"do not match {k} labels and {n} features in the manifest; {RESTORE}")
        if not (np.all(np.isfinite(idf)) and np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))
                and np.isfinite(temperature) and temperature > 0):
            raise KhabarError(f"{path}: holds values that are not finite (or a temperature <= 0); {RESTORE}")
        model.features_ = model.new_features()
        model.features_.idf_, model.features_.df_ = idf.astype(np.float32), None
        model.coef_, model.intercept_, model.temperature_ = coef.astype(np.float32), intercept.astype(np.float32), temperature
        return model
