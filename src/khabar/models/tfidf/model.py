"""The TF-IDF + linear baseline: strong, fast, and the model to beat.

Topic: word and within-word character n-gram TF-IDF (either or both; see `WordCharTfidf` for
why it is computed per distinct word), sublinear TF, a linear classifier.
Stance: `PairFeatures` (relation between claim and text) instead of gluing the two together.
Probabilities: logistic regression and SGD (log loss) have their own; LinearSVC has none, so its
decision scores go through a softmax whose temperature is fitted on the dev split (else on 3-fold
cross-validated scores): monotone, so the label is exactly LinearSVC's. Which one ran is recorded
in the manifest.
With `two_stage` (stance), the classifier is two: one separating a label (unrelated) from the
rest, one among the rest (`two_stage.py`), each with its own probabilities, multiplied.

Saved with skops, never pickle: loading checks every type in the file against the kind's `trusted_types`
and refuses a file that needs anything else. Trusted types can still carry hostile parameters (a
vectorizer with `input="filename"` opens the files its input's words name), so the loaded pipeline
is walked and every estimator in it checked against what khabar itself writes (`check_pipeline`),
its classes against the manifest's labels, and it must answer one test input.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import cross_val_predict
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from ...errors import KhabarError
from ...examples import Example, needs_pair
from ...log import say
from ..base import Inputs, Model, rebuild_config
from ..manifest import MANIFEST, RESTORE, Manifest
from . import KIND
from .pair_features import PairFeatures
from .parallel import proba_on_every_core
from .latent import STEP as LATENT_STEP, components_for, latent_block
from .prior import PRIOR_NOTE, PriorFeatures, load_prior
from .skops_io import skops_io
from .multi_label import LabelSetProbabilities
from .held_out import cv_folds, held_out_scores, scores_to_proba
from .temperature import TemperatureScaled, fit_temperature
from .two_stage import check_two_stage, fit_two_stage
from .word_char import WordCharTfidf

WEIGHTS = "pipeline.skops"


class TfidfModel(Model):
    kind = KIND.name
    #: a setting, not learned: the outlet's unlabeled articles (inputs), fitted into the features'
    #: vocabulary and IDF and the prior's standardization with the training ones (`data.unlabeled`)
    unlabeled: Sequence = ()
    #: learned: the prior model's opinion as extra columns (`model.prior`), or None
    prior_: PriorFeatures | None = None
    #: learned: the latent directions of the outlet's articles (`model.latent`, see `latent.py`), or None
    latent_ = None

    # -- building ----------------------------------------------------------------------------
    def _features(self):
        p = self.params
        if needs_pair(self.task):
            ngrams = tuple(p.word_ngrams or (1, 1))
            return PairFeatures(ngram_range=ngrams, min_df=1, sublinear_tf=p.sublinear_tf, best_sentences=p.best_sentences,
                                lead_sentences=p.lead_sentences, encoder=p.encoder,
                                stance_cues=p.stance_cues)
        return WordCharTfidf(
            word_ngrams=tuple(p.word_ngrams) if p.word_ngrams else None,
            char_ngrams=tuple(p.char_ngrams) if p.char_ngrams else None,
            min_df=p.min_df, max_df=p.max_df, sublinear_tf=p.sublinear_tf, max_features=p.max_features,
        )

    def _classifier(self, name: str | None = None, C: float | None = None):
        p = self.params
        name, C = name or p.classifier, C or p.C
        weight = "balanced" if p.class_weight == "balanced" else None
        seed = self.train_params.seed
        if name == "linear_svc":
            return LinearSVC(C=C, class_weight=weight, max_iter=p.max_iter, random_state=seed)
        if name == "logreg":
            # newton-cg, not the default lbfgs: on ANS stance features it converged in 9 iterations
            # (1.2 s) where lbfgs stopped at its tolerance after 182 (6.7 s) short of the optimum,
            # with a lower dev macro-F1 (0.7252 vs 0.7383) (2026-11-25)
            return LogisticRegression(C=C, class_weight=weight, max_iter=p.max_iter, random_state=seed,
                                      solver="newton-cg")
        return SGDClassifier(loss=p.loss, alpha=1e-4 / C, class_weight=weight, max_iter=p.max_iter, tol=p.tol,
                             random_state=seed)

    # -- the interface -------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "TfidfModel":
        self.start_fit(train)
        counts = Counter(label for ex in train for label in ex.gold)
        if len(counts) < 2:
            raise KhabarError(f"training data has {len(counts)} label(s) {sorted(counts)}; a classifier needs at least 2")
        if self.params.two_stage:
            check_two_stage(self.params.two_stage, self.labels_, needs_pair(self.task), self.multi_label)
        start = time.perf_counter()
        raw_train, raw_unlabeled = [ex.inputs for ex in train], list(self.unlabeled)
        x_train = self.normalize_inputs(raw_train + raw_unlabeled, training=True)
        features = self._features()
        try:
            every = features.fit_transform(x_train)
        except ValueError as exc:  # scikit-learn's vectorizers: no terms left, min_df above max_df, ...
            raise KhabarError(f"model: the features cannot be built on these {len(train)} training examples "
                              f"({exc}); lower model.min_df, raise model.max_df or add data") from None
        del x_train  # the normalized texts: as large as the corpus, and not needed beyond the features
        # the unlabeled articles' rows only shape the vocabulary, IDF and latent block; a row slice
        # copies the whole matrix, so it is taken only when there are such rows (issue 22)
        matrix = every[: len(train)] if raw_unlabeled else every
        self.latent_, latent = None, None
        n_latent = 0 if needs_pair(self.task) else components_for(
            self.params.latent, every.shape[0], every.shape[1], bool(raw_unlabeled))
        if n_latent:  # fitted on every article, labelled or not: the unlabeled ones are its point
            self.latent_ = latent_block(n_latent, self.train_params.seed).fit(every)
            latent = self.latent_columns(matrix)
        del every
        self.prior_ = None
        if self.params.prior:
            self.prior_ = load_prior(self.params.prior, self.task, self.params.prior_weight).fit(raw_train + raw_unlabeled)
            matrix = sp.hstack([matrix, self.prior_.transform(raw_train)], format="csr")
            self.notes_[PRIOR_NOTE] = self.prior_.note()
        if latent is not None:  # after the prior's columns, where `explain` expects it
            matrix = sp.hstack([matrix, latent], format="csr")
        unlabeled = f" and {len(raw_unlabeled):,} unlabeled" if raw_unlabeled else ""
        say(f"features: {matrix.shape[1]:,} columns from {len(train):,} examples{unlabeled} "
            f"({time.perf_counter() - start:.1f}s)")
        if self.multi_label:
            classifier, how = self._fit_label_sets(features, matrix, train, dev)
        else:
            y_train = [ex.label for ex in train]
            # the dev split's features and the 3-fold held-out scores, each computed once; held-out
            # folds keep a claim's pairs together (see `held_out`)
            memo: dict = {"groups": [ex.text for ex in train] if needs_pair(self.task) else None}
            if self.params.two_stage:
                classifier, how, held_out = self._fit_two_stage(features, matrix, y_train, dev, memo)
            else:
                classifier = self._classifier().fit(matrix, y_train)
                classifier, how = self._calibrate(classifier, features, matrix, y_train, dev, memo)
                held_out = None
            if self.params.label_offsets:
                held_out = held_out or self._held_out_proba(classifier, features, matrix, y_train, dev, memo)
                self.scheme.fit_offsets(self.labels_, *held_out, say)
        self.probabilities_ = how
        latent = [(LATENT_STEP, self.latent_)] if self.latent_ is not None else []
        self.pipeline_ = Pipeline([("features", features), *latent, ("classifier", classifier)])
        self._check_classes()
        say(f"fitted {self.params.classifier} in {time.perf_counter() - start:.1f}s; probabilities: {how}")
        return self

    def _calibrate(self, classifier, features, matrix, y_train, dev, memo):
        if hasattr(classifier, "predict_proba"):
            return classifier, "native"
        dev_in = self._labelled_dev(dev)
        if len({ex.label for ex in dev_in}) >= 2:
            scaled = TemperatureScaled(classifier).fit(self._dev_matrix(features, dev_in, memo), [ex.label for ex in dev_in])
            return scaled, f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted on the dev split"
        counts = Counter(y_train)
        folds = cv_folds(y_train)
        if folds < 2:
            raise KhabarError("LinearSVC needs a dev split or a label with at least 2 training examples to calibrate "
                              "probabilities; add a dev split or use classifier: logreg")
        held_out, scored = self._cross_validated(matrix, y_train, folds, memo)
        scaled = TemperatureScaled(classifier)
        scaled.temperature_ = fit_temperature(held_out[scored], np.asarray(y_train)[scored], classifier.classes_)
        rare = sum(1 for n in counts.values() if n < folds)
        note = f"; {rare} label(s) with fewer than {folds} examples are missing from some folds" if rare else ""
        return scaled, (f"softmax of decision scores, temperature {scaled.temperature_:.3g} fitted by {folds}-fold "
                        f"cross-validation (no dev split{note})")

    def _labelled_dev(self, dev) -> list:
        """The dev examples whose label the model has (calibration, offsets and stages read them)."""
        return [ex for ex in dev or [] if ex.label in self.labels_]

    def _dev_matrix(self, features, dev_in, memo: dict):
        """The dev split's design matrix, kept in `memo` (calibration and label offsets read it)."""
        if "dev" not in memo:
            memo["dev"] = self.design_matrix(features, [ex.inputs for ex in dev_in], training=True)
        return memo["dev"]

    def _cross_validated(self, matrix, y_train, folds, memo: dict):
        """`held_out_scores` of the configured classifier, kept in `memo` (calibration and label
        offsets read the same folds)."""
        if folds not in memo:
            memo[folds] = held_out_scores(self._classifier(), matrix, y_train, folds, self.train_params.seed, memo["groups"])
        return memo[folds]

    def _fit_two_stage(self, features, matrix, y_train, dev, memo):
        """`two_stage.fit_two_stage` with this model's classifiers, dev split and held-out folds;
        its held-out probabilities come back in `labels_` order for the label offsets."""
        separated = self.params.two_stage
        dev_in = self._labelled_dev(dev)
        dev_rows = (self._dev_matrix(features, dev_in, memo), [ex.label for ex in dev_in]) if dev_in else None
        groups = np.asarray(memo["groups"]) if memo["groups"] is not None else None

        def held_out(classifier, rows, y):
            folds = cv_folds(y)
            return held_out_scores(classifier, matrix[rows], y, folds, self.train_params.seed,
                                   None if groups is None else groups[rows])

        classifier, how, (proba, gold, where) = fit_two_stage(self._stage_classifier, matrix, y_train, separated,
                                                              held_out, dev_rows)
        order = [list(classifier.classes_).index(label) for label in self.labels_]
        return classifier, how, (proba[:, order], gold, where)

    def _stage_classifier(self, stage: str):
        """The classifier of a two-stage decision's stage: the configured one, the second stage's
        own `second_stage_classifier` / `second_stage_C` when given."""
        if stage == "second":
            return self._classifier(self.params.second_stage_classifier, self.params.second_stage_C)
        return self._classifier()

    def _held_out_proba(self, classifier, features, matrix, y_train, dev, memo):
        """(probabilities in `labels_` order, gold labels, where) of held-out examples, for the label
        offsets: the dev split's when it has two labels or more, else 3-fold cross-validated ones of
        the training split (a softmax of the folds' decision scores at the fitted temperature)."""
        dev_in = self._labelled_dev(dev)
        order = [list(classifier.classes_).index(label) for label in self.labels_]
        if len({ex.label for ex in dev_in}) >= 2:
            proba = classifier.predict_proba(self._dev_matrix(features, dev_in, memo))
            return proba[:, order], [ex.label for ex in dev_in], "the dev split"
        folds = cv_folds(y_train)
        held_out, scored = self._cross_validated(matrix, y_train, folds, memo)
        proba = scores_to_proba(held_out[scored], getattr(classifier, "temperature_", 1.0))
        return proba[:, order], list(np.asarray(y_train)[scored]), f"{folds}-fold cross-validation of the training split"

    def _fit_label_sets(self, features, matrix, train, dev):
        """One-vs-rest models, their probabilities and the per-label thresholds (see `multi_label`):
        on the dev split when it has examples, else on 3-fold cross-validated training scores."""
        gold = self.gold_matrix(train)  # every label present and absent somewhere: checked by start_fit
        classifier = LabelSetProbabilities(OneVsRestClassifier(self._classifier()).fit(matrix, gold), self.labels_)
        native = hasattr(classifier.classifier, "predict_proba")
        if dev:
            x_dev = self.design_matrix(features, [ex.inputs for ex in dev], training=True)
            classifier.fit(x_dev, self.gold_matrix(dev))
            held_out, examples, where = classifier.predict_proba(x_dev), dev, "the dev split"
        else:
            method = "predict_proba" if native else "decision_function"
            held_out = cross_val_predict(OneVsRestClassifier(self._classifier()), matrix, gold, cv=3, method=method)
            if not native:
                held_out = classifier.fit_scores(held_out, gold).curve(held_out)
            examples, where = train, "3-fold cross-validation on the training split (no dev split)"
        self.fit_thresholds(lambda: held_out, examples, where.removeprefix("the "))
        how = "native" if native else f"one logistic curve of the decision scores fitted on {where}"
        return classifier, f"one-vs-rest, {how}"

    def _check_classes(self):
        classes = [str(c) for c in self.pipeline_.classes_]
        if sorted(classes) != sorted(self.labels_) or len(classes) != len(self.labels_):
            missing = sorted(set(self.labels_) - set(classes))
            raise KhabarError(f"labels {missing} have no training example; add examples or remove them from data.labels")
        self.order_ = [classes.index(label) for label in self.labels_]

    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        self.check_fitted()
        if not len(inputs):
            return np.zeros((0, len(self.labels_)))
        # a large batch is shared among worker processes, this one included (see parallel.py)
        proba = proba_on_every_core(self, list(inputs))
        return self.scheme.shift(proba, self.labels_)

    def classifier_proba(self, inputs: Inputs, first: int = 0) -> np.ndarray:
        """The classifier's probabilities of `inputs` in `labels_` order, in this process, before
        the scheme's label offsets. `first`: see `normalize_inputs`."""
        features, classifier = self.pipeline_.steps[0][1], self.pipeline_.steps[-1][1]
        return classifier.predict_proba(self.design_matrix(features, inputs, first=first))[:, self.order_]

    def design_matrix(self, features, inputs: Inputs, training: bool = False, first: int = 0):
        """What the classifier reads: the text features of the normalized inputs, then the prior's
        columns (of the raw inputs: the prior normalizes with its own preset) when there is one."""
        docs = self.normalize_inputs(inputs, training=training, first=first)
        matrix = features.transform(docs)
        blocks = [matrix]
        if self.prior_ is not None:
            blocks.append(self.prior_.transform(list(inputs)))
        if self.latent_ is not None:
            blocks.append(self.latent_columns(matrix))
        return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")

    def latent_columns(self, text_matrix) -> sp.csr_matrix:
        """The latent block's columns (see `latent.py`) of TF-IDF rows, `latent_weight` times."""
        return sp.csr_matrix((self.params.latent_weight * self.latent_.transform(text_matrix)).astype(np.float32))

    def explain(self, inputs: Inputs, top=None, runner_up: bool = False, targets=None) -> list[dict]:
        """Exact linear contributions aggregated to the words of the original text (see `explain.py`)."""
        from .explain import explain

        return explain(self, inputs, top, runner_up, targets)

    # -- persistence -----------------------------------------------------------------------------
    def save_weights(self, directory: str) -> None:
        sio = skops_io()

        sio.dump(self.pipeline_, os.path.join(directory, WEIGHTS))
        if self.prior_ is not None:
            self.prior_.save(directory)

    @classmethod
    def load_weights(cls, directory: str, manifest: Manifest) -> "TfidfModel":
        sio = skops_io()

        path = os.path.join(directory, WEIGHTS)
        if not os.path.isfile(path):
            raise KhabarError(f"{path}: missing; the model directory is incomplete, {RESTORE}")
        trusted = list(KIND.trusted_types)
        params, train, normalize = rebuild_config(manifest, directory)
        try:
            untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in trusted]
        except Exception as exc:  # a damaged file fails in zipfile, json or skops itself: all the same to the user
            raise KhabarError(f"{path}: not a readable skops file ({_reason(exc)}); {RESTORE}") from None
        if untrusted:
            raise KhabarError(f"{path}: refuses to load types outside khabar's trusted list: {', '.join(untrusted)}")
        try:
            pipeline = sio.load(path, trusted=trusted)
        except Exception as exc:
            raise KhabarError(f"{path}: not a readable skops file ({_reason(exc)}); {RESTORE}") from None
        check_pipeline(pipeline, path)
        multi_label = manifest.multi_label is not None
        if isinstance(pipeline.steps[-1][1], LabelSetProbabilities) != multi_label:
            said, holds = ("multi-label", "one label per article") if multi_label else ("one label per article", "multi-label")
            raise KhabarError(f"{directory}: {MANIFEST} says {said} but {WEIGHTS} holds a {holds} classifier; {RESTORE}")
        model = cls(manifest.task, params, train, normalize, manifest.labels, multi_label=multi_label)
        model.pipeline_ = pipeline
        model.latent_ = pipeline.named_steps.get(LATENT_STEP)
        model.labels_ = list(manifest.labels)
        if PRIOR_NOTE in manifest.notes:
            model.prior_ = PriorFeatures.load(directory, manifest.notes[PRIOR_NOTE])
        model._check_loaded(path)
        return model

    def _check_loaded(self, path: str) -> None:
        """The weights' classes are the manifest's labels, and the pipeline answers one input."""
        classes = [str(c) for c in np.asarray(self.pipeline_.classes_).ravel()]
        if sorted(classes) != sorted(self.labels_):
            raise KhabarError(f"{os.path.dirname(path)}: {MANIFEST} labels {self.labels_} differ from the weights' "
                              f"classes {sorted(classes)} ({WEIGHTS}); {RESTORE}")
        self.order_ = [classes.index(label) for label in self.labels_]
        probe = ("خبر", "خبر") if needs_pair(self.task) else "خبر"
        try:
            proba = self.predict_proba([probe])
        except Exception as exc:
            raise KhabarError(f"{path}: the pipeline fails on a test input ({_reason(exc)}); {RESTORE}") from None
        if proba.shape != (1, len(self.labels_)) or not np.all(np.isfinite(proba)):
            raise KhabarError(f"{path}: the pipeline gives no valid probabilities for a test input; {RESTORE}")


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- what khabar writes: checked on every loaded pipeline ----------------------------------------------
#: text-vectorizer parameters that make scikit-learn read files, run code or decode differently
VECTORIZER_RULES = {
    "input": lambda v: v == "content",
    "encoding": lambda v: v == "utf-8",
    "decode_error": lambda v: v == "strict",
    "analyzer": lambda v: isinstance(v, str) and v in ("word", "char", "char_wb"),
    "preprocessor": lambda v: v is None,
    "tokenizer": lambda v: v is None,
    "strip_accents": lambda v: v is None or (isinstance(v, str) and v in ("ascii", "unicode")),
    "token_pattern": lambda v: v is None or isinstance(v, str),
}
_PLAIN = (str, bytes, int, float, bool, type(None), slice, np.ndarray, np.generic, np.dtype)


