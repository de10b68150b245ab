"""The interface every model kind follows, and the manifest that makes a model dir self-describing.

A model owns its normalization: `fit` and `predict_proba` both normalize with the preset stored in
the manifest, so prediction repeats exactly what training did.

The manifest (`khabar.json`) also lists every file of the model directory with its size and
SHA-256 (`files`). Loading validates the manifest as a whole, then checks that every listed file is
there, whole and unchanged, and that no other file is (a loader could read it: transformers picks
up optional files by name, `pytorch_model.bin` is pickle), all before skops or transformers parse
anything. A damaged directory is one `KhabarError` line naming the file or key, never a traceback
and never a model that loads and answers wrongly. Directories saved before the file list existed
load with a one-line notice that their files are not verified.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from datetime import datetime, timezone
from difflib import SequenceMatcher
from typing import Any, Callable, ClassVar, Optional, Sequence, Union

import numpy as np

from .. import __version__, schema
from ..errors import KhabarError
from ..examples import TASKS, Example, model_input
from ..log import say
from ..normalize import NormalizeConfig, check_normalize_options
from .registry import get_kind
from .thresholds import DEFAULT_THRESHOLD, choose_thresholds, labels_above, multi_hot

Inputs = Sequence[Union[str, tuple[str, str]]]
#: how many words `Model.explain` lists on each side (toward, against) unless told
EXPLAIN_TOP = 10
MANIFEST = "khabar.json"
#: manifest keys every kind writes; any other key is a kind's own note (e.g. how it got probabilities)
MANIFEST_KEYS = frozenset(("khabar_version", "kind", "task", "labels", "normalize", "params", "train",
                           "data_fingerprint", "saved_at", "files"))
#: the manifest key of a multi-label model: {"thresholds": {label: t}, "allow_no_label": bool, "chosen_on": str}
MULTI_LABEL = "multi_label"


def is_multi_label(manifest: dict) -> bool:
    """Whether a (validated) manifest is a multi-label model's: the one test every loader uses."""
    return MULTI_LABEL in manifest
