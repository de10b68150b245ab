"""Every shape of khabar.json earlier versions wrote still loads into the typed manifest, and a
damaged threshold is refused with one line naming the file and the key.

The fixtures in manifests/ are hand-built from the writers in the history of
src/khabar/models/manifest.py and base.py (`git log -p`):
- tfidf_v0_no_files.json: the first shape (no file list, no `probabilities`, no scheme section);
- tfidf_abstain.json: one label with an abstain threshold chosen on dev, metrics, probabilities, files;
- tfidf_multi_label.json: a label set, one threshold per label, one left at the default;
- transformer.json: a transformer's files and metrics.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from khabar.errors import KhabarError
from khabar.models.base import rebuild_config
from khabar.models.manifest import MANIFEST, Manifest, read_manifest
from khabar.models.scheme import LabelSet, OneLabel

HERE = os.path.join(os.path.dirname(__file__), "manifests")
SHAPES = sorted(name for name in os.listdir(HERE) if name.endswith(".json"))


def raw(name: str) -> dict:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return json.load(fh)


def written(tmp_path, manifest: dict) -> str:
    directory = tmp_path / "model"
    directory.mkdir(exist_ok=True)
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return str(directory)


def test_there_is_one_fixture_of_each_older_shape():
    assert SHAPES == ["tfidf_abstain.json", "tfidf_multi_label.json", "tfidf_v0_no_files.json", "transformer.json"]


@pytest.mark.parametrize("name", SHAPES)
def test_every_older_shape_loads_typed_and_rebuilds_its_config(name, tmp_path):
    original = raw(name)
    manifest = read_manifest(written(tmp_path, original))
    assert isinstance(manifest, Manifest)
    assert (manifest.kind, manifest.task, manifest.labels) == (original["kind"], original["task"], original["labels"])
    assert manifest.to_dict() == original  # nothing lost, nothing added
    params, train, normalize = rebuild_config(manifest, str(tmp_path / "model"))
    assert train.seed == 13 and normalize.preset == original["normalize"]["preset"]
    assert manifest.files == original.get("files")


def test_each_shape_gives_its_scheme(tmp_path):
    plain = OneLabel.from_manifest(Manifest.from_dict(raw("tfidf_v0_no_files.json"), "x"))
    assert type(plain) is OneLabel and plain.min_confidence is None
    abstain = OneLabel.from_manifest(Manifest.from_dict(raw("tfidf_abstain.json"), "x"))
    assert type(abstain) is OneLabel and abstain.min_confidence == pytest.approx(0.8692424045573285)
    assert abstain.manifest_section() == {"abstain": raw("tfidf_abstain.json")["abstain"]}
    sets = OneLabel.from_manifest(Manifest.from_dict(raw("tfidf_multi_label.json"), "x"))
    assert isinstance(sets, LabelSet) and not sets.allow_no_label
    assert sets.thresholds.tolist() == [0.412345, 0.631, 0.5]  # in the manifest's label order
    assert sets.manifest_section() == {"multi_label": raw("tfidf_multi_label.json")["multi_label"]}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1.5, -0.1, "0.9", True, None])
def test_a_damaged_abstain_threshold_is_refused_in_one_line(bad, tmp_path):
    manifest = raw("tfidf_abstain.json")
    manifest["abstain"]["min_confidence"] = bad
    directory = written(tmp_path, manifest)
    with pytest.raises(KhabarError) as err:
        read_manifest(directory)
    message = str(err.value)
    assert "\n" not in message and message.startswith(os.path.join(directory, MANIFEST))
    assert "abstain.min_confidence: expected a number from 0 to 1" in message and "re-train or restore" in message


@pytest.mark.parametrize("bad", [float("nan"), float("-inf"), 2.0])
def test_a_damaged_label_threshold_is_refused_in_one_line(bad, tmp_path):
    manifest = raw("tfidf_multi_label.json")
    manifest["multi_label"]["thresholds"]["Politics"] = bad
    directory = written(tmp_path, manifest)
    with pytest.raises(KhabarError, match=r"khabar\.json: multi_label\.thresholds: expected numbers in \[0, 1\], "
                                          r"got \{\"Politics\""):
        read_manifest(directory)


def test_an_abstain_note_beside_a_label_set_is_refused(tmp_path):
    manifest = raw("tfidf_multi_label.json")
    manifest["abstain"] = {"min_confidence": 0.5, "chosen_on": "config"}
    with pytest.raises(KhabarError, match="abstain: a multi-label model decides each label with its own threshold"):
        read_manifest(written(tmp_path, manifest))


def test_a_manifest_json_nan_is_read_and_refused(tmp_path):
    """JSON has no NaN, but Python's json writes and reads the bare word: such a file is refused too."""
    manifest = raw("tfidf_abstain.json")
    directory = written(tmp_path, manifest)
    path = os.path.join(directory, MANIFEST)
    text = open(path, encoding="utf-8").read().replace("0.8692424045573285", "NaN")
    open(path, "w", encoding="utf-8").write(text)
    with pytest.raises(KhabarError, match=r"abstain\.min_confidence: expected a number from 0 to 1, got NaN"):
        read_manifest(directory)


