"""The interface every model kind follows, and loading any kind from its directory.

A model owns its normalization: `fit` and `predict_proba` both normalize with the preset stored in
the manifest, so prediction repeats exactly what training did. The manifest and the checks of a
model directory live in `manifest`; the word alignment explanations share in `evidence`.
"""

from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Optional, Sequence, Union

import numpy as np

from .. import __version__, schema
from ..errors import KhabarError
from ..examples import Example, model_input
from ..log import say
from ..normalize import NormalizeConfig, check_normalize_options
from .manifest import (ABSTAIN, LABEL_OFFSETS, MANIFEST, MULTI_LABEL, RESTORE, WEIGHT_NAMES, Manifest, read_manifest,
                       record_files, verify_files)
from .registry import get_kind
from .scheme import OneLabel, scheme_for
from .thresholds import multi_hot

Inputs = Sequence[Union[str, tuple[str, str]]]
#: how many words `Model.explain` lists on each side (toward, against) unless told
EXPLAIN_TOP = 10
def data_fingerprint(examples: Sequence[Example]) -> str:
    """A short hash of texts and labels: two runs on the same data share it."""
    digest = hashlib.sha256()
    for ex in examples:
        for part in (ex.text, ex.text_pair or "", ex.label or "|".join(sorted(ex.labels or ()))):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
    return digest.hexdigest()[:16]