#: the manifest key listing the model's files: relative path -> {"size": bytes, "sha256": hex digest}
FILES = "files"
#: file suffixes of pickle-based formats: khabar never writes them and never lets a loader read them
PICKLE_SUFFIXES = (".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib")
RESTORE = "re-train or restore the folder"
#: files that make a folder without khabar.json look like a damaged model directory rather than a wrong path
WEIGHT_NAMES = ("pipeline.skops", "model.safetensors", "pytorch_model.bin")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
        # multi-label: examples carry label sets, `predict_proba` gives one independent probability
        # per label, and `decide` keeps every label at or above its threshold (`thresholds_`)
        self.multi_label = multi_label
        self.allow_no_label = allow_no_label
        # a setting, not learned: kinds that train in epochs call it after each dev evaluation with
        # (epoch, {"macro_f1": ..., "accuracy": ...}); it may raise to stop the fit (tune's pruning)
        self.epoch_callback = None

    # -- learned state ---------------------------------------------------------------------
    def start_fit(self, train: Sequence[Example]) -> None:
        """Reset what a previous fit learned and set the label set and data fingerprint."""
        seen = sorted({label for ex in train for label in ex.gold})
        if self.labels:
            extra = [lab for lab in seen if lab not in self.labels]
            if extra:
                raise KhabarError(f"training labels {extra} are not in the configured label set {self.labels}")
        self.labels_ = list(self.labels) if self.labels else seen
        if self.multi_label:
            counts = Counter(label for ex in train for label in ex.gold)
            missing = [lab for lab in self.labels_ if not counts[lab]]
            if missing:
                raise KhabarError(f"labels {missing} have no training example; add examples or remove them from data.labels")
            everywhere = [lab for lab in self.labels_ if counts[lab] == len(train)]
            if everywhere:
                raise KhabarError(f"label {everywhere[0]!r} is on every training article: a label that is never absent "
                                  "cannot be learned; remove it (from data.label_columns or the label lists)")
        self.data_fingerprint_ = data_fingerprint(train)
        self.extra_manifest_ = {}
        if self.multi_label:
            self.thresholds_ = np.full(len(self.labels_), DEFAULT_THRESHOLD)

    def gold_matrix(self, examples: Sequence[Example]) -> np.ndarray:
        """Multi-label gold of `examples` as a rows x `labels_` 0/1 matrix (what one-vs-rest fits on)."""
        return multi_hot([ex.gold for ex in examples], self.labels_)

    def fit_thresholds(self, proba: np.ndarray, examples: Sequence[Example], where: str) -> None:
        """A multi-label model's per-label thresholds from held-out probabilities (`where`: which
        data, for the manifest), recorded in the manifest (see `thresholds.choose_thresholds`)."""
        self.thresholds_, uninformed = choose_thresholds(proba, self.gold_matrix(examples), floor=not self.allow_no_label)
        note = {"thresholds": {lab: round(float(t), 6) for lab, t in zip(self.labels_, self.thresholds_)},
                "allow_no_label": self.allow_no_label, "chosen_on": where}
        if uninformed:
            note["default_for"] = [self.labels_[j] for j in uninformed]
            say(f"no positive example of {', '.join(note['default_for'])} in the {where}: threshold "
                f"{DEFAULT_THRESHOLD} for them")
        self.extra_manifest_[MULTI_LABEL] = note

    def decide(self, proba: np.ndarray) -> list[list[int]]:
        """The label indices each row of `proba` gets: the most probable one, or for a multi-label
        model every label at or above its threshold, most probable first (the one decision rule)."""
        proba = np.asarray(proba)
        if not self.multi_label:
            return [[int(i)] for i in proba.argmax(axis=1)] if len(proba) else []
        return labels_above(proba, self.thresholds_, self.allow_no_label)

    def check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise KhabarError(f"this {self.kind} model is not trained; call fit or load a model directory")

    # -- normalization -------------------------------------------------------------------
    def normalize_inputs(self, inputs: Inputs, training: bool = False) -> list:
        """Apply the model's own normalization to raw texts or (claim, text) pairs, after checking
        each against the one input rule (`examples.model_input`).

        A text to label that normalization leaves empty (only zero-width characters, only
        diacritics) is refused: the model would answer with its prior, a confident-looking guess
        about nothing. Training data (`training=True`) keeps such rare rows, which teach nothing
        and harm nothing.
        """
        norm = self.__dict__.get("normalizer_")
        if norm is None:
            norm = self.normalizer_ = self.normalize.build()
        out = []
        for i, item in enumerate(inputs):
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
        chosen = self.decide(self.predict_proba(inputs))
        if self.multi_label:
            return [[self.labels_[j] for j in row] for row in chosen]
        return [self.labels_[row[0]] for row in chosen]

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
        manifest[FILES] = record_files(directory)
        tmp = os.path.join(directory, f".{MANIFEST}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2, sort_keys=True)
        os.replace(tmp, os.path.join(directory, MANIFEST))

    def manifest(self) -> dict:
        return {
            "khabar_version": __version__,
            "kind": self.kind,
            "task": self.task,
            "labels": list(self.labels_),
            "normalize": schema.to_dict(self.normalize),
            "params": schema.to_dict(self.params),
            "train": schema.to_dict(self.train_params),
            "data_fingerprint": self.data_fingerprint_,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **self.extra_manifest_,
        }

    @classmethod
    def load(cls, directory: str) -> "Model":
        """A saved model of this class (any kind when called on `Model`)."""
        model = load_model(directory)
        if not isinstance(model, cls):
            raise KhabarError(f"{directory}: holds a {model.kind} model, not a {cls.kind} one")
        return model


def read_manifest(directory: str) -> dict:
    """The manifest of a model directory, validated as a whole (see `validate_manifest`)."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        raise KhabarError(f"{directory}: not a khabar model directory (no {MANIFEST}); pass a run directory or its model/ folder")
    try:
        with open(path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise KhabarError(f"{path}: broken manifest ({detail}); re-train or restore the file") from None
    except OSError as exc:
        raise KhabarError(f"{path}: cannot read the manifest ({exc.strerror or exc}); check the file's permissions") from None
    validate_manifest(manifest, path)
    return manifest


def validate_manifest(manifest: Any, source: str) -> None:
    """Every problem of a manifest in one `KhabarError` line, each naming its key."""
    if not isinstance(manifest, dict):
        raise KhabarError(f"{source}: the manifest is a JSON {_json_type(manifest)}, not an object of keys; "
                          "re-train or restore the file")
    problems = []

    def need(key: str, types: tuple, what: str) -> bool:
        if key not in manifest:
            problems.append(f"{key}: missing")
            return False
        if not isinstance(manifest[key], types):
            problems.append(f"{key}: expected {what}, got {_show(manifest[key])}")
            return False
        return True

    if need("kind", (str,), "a model kind name"):
        try:
            get_kind(manifest["kind"])
        except KhabarError as exc:
            problems.append(f"kind: {exc}; this khabar cannot load it")
    if need("task", (str,), "a task name") and manifest["task"] not in TASKS:
        problems.append(f"task: {manifest['task']!r} is not one of {', '.join(TASKS)}")
    if need("labels", (list,), "a list of at least two label names"):
        labels = manifest["labels"]
        if not all(isinstance(lab, str) and lab.strip() for lab in labels):
            problems.append(f"labels: every label must be a non-empty string, got {_show(labels)}")
        elif len(set(labels)) != len(labels):
            problems.append(f"labels: {sorted(lab for lab, n in Counter(labels).items() if n > 1)} appear more than once")
        elif len(labels) < 2:
            problems.append(f"labels: a classifier has at least two labels, got {_show(labels)}")
    for key in ("normalize", "params", "train"):
        need(key, (dict,), "a mapping of keys")
    for key in ("khabar_version", "data_fingerprint", "saved_at"):
        if key in manifest and not isinstance(manifest[key], str):
            problems.append(f"{key}: expected a string, got {_show(manifest[key])}")
    if FILES in manifest:
        problems += _files_problems(manifest[FILES])
    if MULTI_LABEL in manifest:  # present means multi-label: a null or damaged note is refused, not ignored
        problems += _multi_label_problems(manifest[MULTI_LABEL], manifest.get("labels"))
    if problems:
        raise KhabarError(f"{source}: {'; '.join(problems)}; re-train or restore the file")


def _files_problems(files: Any) -> list[str]:
    if not isinstance(files, dict) or not files:
        return [f"{FILES}: expected a mapping of file name -> {{size, sha256}}, got {_show(files)}"]
    problems = []
    for name, entry in files.items():
        if not _safe_relative(name):
            problems.append(f"{FILES}: {name!r} is not a file name inside the model directory")
        elif (not isinstance(entry, dict) or set(entry) != {"size", "sha256"}
              or not isinstance(entry["size"], int) or isinstance(entry["size"], bool) or entry["size"] < 0
              or not isinstance(entry["sha256"], str) or not _SHA256.fullmatch(entry["sha256"])):
            problems.append(f"{FILES}: {name}: expected {{\"size\": bytes, \"sha256\": 64 hex digits}}, got {_show(entry)}")
    return problems


def _multi_label_problems(note: Any, labels: Any) -> list[str]:
    """A multi-label note: a threshold in [0, 1] for exactly the manifest's labels, and allow_no_label."""
    key = MULTI_LABEL
    if not isinstance(note, dict) or not isinstance(note.get("thresholds"), dict):
        return [f"{key}: expected {{\"thresholds\": {{label: number}}, \"allow_no_label\": bool}}, got {_show(note)}"]
    problems = []
    thresholds = note["thresholds"]
    if isinstance(labels, list) and sorted(map(str, thresholds)) != sorted(map(str, labels)):
        problems.append(f"{key}.thresholds: labels {sorted(thresholds)} differ from labels {_show(labels)}")
    bad = {lab: t for lab, t in thresholds.items()
           if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0}
    if bad:
        problems.append(f"{key}.thresholds: expected numbers in [0, 1], got {_show(bad)}")
    if not isinstance(note.get("allow_no_label"), bool):
        problems.append(f"{key}.allow_no_label: expected true or false, got {_show(note.get('allow_no_label'))}")
    return problems


def _safe_relative(name: Any) -> bool:
    """A plain relative path with / separators, inside the directory, not the manifest itself."""
    if not isinstance(name, str) or not name or name == MANIFEST or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    return not name.startswith("/") and all(p not in ("", ".", "..") for p in parts) and ":" not in parts[0]


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError, RecursionError):
        return False


