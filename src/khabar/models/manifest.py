"""The manifest that makes a model directory self-describing, and the checks that make it trusted.

The manifest (`khabar.json`) names the kind, task, labels, normalization and settings, and lists
every file of the model directory with its size and SHA-256 (`files`). Loading validates the
manifest as a whole, then checks that every listed file is there, whole and unchanged, and that no
other file is (a loader could read it: transformers picks up optional files by name,
`pytorch_model.bin` is pickle), all before skops or transformers parse anything. A damaged
directory is one `KhabarError` line naming the file or key, never a traceback and never a model
that loads and answers wrongly. Directories saved before the file list existed load with a
one-line notice that their files are not verified.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import KhabarError
from ..examples import TASKS
from ..log import say
from .registry import get_kind

MANIFEST = "khabar.json"
#: manifest keys every kind writes
MANIFEST_KEYS = frozenset(("khabar_version", "kind", "task", "labels", "normalize", "params", "train",
                           "data_fingerprint", "saved_at", "files"))
#: the manifest key of a multi-label model: {"thresholds": {label: t}, "allow_no_label": bool, "chosen_on": str}
MULTI_LABEL = "multi_label"
#: the manifest key of a one-label model's abstain threshold: {"min_confidence": p, "chosen_on": str, ...}
ABSTAIN = "abstain"
#: the manifest key of a one-label model's per-label offsets: {"offsets": {label: number}, "chosen_on": str}
LABEL_OFFSETS = "label_offsets"


@dataclass
class Manifest:
    """khabar.json, typed: what `Model.save` writes and `read_manifest` gives back, validated as a
    whole first (`validate_manifest`). Every shape earlier khabar versions wrote loads: without
    `files` (before file checks), without `probabilities`, `metrics` or a scheme section.

    `abstain` and `label_offsets` (one label) or `multi_label` (a label set) are the scheme's sections
    (`models.scheme`); `probabilities` says how the kind made them; `metrics` the headline
    figures of the run that saved it; `notes` keeps keys this khabar does not know, as they are.
    Kinds written against the plain dict may still read it as one (`manifest["task"]`, `.get`).
    """

    kind: str
    task: str
    labels: list[str]
    normalize: dict
    params: dict
    train: dict
    khabar_version: str = ""
    data_fingerprint: str = ""
    saved_at: str = ""
    files: Optional[dict] = None
    abstain: Optional[dict] = None
    multi_label: Optional[dict] = None
    label_offsets: Optional[dict] = None
    probabilities: Optional[str] = None
    metrics: Optional[dict] = None
    notes: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Any, source: str) -> "Manifest":
        """The manifest of `raw` (a parsed khabar.json), or one `KhabarError` line naming `source` and the key."""
        validate_manifest(raw, source)
        known = {f.name for f in dataclasses.fields(cls)} - {"notes"}
        return cls(**{k: v for k, v in raw.items() if k in known},
                   notes={k: v for k, v in raw.items() if k not in known})

    def to_dict(self) -> dict:
        """The JSON object written to khabar.json (sections that are None left out)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name != "notes" and not (f.default is None and getattr(self, f.name) is None)}
        return {**out, **self.notes}

    # a read-only mapping view, for kinds written when the manifest was a dict
    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_dict().get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.to_dict()


#: the manifest key listing the model's files: relative path -> {"size": bytes, "sha256": hex digest}
FILES = "files"
#: file suffixes of pickle-based formats: khabar never writes them and never lets a loader read them
PICKLE_SUFFIXES = (".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib")
RESTORE = "re-train or restore the folder"
#: files that make a folder without khabar.json look like a damaged model directory rather than a wrong path
WEIGHT_NAMES = ("pipeline.skops", "model.safetensors", "pytorch_model.bin")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_manifest(directory: str) -> Manifest:
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
    return Manifest.from_dict(manifest, path)


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
    if ABSTAIN in manifest:  # a damaged threshold is refused, not silently ignored
        problems += _abstain_problems(manifest[ABSTAIN])
    if ABSTAIN in manifest and MULTI_LABEL in manifest:
        problems.append(f"{ABSTAIN}: a multi-label model decides each label with its own threshold; it has no "
                        "abstain threshold")
    if LABEL_OFFSETS in manifest:
        problems += _offsets_problems(manifest[LABEL_OFFSETS], manifest.get("labels"))
        if MULTI_LABEL in manifest:
            problems.append(f"{LABEL_OFFSETS}: a multi-label model decides each label with its own threshold; "
                            "it has no label offsets")
    if "probabilities" in manifest and not isinstance(manifest["probabilities"], str):
        problems.append(f"probabilities: expected a string, got {_show(manifest['probabilities'])}")
    if "metrics" in manifest and not isinstance(manifest["metrics"], dict):
        problems.append(f"metrics: expected a mapping of split -> figures, got {_show(manifest['metrics'])}")
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
    bad = {lab: t for lab, t in thresholds.items() if not _probability(t)}
    if bad:
        problems.append(f"{key}.thresholds: expected numbers in [0, 1], got {_show(bad)}")
    if not isinstance(note.get("allow_no_label"), bool):
        problems.append(f"{key}.allow_no_label: expected true or false, got {_show(note.get('allow_no_label'))}")
    return problems


def _probability(value: Any) -> bool:
    """A finite number from 0 to 1 (not a boolean, NaN or infinity)."""
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and 0.0 <= value <= 1.0)


def _abstain_problems(note: Any) -> list[str]:
    """An abstain note: a mapping whose min_confidence is a probability."""
    if not isinstance(note, dict) or "min_confidence" not in note:
        return [f"{ABSTAIN}: expected {{\"min_confidence\": number, \"chosen_on\": ...}}, got {_show(note)}"]
    if not _probability(note["min_confidence"]):
        return [f"{ABSTAIN}.min_confidence: expected a number from 0 to 1, got {_show(note['min_confidence'])}"]
    return []


def _offsets_problems(note: Any, labels: Any) -> list[str]:
    """A label-offsets note: a finite number for exactly the manifest's labels."""
    if not isinstance(note, dict) or not isinstance(note.get("offsets"), dict):
        return [f"{LABEL_OFFSETS}: expected {{\"offsets\": {{label: number}}, \"chosen_on\": ...}}, got {_show(note)}"]
    offsets = note["offsets"]
    problems = []
    if isinstance(labels, list) and sorted(map(str, offsets)) != sorted(map(str, labels)):
        problems.append(f"{LABEL_OFFSETS}.offsets: labels {sorted(offsets)} differ from labels {_show(labels)}")
    bad = {lab: v for lab, v in offsets.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > 50}
    if bad:
        problems.append(f"{LABEL_OFFSETS}.offsets: expected finite numbers from -50 to 50, got {_show(bad)}")
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


def verify_files(directory: str, manifest: Manifest) -> None:
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
    files = manifest.files
    if files is None:
        say(f"{directory}: {MANIFEST} lists no files (saved by khabar {manifest.khabar_version or '?'}, "
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