class Model(ABC):
    """fit / predict / predict_proba / save / load, shared by every kind.

    `__init__` stores configuration only; learned state ends in `_` and is set by `fit` (through
    `start_fit`) or by loading (scikit-learn's rule), so an unfitted model has no `labels_`.
    """

    kind: ClassVar[str]

    def __init__(self, task: str, params: Any, train: Any, normalize: NormalizeConfig,
                 labels: Sequence[str] | None = None, multi_label: bool = False, allow_no_label: bool = False):
        self.task = task
        self.params = params
        self.train_params = train
        self.normalize = normalize
        self.labels = list(labels) if labels else None
        # one label per article or a label set (`models.scheme`): chosen here, once; loading a
        # model directory replaces it with the one its manifest records
        self.scheme: OneLabel = scheme_for(multi_label, allow_no_label)
        # the manifest's notes (`manifest.Manifest`), set by fitting, training or loading: how the
        # kind made probabilities, the figures of the run that saved it, keys a newer khabar wrote
        self.probabilities_: Optional[str] = None
        self.metrics_: Optional[dict] = None
        self.notes_: dict = {}
        # a setting, not learned: kinds that train in epochs call it after each dev evaluation with
        # (epoch, {"macro_f1": ..., "accuracy": ...}); it may raise to stop the fit (tune's pruning)
        self.epoch_callback = None
        # a setting, not learned: where a kind that trains with a library trainer sends its own
        # curves ("mlflow" when the run is tracked, see runs.tracking; "none" otherwise)
        self.report_to = "none"

    def __getstate__(self) -> dict:
        """Pickled (a copy for worker processes) without what is rebuilt or belongs to the caller:
        the normalizer, a closure built on first use, and the epoch callback."""
        state = dict(self.__dict__)
        state.pop("normalizer_", None)
        state["epoch_callback"] = None
        return state

    # -- learned state ---------------------------------------------------------------------
    def start_fit(self, train: Sequence[Example]) -> None:
        """Reset what a previous fit learned and set the label set and data fingerprint."""
        seen = sorted({label for ex in train for label in ex.gold})
        if self.labels:
            extra = [lab for lab in seen if lab not in self.labels]
            if extra:
                raise KhabarError(f"training labels {extra} are not in the configured label set {self.labels}")
        self.labels_ = list(self.labels) if self.labels else seen
        self.scheme.start(self.labels_, [ex.gold for ex in train])
        self.data_fingerprint_ = data_fingerprint(train)
        self.probabilities_, self.metrics_, self.notes_ = None, None, {}

    @property
    def multi_label(self) -> bool:
        """Whether the model gives a label set (its scheme's answer; for a kind choosing its head)."""
        return self.scheme.multi_label

    @property
    def thresholds_(self) -> np.ndarray:
        """A label-set model's threshold per label, in `labels_` order."""
        return self.scheme.thresholds

    @property
    def allow_no_label(self) -> bool:
        return self.scheme.allow_no_label

    def gold_matrix(self, examples: Sequence[Example]) -> np.ndarray:
        """Multi-label gold of `examples` as a rows x `labels_` 0/1 matrix (what one-vs-rest fits on)."""
        return multi_hot([ex.gold for ex in examples], self.labels_)

    def fit_thresholds(self, held_out: Callable[[], Optional[np.ndarray]], examples: Sequence[Example], where: str) -> None:
        """The scheme's decision rule fitted on held-out data: a label set's per-label thresholds
        (`LabelSet.fit_thresholds`; `where` names the data for the manifest); nothing for one label.
        `held_out()` gives the probabilities of `examples`, or None when there is no held-out data;
        it is called only by a scheme that needs them."""
        self.scheme.fit_thresholds(self.labels_, held_out, lambda: self.gold_matrix(examples), where, say)

    def decide(self, proba: np.ndarray) -> list[list[int]]:
        """The label indices each row of `proba` gets, most probable first (the scheme's one rule)."""
        return self.scheme.decide(proba)

    def check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise KhabarError(f"this {self.kind} model is not trained; call fit or load a model directory")

    # -- normalization -------------------------------------------------------------------
    def normalize_inputs(self, inputs: Inputs, training: bool = False, first: int = 0) -> list:
        """Apply the model's own normalization to raw texts or (claim, text) pairs, after checking
        each against the one input rule (`examples.model_input`). `first`: the number of inputs
        before these in the caller's batch, so that an error names the batch's row (a slice of a
        batch predicted in another process).

        A text to label that normalization leaves empty (only zero-width characters, only
        diacritics) is refused: the model would answer with its prior, a confident-looking guess
        about nothing. Training data (`training=True`) keeps such rare rows, which teach nothing
        and harm nothing.
        """
        norm = self.__dict__.get("normalizer_")
        if norm is None:
            norm = self.normalizer_ = self.normalize.build()
        out = []
        for i, item in enumerate(inputs, start=first):
            parts = tuple(item) if isinstance(item, (tuple, list)) else (item,)
            if len(parts) > 2:
                raise KhabarError(f"input {i + 1}: expected a text or a (claim, text) pair, got {len(parts)} parts")
            model_input(self.task, *parts, where=f"input {i + 1}")
            done = tuple(norm(p) for p in parts)
            if not training and not all(p.strip() for p in done):
                raise KhabarError(f"input {i + 1}: no text left after normalization (the {self.normalize.preset} "
                                  "preset; e.g. only invisible characters or diacritics); give the text to label")
            out.append(done if len(done) == 2 else done[0])
        return out

    # -- explanations -----------------------------------------------------------------------
    def explain(self, inputs: Inputs, top: Optional[int] = None, runner_up: bool = False,
                targets: Optional[Sequence[Sequence[str]]] = None) -> list[dict]:
        """Why each input gets its label: the words that pushed toward it and away from it.

        One dict per input (kinds that explain override this; see `explanation` for the shape):
        `top`: words per side, `EXPLAIN_TOP` when None.
        `label` and `probability` (the predicted label, as `predict_proba` ranks it), `method`,
        and `explained`, one entry per explained label (the predicted one, then the runner-up
        when `runner_up`; or the labels `targets` names per input) with its `score` (the quantity
        decomposed), `base` (what the score is without any word: the intercept, or the score of
        a blank input), `toward` and `against` (at most `top` words each, strongest first: the
        word as the model reads it, its `weight`, the `part` it is in, "text" or "claim", and
        its `spans`, start/end character offsets into the original, un-normalized input part),
        `signals` (named features that are no word, such as a changed number in a stance
        pair), and `unassigned` (what no word or signal carries). The weights of all words (not
        only the top ones), of all signals and `unassigned` add up to `score - base`.
        """
        raise KhabarError(f"a {self.kind} model cannot explain its predictions (its kind has no explain method)")

    @property
    def explains(self) -> bool:
        """Whether this model's kind gives explanations (`explain`)."""
        return type(self).explain is not Model.explain

    def labels_to_explain(self, proba: np.ndarray, runner_up: bool = False) -> list[list[int]]:
        """Per row of `proba`, the label indices an explanation covers unless told: the label the
        model gives (a multi-label model: every label it gives, or its top one when it gives none),
        then with `runner_up` the most probable label it does not give."""
        order = np.argsort(-np.asarray(proba), axis=1, kind="stable").tolist()  # the ranking every output shares
        chosen = []
        for given, ranked in zip(self.decide(proba), order):
            given = given or ranked[:1]
            chosen.append(given + [j for j in ranked if j not in given][: 1 if runner_up else 0])
        return chosen

    def explain_plan(self, inputs: Inputs, top: Optional[int], runner_up: bool,
                     targets: Optional[Sequence[Sequence[str]]] = None) -> tuple[list, np.ndarray, list[list[int]], int]:
        """What a kind's `explain` starts from: the inputs normalized (refused like predictions),
        their probabilities, per input the label indices to explain (the predicted label and the
        runner-up when asked; for a multi-label model every label it gives, and the best one it does
        not give when asked; or the labels of `targets`), and `top` checked (None: EXPLAIN_TOP)."""
        self.check_fitted()
        top = EXPLAIN_TOP if top is None else top
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
            raise KhabarError(f"top {top!r}: list at least 1 word on each side")
        inputs = list(inputs)
        normalized = self.normalize_inputs(inputs)
        proba = np.asarray(self.predict_proba(inputs), dtype=np.float64) if inputs else np.zeros((0, len(self.labels_)))
        if targets is not None:
            if len(targets) != len(inputs):
                raise KhabarError(f"targets: {len(targets)} lists for {len(inputs)} inputs; give one list of labels per input")
            index = {label: i for i, label in enumerate(self.labels_)}
            unknown = sorted({lab for row in targets for lab in row if lab not in index})
            if unknown:
                raise KhabarError(f"targets: {unknown} are not labels of this model ({', '.join(self.labels_)})")
            chosen = [[index[lab] for lab in dict.fromkeys(row)] for row in targets]
        else:
            chosen = self.labels_to_explain(proba, runner_up)
        return normalized, proba, chosen, top

    # -- the interface ---------------------------------------------------------------------
    @abstractmethod
    def fit(self, train: Sequence[Example], dev: Sequence[Example] | None = None) -> "Model":
        ...

    @abstractmethod
    def predict_proba(self, inputs: Inputs) -> np.ndarray:
        """Probabilities, shape (n, len(labels_)), columns in `labels_` order; rows sum to 1, except
        for a multi-label model, whose columns are independent (one per label)."""

    def set_device(self, device: str) -> None:
        """Where inference runs: "auto", "cpu" or "cuda". CPU-only kinds accept "auto" and "cpu"."""
        if device not in ("auto", "cpu"):
            raise KhabarError(f"--device {device}: a {self.kind} model runs on the CPU only; use --device cpu")

    def predict(self, inputs: Inputs) -> list:
        """The most probable label of each input; for a multi-label model, each input's label list."""
        return [self.scheme.predicted(self.labels_, row) for row in self.decide(self.predict_proba(inputs))]

    @abstractmethod
    def save_weights(self, directory: str) -> None:
        ...

    @classmethod
    @abstractmethod
    def load_weights(cls, directory: str, manifest: dict) -> "Model":
        ...

    def save(self, directory: str) -> None:
        """The weights and the manifest (khabar.json) in `directory`; the manifest, written last
        (and atomically), lists every file of the directory with its size and SHA-256."""
        self.check_fitted()
        os.makedirs(directory, exist_ok=True)
        self.save_weights(directory)
        manifest = self.manifest()
        manifest.files = record_files(directory)
        tmp = os.path.join(directory, f".{MANIFEST}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest.to_dict(), fh, ensure_ascii=False, indent=2, sort_keys=True)
        os.replace(tmp, os.path.join(directory, MANIFEST))

    def manifest(self) -> Manifest:
        """What `save` writes to khabar.json (less the file list, which `save` adds)."""
        sections = self.scheme.manifest_section()
        return Manifest(
            khabar_version=__version__, kind=self.kind, task=self.task, labels=list(self.labels_),
            normalize=schema.to_dict(self.normalize), params=schema.to_dict(self.params),
            train=schema.to_dict(self.train_params), data_fingerprint=self.data_fingerprint_,
            saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            abstain=sections.get(ABSTAIN), multi_label=sections.get(MULTI_LABEL),
            label_offsets=sections.get(LABEL_OFFSETS),
            probabilities=self.probabilities_, metrics=self.metrics_, notes=dict(self.notes_))

    @classmethod
    def load(cls, directory: str) -> "Model":
        """A saved model of this class (any kind when called on `Model`)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise KhabarError(f"{directory}: holds a {model.kind} model, not a {cls.kind} one")
        return model


def rebuild_config(manifest: Manifest, directory: str):
    """(params, train, normalize) dataclasses from a manifest, validated like a config."""
    source = os.path.join(directory, MANIFEST)
    kind = _manifest_kind(manifest, source)
    try:
        params = schema.build(kind.params, manifest.params, "params", source)
        train = schema.build(kind.train, manifest.train, "train", source)
        normalize = schema.build(NormalizeConfig, manifest.normalize, "normalize", source)
        check_normalize_options(normalize.preset, normalize.steps, f"{source}: normalize")
    except KhabarError as exc:
        raise KhabarError(f"{exc}; re-train or restore the file") from None
    return params, train, normalize


def model_version(directory: str) -> str:
    """How a model is named where its answers are kept (suggestions, corrections): <experiment>/<run>
    of a run's model/ folder, else the folder's own name."""
    parts = os.path.normpath(os.path.abspath(directory)).split(os.sep)
    return "/".join(parts[-3:-1]) if parts[-1] == "model" and len(parts) >= 3 else parts[-1]


def model_dir_of(path: str) -> str:
    """The model directory of a model dir or a run dir (its model/). Experiment folders and their
    @best / @latest aliases are the runs layer's (`runs.choose.resolve_model_dir`): choosing a run
    reads its metrics, which models know nothing of."""
    if not os.path.isdir(path):
        raise KhabarError(f"{path}: no such directory; pass a run directory such as experiments/<name>/<timestamp>")
    if os.path.isfile(os.path.join(path, MANIFEST)):
        return path
    if os.path.isfile(os.path.join(path, "model", MANIFEST)):
        return os.path.join(path, "model")
    if any(os.path.isfile(os.path.join(path, name)) for name in WEIGHT_NAMES):
        raise KhabarError(f"{os.path.join(path, MANIFEST)}: missing beside the model's weights; {RESTORE}")
    raise KhabarError(f"{path}: not a khabar model or run directory (no {MANIFEST}); pass a run directory or its model/ folder")


def resolve_model_dir(path: str) -> str:
    """For models that name another model by a user's path (a prior, a checkpoint): the runs
    layer's `runs.choose.resolve_model_dir`, imported when called (an experiment folder means a
    run chosen by its metrics, which this layer does not read itself)."""
    from ..runs.choose import resolve_model_dir as resolve

    return resolve(path)


def load_model(directory: str) -> Model:
    """Load any kind from a model dir or a run dir (see model_dir_of; an experiment folder is
    resolved first by `runs.choose.resolve_model_dir`).

    The manifest is validated and the files verified (`verify_files`) before the kind parses any weights.
    """
    directory = model_dir_of(directory)
    manifest = read_manifest(directory)
    kind = get_kind(manifest.kind)
    verify_files(directory, manifest)
    model = kind.model_class().load_weights(directory, manifest)
    model.labels_ = list(manifest.labels)
    model.data_fingerprint_ = manifest.data_fingerprint
    model.scheme = OneLabel.from_manifest(manifest)
    # the notes a saved model carries on (how probabilities were made, the run's figures, keys a
    # newer khabar wrote), so saving it again keeps them
    model.probabilities_, model.metrics_, model.notes_ = manifest.probabilities, manifest.metrics, dict(manifest.notes)
    return model


def _manifest_kind(manifest: Manifest, source: str):
    try:
        return get_kind(manifest.kind)
    except KhabarError as exc:
        raise KhabarError(f"{source}: kind: {exc}; this khabar cannot load it") from None