# -- explanations: words of the original text ---------------------------------------------------------
#: a word, as the TF-IDF features and the explanations count words
WORD = re.compile(r"\w+")
#: characters that belong to the word they are in although `\w` does not match them: diacritics
#: and other combining marks, zero-width joiners and other format characters
_JOINED = frozenset(("Mn", "Mc", "Me", "Cf"))
#: a word found in the text, with its place in the normalized text and its span in the original
AlignedWord = tuple[str, int, int, Optional[tuple[int, int]]]


def aligned_words(original: str, normalize: Callable[[str], str], normalized: Optional[str] = None,
                  lower: bool = False) -> list[AlignedWord]:
    """The words (`\\w+`) of the normalized text, each as (word, start, end, span): where it is in the
    normalized text, and `span`, the (start, end) character offsets of the original text it came
    from, or None where normalization left no trace of it. `lower`: words lower-cased (as the
    stance features read them).

    The original is cut at whitespace and each piece normalized alone (the presets work within
    words, so the pieces give the text's words), then cut again between words (at punctuation) so
    that each word's span covers its own letters and marks; the normalized text's words are then
    matched to the pieces' words in order (difflib where they differ, e.g. an HTML tag with a
    space inside). Pieces repeat in news text, so each distinct one is normalized once.
    """
    if normalized is None:
        normalized = normalize(original)
    key = str.lower if lower else (lambda word: word)
    target = [(key(m.group()), m.start(), m.end()) for m in WORD.finditer(normalized)]
    source: list[tuple[str, tuple[int, int]]] = []
    seen: dict = {}
    for chunk in re.finditer(r"\S+", original):
        text = chunk.group()
        found = seen.get(text)
        if found is None:
            found = seen[text] = _chunk_words(text, normalize)
        at = chunk.start()
        source.extend((key(word), (at + start, at + end)) for word, start, end in found)
    mine, theirs = [w for w, _, _ in target], [w for w, _ in source]
    if mine == theirs:
        spans: list = [span for _, span in source]
    else:
        spans = [None] * len(target)
        for i, j, n in SequenceMatcher(None, mine, theirs, autojunk=False).get_matching_blocks():
            for k in range(n):
                spans[i + k] = source[j + k][1]
    return [(word, start, end, span) for (word, start, end), span in zip(target, spans)]