def test_the_mapping_view_serves_kinds_written_against_the_dict():
    manifest = Manifest.from_dict(raw("transformer.json"), "x")
    assert manifest["task"] == "stance" and manifest.get("multi_label") is None and "files" in manifest
    assert np.array_equal(manifest["labels"], manifest.labels)


def _with_offsets(offsets) -> dict:
    manifest = raw("tfidf_abstain.json")
    manifest["label_offsets"] = {"offsets": offsets, "chosen_on": "the dev split"}
    return manifest


def test_label_offsets_load_into_the_one_label_scheme_and_shift_its_decision(tmp_path):
    labels = raw("tfidf_abstain.json")["labels"]
    offsets = {lab: (1.0 if i == 1 else 0.0) for i, lab in enumerate(labels)}
    manifest = read_manifest(written(tmp_path, _with_offsets(offsets)))
    scheme = OneLabel.from_manifest(manifest)
    assert scheme.manifest_section()["label_offsets"] == {"offsets": offsets, "chosen_on": "the dev split"}
    proba = np.full((1, len(labels)), 0.05)
    proba[0, :2] = [0.5, 0.3]  # label 0 ahead of label 1 by less than a factor e
    proba /= proba.sum()
    shifted = scheme.shift(proba, labels)
    assert scheme.decide(proba) == [[0]] and scheme.decide(shifted) == [[1]]
    assert shifted.sum() == pytest.approx(1.0)
    moved = np.log(shifted[0]) - np.log(proba[0]) - np.array([offsets[lab] for lab in labels])
    assert np.allclose(moved, moved[0])  # times exp(offset), renormalized


@pytest.mark.parametrize("bad, said", [
    ("nan", "expected finite numbers"), ("drop", "differ from labels"), ("text", "expected finite numbers"),
    ("huge", "expected finite numbers"), ("not a map", "expected {\"offsets\""),
])
def test_damaged_label_offsets_are_refused_in_one_line(bad, said, tmp_path):
    labels = raw("tfidf_abstain.json")["labels"]
    offsets = {lab: 0.0 for lab in labels}
    if bad == "nan":
        offsets[labels[0]] = float("nan")
    elif bad == "drop":
        offsets.pop(labels[-1])
    elif bad == "text":
        offsets[labels[0]] = "0.5"
    elif bad == "huge":
        offsets[labels[0]] = 1e9
    manifest = _with_offsets(offsets)
    if bad == "not a map":
        manifest["label_offsets"] = [0.1, 0.2]
    directory = written(tmp_path, manifest)
    with pytest.raises(KhabarError) as err:
        read_manifest(directory)
    message = str(err.value)
    assert "\n" not in message and message.startswith(os.path.join(directory, MANIFEST))
    assert "label_offsets" in message and said in message


def test_a_multi_label_manifest_with_label_offsets_is_refused(tmp_path):
    manifest = raw("tfidf_multi_label.json")
    manifest["label_offsets"] = {"offsets": {lab: 0.0 for lab in manifest["labels"]}, "chosen_on": "dev"}
    with pytest.raises(KhabarError, match="label_offsets: a multi-label model"):
        read_manifest(written(tmp_path, manifest))