def check_pipeline(pipeline, path: str) -> None:
    """Every estimator reachable from a loaded pipeline, checked against what khabar writes.

    Walks every attribute (and list, tuple, set or dict in one) that holds an object with
    `get_params`, not only the steps khabar names, so a vectorizer hidden anywhere is seen. Raises
    one `KhabarError` line naming the estimator's place and the parameter.
    """
    if not isinstance(pipeline, Pipeline) or not pipeline.steps:
        raise KhabarError(f"{path}: holds a {type(pipeline).__name__}, not the scikit-learn Pipeline khabar saves; {RESTORE}")
    final = pipeline.steps[-1][1]
    if not hasattr(final, "predict_proba") or not hasattr(final, "classes_"):
        raise KhabarError(f"{path}: the pipeline's last step {type(final).__name__} gives no probabilities; {RESTORE}")
    for where, est in _estimators(pipeline):
        _check_estimator(est, f"{path}: {where}")


def _estimators(root):
    """(place, estimator) for every object with get_params reachable from `root`, each once."""
    seen = set()
    stack = [("pipeline", root)]
    while stack:
        where, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield where, obj
        for name, value in list(getattr(obj, "__dict__", {}).items()):
            for place, child in _children(value, f"{where}.{name}"):
                if hasattr(child, "get_params") and not isinstance(child, type):
                    stack.append((place, child))