def _chunk_words(chunk: str, normalize: Callable[[str], str]) -> list[tuple[str, int, int]]:
    """(word, start, end) of the words a whitespace-free piece of the original normalizes to, each
    with the narrowest part of the piece it can be traced to."""
    words = WORD.findall(normalize(chunk))
    runs, start = [], None
    for i, char in enumerate(chunk):
        inside = char.isalnum() or char == "_" or unicodedata.category(char) in _JOINED
        if inside and start is None:
            start = i
        elif not inside and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(chunk)))
    if len(runs) == 1 and len(words) == 1:
        return [(words[0], *runs[0])]
    per_run = [WORD.findall(normalize(chunk[a:b])) for a, b in runs]
    if [w for found in per_run for w in found] == words:
        return [(w, a, b) for (a, b), found in zip(runs, per_run) for w in found]
    return [(w, 0, len(chunk)) for w in words]  # e.g. a URL that became one placeholder word


def evidence(weights: dict, spans: dict, top: int) -> tuple[list[dict], list[dict]]:
    """(toward, against): the `top` words of positive and of negative weight, strongest first.

    `weights` maps (part, word) to the word's weight; `spans` maps (part, word) to the (start,
    end) offsets of its occurrences in the original part. Ties keep the order of `weights`
    (first occurrence first)."""
    ranked = sorted(weights.items(), key=lambda item: -abs(item[1]))

    def entry(key, weight):
        part, word = key
        return {"word": word, "part": part, "weight": float(weight),
                "spans": [{"start": int(a), "end": int(b)} for a, b in spans.get(key, ())]}

    toward = [entry(k, w) for k, w in ranked if w > 0][:top]
    against = [entry(k, w) for k, w in ranked if w < 0][:top]
    return toward, against


