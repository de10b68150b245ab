"""The TF-IDF + linear baseline: strong, fast, and the model to beat.

Topic: word and within-word character n-gram TF-IDF (either or both; see `WordCharTfidf` for
why it is computed per distinct word), sublinear TF, a linear classifier.
Stance: `PairFeatures` (relation between claim and text) instead of gluing the two together.
Probabilities: logistic regression and SGD (log loss) have their own; LinearSVC has none, so its
decision scores go through a softmax whose temperature is fitted on the dev split (else on 3-fold
cross-validated scores): monotone, so the label is exactly LinearSVC's. Which one ran is recorded
in the manifest.

Saved with skops, never pickle: loading checks every type in the file against the kind's `trusted_types`
and refuses a file that needs anything else.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Sequence

import numpy as np
from sklearn.model_selection import cross_val_predict
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from ...errors import KhabarError
from ...examples import Example, needs_pair
from ...log import say
from ..base import Inputs, Model, rebuild_config
from . import KIND
from .pair_features import PairFeatures
from .temperature import TemperatureScaled, fit_temperature
from .word_char import WordCharTfidf

WEIGHTS = "pipeline.skops"


class TfidfModel(Model):
    kind = KIND.name

    # -- building ----------------------------------------------------------------------------
    def _features(self):
        p = self.params
        if needs_pair(self.task):
            ngrams = tuple(p.word_ngrams or (1, 1))
            return PairFeatures(ngram_range=ngrams, min_df=1, sublinear_tf=p.sublinear_tf, best_sentences=p.best_sentences)
        return WordCharTfidf(
            word_ngrams=tuple(p.word_ngrams) if p.word_ngrams else None,
            char_ngrams=tuple(p.char_ngrams) if p.char_ngrams else None,
            min_df=p.min_df, max_df=p.max_df, sublinear_tf=p.sublinear_tf, max_features=p.max_features,
        )

    def _classifier(self):
        p = self.params
        weight = "balanced" if p.class_weight == "balanced" else None
        seed = self.train_params.seed
        if p.classifier == "linear_svc":
            return LinearSVC(C=p.C, class_weight=weight, max_iter=p.max_iter, random_state=seed)
        if p.classifier == "logreg":
            # newton-cg, not the default lbfgs: on ANS stance features it converged in 9 iterations
            # (1.2 s) where lbfgs stopped at its tolerance after 182 (6.7 s) short of the optimum,
            # with a lower dev macro-F1 (0.7252 vs 0.7383) (2026-11-25)
            return LogisticRegression(C=p.C, class_weight=weight, max_iter=p.max_iter, random_state=seed,
                                      solver="newton-cg")
        return SGDClassifier(loss="log_loss", alpha=1e-4 / p.C, class_weight=weight, max_iter=p.max_iter, random_state=seed)

    # -- the interface -------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "TfidfModel":
        self.start_fit(train)
        counts = Counter(ex.label for ex in train)
        if len(counts) < 2:
            raise KhabarError(f"training data has {len(counts)} label(s) {sorted(counts)}; a classifier needs at least 2")
        start = time.perf_counter()
        x_train = self.normalize_inputs([ex.inputs for ex in train])
        y_train = [ex.label for ex in train]
        features = self._features()
        matrix = features.fit_transform(x_train)
        say(f"features: {matrix.shape[1]:,} columns from {len(train):,} examples ({time.perf_counter() - start:.1f}s)")
        classifier = self._classifier().fit(matrix, y_train)
        classifier, how = self._calibrate(classifier, features, matrix, y_train, dev)
        self.extra_manifest_["probabilities"] = how
        self.pipeline_ = Pipeline([("features", features), ("classifier", classifier)])
        self._check_classes()
        say(f"fitted {self.params.classifier} in {time.perf_counter() - start:.1f}s; probabilities: {how}")
        return self

    def _calibrate(self, classifier, features, matrix, y_train, dev):
        if hasattr(classifier, "predict_proba"):
            return classifier, "native"
        dev_in = [ex for ex in dev or [] if ex.label in self.labels_]
        if len({ex.label for ex in dev_in}) >= 2:
            x_dev = features.transform(self.normalize_inputs([ex.inputs for ex in dev_in]))
            scaled = TemperatureScaled(classifier).fit(x_dev, [ex.label for ex in dev_in])
            return scaled, f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted on the dev split"
        folds = min(3, min(Counter(y_train).values()))
        if folds < 2:
            raise KhabarError("LinearSVC needs a dev split or at least 2 training examples per label to calibrate "
                              "probabilities; add a dev split or use classifier: logreg")
        held_out = cross_val_predict(self._classifier(), matrix, y_train, cv=folds, method="decision_function")
        scaled = TemperatureScaled(classifier)
        scaled.temperature_ = fit_temperature(held_out, y_train, classifier.classes_)
        return scaled, f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted by {folds}-fold cross-validation (no dev split)"

    def _check_classes(self):
        classes = [str(c) for c in self.pipeline_.classes_]
        if classes != sorted(self.labels_) or len(classes) != len(self.labels_):
            missing = sorted(set(self.labels_) - set(classes))
            raise KhabarError(f"labels {missing} have no training example; add examples or remove them from data.labels")
        self.order_ = [classes.index(label) for label in self.labels_]

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        self.check_fitted()
        if not len(inputs):
            return np.zeros((0, len(self.labels_)))
        proba = self.pipeline_.predict_proba(self.normalize_inputs(inputs))
        return proba[:, self.order_]

    # -- persistence -----------------------------------------------------------------------------
    def save_weights(self, directory: str) -> None:
        import skops.io as sio

        sio.dump(self.pipeline_, os.path.join(directory, WEIGHTS))

    @classmethod
    def load_weights(cls, directory: str, manifest: dict) -> "TfidfModel":
        import skops.io as sio

        path = os.path.join(directory, WEIGHTS)
        if not os.path.isfile(path):
            raise KhabarError(f"{directory}: no {WEIGHTS}; the model directory is incomplete, re-train it")
        trusted = list(KIND.trusted_types)
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in trusted]
        if untrusted:
            raise KhabarError(f"{path}: refuses to load types outside khabar's trusted list: {', '.join(untrusted)}")
        params, train, normalize = rebuild_config(manifest, directory)
        model = cls(manifest["task"], params, train, normalize, manifest.get("labels"))
        model.pipeline_ = sio.load(path, trusted=trusted)
        model.labels_ = list(manifest["labels"])
        model._check_classes()
        return model