def _children(value, where):
    """(place, object) of `value` itself and of what its containers hold, containers walked recursively."""
    todo, seen = [(where, value)], set()
    while todo:
        place, item = todo.pop()
        if not isinstance(item, (dict, list, tuple, set, frozenset)):
            yield place, item
            continue
        if id(item) in seen:  # a container that holds itself
            continue
        seen.add(id(item))
        values = item.values() if isinstance(item, dict) else item
        if all(issubclass(t, _PLAIN) for t in set(map(type, values))):  # e.g. a vocabulary: one pass in C
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        todo.extend((f"{place}[{k!r}]", v) for k, v in pairs if not isinstance(v, _PLAIN))


def _check_estimator(est, where: str) -> None:
    try:
        params = est.get_params(deep=False)
    except Exception as exc:
        raise KhabarError(f"{where}: {type(est).__name__} has unreadable parameters ({_reason(exc)}); {RESTORE}") from None
    name = type(est).__name__
    for key, value in params.items():
        rule = VECTORIZER_RULES.get(key)
        if rule is not None and ("input" in params or "analyzer" in params) and not rule(value):
            raise KhabarError(f"{where}: {name} has {key}={_short(value)}, which khabar never writes "
                              f"(a hostile or damaged file); {RESTORE}")
        if callable(value) and not isinstance(value, type) and not hasattr(value, "get_params"):
            raise KhabarError(f"{where}: {name} parameter {key} is a callable ({_short(value)}); khabar saves none; {RESTORE}")
    if isinstance(est, Pipeline) and params.get("memory") is not None:
        raise KhabarError(f"{where}: Pipeline has memory={_short(params['memory'])}, which khabar never writes; {RESTORE}")
    if hasattr(est, "temperature_"):
        t = est.temperature_
        if not isinstance(t, (int, float, np.floating, np.integer)) or not np.isfinite(t) or t <= 0:
            raise KhabarError(f"{where}: {name} has temperature {_short(t)}; a softmax temperature is a positive number; {RESTORE}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