def word_spans(words: dict) -> dict:
    """(part, word) -> the original (start, end) spans of its occurrences, in text order, from
    {part: `aligned_words(...)`}."""
    spans: dict = {}
    for part, found in words.items():
        for word, _, _, span in found:
            if span is not None:
                spans.setdefault((part, word), [])
                if not spans[(part, word)] or spans[(part, word)][-1] != span:
                    spans[(part, word)].append(span)
    return spans


def in_text_order(weights: dict, words: dict) -> dict:
    """`weights` keyed by (part, word) in order of first occurrence in {part: aligned words} (so
    that ties in a ranking keep text order); keys found in no part come last."""
    order = [(part, w) for part, found in words.items() for w, _, _, _ in found]
    out = {key: weights[key] for key in dict.fromkeys(order) if key in weights}
    out.update((key, value) for key, value in weights.items() if key not in out)
    return out


def label_explanation(label: str, probability: float, score: float, base: float, weights: dict, spans: dict,
                      top: int, signals: Sequence[dict] = (), unassigned: float = 0.0) -> dict:
    """One entry of an explanation's `explained` list (see `Model.explain`)."""
    toward, against = evidence(weights, spans, top)
    return {"label": label, "probability": float(probability), "score": float(score), "base": float(base),
            "toward": toward, "against": against, "signals": list(signals), "unassigned": float(unassigned)}


# -- the model's files ----------------------------------------------------------------------------
def model_files(directory: str) -> list[str]:
    """Every file of a model directory but the manifest, as sorted relative paths with /.

    Hidden names (starting with ".", such as .DS_Store or a temporary manifest) are left out: no
    loader reads them.
    """
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(root, directory)
        for name in names:
            if name.startswith("."):
                continue
            path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            if path != MANIFEST:
                found.append(path)
    return sorted(found)


def file_digest(path: str) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex digest) of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 20)
            if not block:
                break
            size += len(block)
            digest.update(block)
    return size, digest.hexdigest()


def record_files(directory: str) -> dict:
    """The manifest's `files` entry: every file of the directory with its size and SHA-256."""
    out = {}
    for name in model_files(directory):
        size, sha = file_digest(os.path.join(directory, *name.split("/")))
        out[name] = {"size": size, "sha256": sha}
    return out


def verify_files(directory: str, manifest: dict) -> None:
    """Before any weights are parsed: every file the manifest lists is there with its size and
    SHA-256, no other file is, and no pickle file is anywhere. One `KhabarError` line naming the file.

    A manifest without `files` (saved before khabar recorded them) gets a one-line notice and only
    the pickle check.
    """
    present = model_files(directory)
    pickles = [name for name in present if name.lower().endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise KhabarError(f"{os.path.join(directory, pickles[0])}: a pickle-format file in the model directory; "
                          "khabar never writes or loads pickle weights (loading one can run code): remove it, "
                          f"or {RESTORE}")
    files = manifest.get(FILES)
    if files is None:
        say(f"{directory}: {MANIFEST} lists no files (saved by khabar {manifest.get('khabar_version', '?')}, "
            "before file checks): its files are not verified; re-train to record them")
        return
    listed = set(files)
    for name, entry in files.items():
        path = os.path.join(directory, *name.split("/"))
        if not os.path.isfile(path):
            raise KhabarError(f"{path}: missing ({MANIFEST} lists it); {RESTORE}")
        size = os.path.getsize(path)
        if size != entry["size"]:
            raise KhabarError(f"{path}: {size} bytes where {MANIFEST} records {entry['size']}: the file is truncated "
                              f"or altered; {RESTORE}")
    extra = [name for name in present if name not in listed]
    if extra:
        raise KhabarError(f"{os.path.join(directory, extra[0])}: not one of the model's files ({MANIFEST} lists "
                          f"{', '.join(sorted(listed))}); khabar loads only the files it saved: remove it, or {RESTORE}")
    for name, entry in files.items():
        path = os.path.join(directory, *name.split("/"))
        if file_digest(path)[1] != entry["sha256"]:
            raise KhabarError(f"{path}: its content differs from the file saved with the model (SHA-256 mismatch); {RESTORE}")


def rebuild_config(manifest: dict, directory: str):
    """(params, train, normalize) dataclasses from a manifest, validated like a config."""
    source = os.path.join(directory, MANIFEST)
    kind = _manifest_kind(manifest, source)
    try:
        params = schema.build(kind.params, manifest.get("params", {}), "params", source)
        train = schema.build(kind.train, manifest.get("train", {}), "train", source)
        normalize = schema.build(NormalizeConfig, manifest.get("normalize", {}), "normalize", source)
        check_normalize_options(normalize.preset, normalize.steps, f"{source}: normalize")
    except KhabarError as exc:
        raise KhabarError(f"{exc}; re-train or restore the file") from None
    return params, train, normalize


def resolve_model_dir(path: str) -> str:
    """A model directory from a model dir, a run dir, or an experiment's folder of runs (newest run)."""
    if not os.path.isdir(path):
        raise KhabarError(f"{path}: no such directory; pass a run directory such as experiments/<name>/<timestamp>")
    if os.path.isfile(os.path.join(path, MANIFEST)):
        return path
    if os.path.isfile(os.path.join(path, "model", MANIFEST)):
        return os.path.join(path, "model")
    runs = sorted(d for d in os.listdir(path)
                  if not d.startswith(".") and os.path.isfile(os.path.join(path, d, "model", MANIFEST)))
    if runs:
        newest = os.path.join(path, runs[-1], "model")
        say(f"using the newest run {os.path.join(path, runs[-1])}")
        return newest
    if any(os.path.isfile(os.path.join(path, name)) for name in WEIGHT_NAMES):
        raise KhabarError(f"{os.path.join(path, MANIFEST)}: missing beside the model's weights; {RESTORE}")
    raise KhabarError(f"{path}: not a khabar model or run directory (no {MANIFEST}); pass a run directory or its model/ folder")


def load_model(directory: str) -> Model:
    """Load any kind from a model dir, a run dir or an experiment folder (see resolve_model_dir).

    The manifest is validated and the files verified (`verify_files`) before the kind parses any weights.
    """
    directory = resolve_model_dir(directory)
    manifest = read_manifest(directory)
    kind = get_kind(manifest["kind"])
    verify_files(directory, manifest)
    model = kind.model_class().load_weights(directory, manifest)
    model.labels_ = list(manifest["labels"])
    model.data_fingerprint_ = manifest.get("data_fingerprint", "")
    # every note the manifest carries beyond the standard keys (metrics, how probabilities were made)
    model.extra_manifest_ = {k: v for k, v in manifest.items() if k not in MANIFEST_KEYS}
    model.multi_label = is_multi_label(manifest)
    if model.multi_label:
        note = manifest[MULTI_LABEL]
        model.thresholds_ = np.array([note["thresholds"][lab] for lab in model.labels_], dtype=np.float64)
        model.allow_no_label = note["allow_no_label"]
    return model


def _manifest_kind(manifest: dict, source: str):
    try:
        return get_kind(manifest.get("kind"))
    except KhabarError as exc:
        raise KhabarError(f"{source}: kind: {exc}; this khabar cannot load it") from None
