"""khabar.models.registry: `model.kind` -> the plug-in that says everything about it."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from khabar import schema
from khabar.errors import KhabarError
from khabar.models.base import Model
from khabar.models.registry import KINDS, Kind, get_kind


def test_an_unknown_kind_lists_the_valid_ones():
    with pytest.raises(KhabarError) as err:
        get_kind("forest")
    assert str(err.value) == f"unknown model kind 'forest'; valid kinds: {', '.join(sorted(KINDS))}"
    assert sorted(KINDS) == ["stream", "tfidf", "transformer"]
    with pytest.raises(KhabarError, match="unknown model kind None"):
        get_kind(None)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_package_exports_its_kind(name):
    package = importlib.import_module(KINDS[name])
    kind = package.KIND
    assert isinstance(kind, Kind) and kind.name == name and get_kind(name) is kind


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_has_sections_whose_defaults_build(name):
    kind = get_kind(name)
    assert dataclasses.is_dataclass(kind.params) and dataclasses.is_dataclass(kind.train)
    params = schema.build(kind.params, {}, "model", "c.yaml")  # every key has a default
    train = schema.build(kind.train, {}, "train", "c.yaml")
    assert "seed" in {f.name for f in dataclasses.fields(kind.train)} and isinstance(train.seed, int)
    kind.validate(params, "c.yaml: model")  # the defaults pass the kind's own checks
    assert kind.default_preset(params) in ("none", "light", "standard", "arabert")
    assert schema.build(kind.params, schema.to_dict(params), "model", "c.yaml") == params


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_names_a_model_class_of_its_own(name):
    kind = get_kind(name)
    cls = kind.model_class()
    assert issubclass(cls, Model) and cls.kind == name
    assert isinstance(kind.trusted_types, tuple) and isinstance(kind.data_parallel, bool)


def test_the_kinds_declare_what_they_are():
    tfidf, transformer = get_kind("tfidf"), get_kind("transformer")
    assert not tfidf.data_parallel and transformer.data_parallel
    assert "khabar.models.tfidf.word_char.WordCharTfidf" in tfidf.trusted_types
    assert transformer.trusted_types == ()  # safetensors: nothing to trust


def test_validate_reports_with_the_where_it_is_given():
    kind = get_kind("tfidf")
    params = schema.build(kind.params, {"word_ngrams": [2, 1]}, "model", "c.yaml")
    with pytest.raises(KhabarError, match=r"^c\.yaml: model\.word_ngrams: expected \[min, max\]"):
        kind.validate(params, "c.yaml: model")


def test_a_registry_line_pointing_at_the_wrong_package_is_a_programming_error(monkeypatch):
    monkeypatch.setitem(KINDS, "boosted", "khabar.models.tfidf")
    with pytest.raises(RuntimeError, match="declares kind 'tfidf', not 'boosted'"):
        get_kind("boosted")


def test_a_new_kind_is_one_registry_line(monkeypatch, tmp_path):
    """A plug-in outside khabar: config loading, model building and the manifest follow from KIND."""
    import sys

    package = tmp_path / "majority_kind"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from dataclasses import dataclass, field\n"
        "from khabar.models.registry import Kind\n"
        "@dataclass\n"
        "class Params:\n"
        "    smoothing: float = field(default=0.0, metadata={'min': 0.0})\n"
        "@dataclass\n"
        "class Train:\n"
        "    seed: int = 0\n"
        "KIND = Kind(name='majority', params=Params, train=Train, model='majority_kind.model:Majority')\n",
        encoding="utf-8")
    (package / "model.py").write_text(
        "import numpy as np\n"
        "from khabar.models.base import Model\n"
        "class Majority(Model):\n"
        "    kind = 'majority'\n"
        "    def fit(self, train, dev=None):\n"
        "        self.start_fit(train)\n"
        "        counts = [sum(ex.label == lab for ex in train) for lab in self.labels_]\n"
        "        self.proba_ = np.array(counts, dtype=float) / len(train)\n"
        "        return self\n"
        "    def predict_proba(self, inputs):\n"
        "        self.check_fitted()\n"
        "        self.normalize_inputs(inputs)\n"
        "        return np.tile(self.proba_, (len(inputs), 1))\n"
        "    def save_weights(self, directory):\n"
        "        np.save(directory + '/proba.npy', self.proba_)\n"
        "    @classmethod\n"
        "    def load_weights(cls, directory, manifest):\n"
        "        from khabar.models.base import rebuild_config\n"
        "        model = cls(manifest['task'], *rebuild_config(manifest, directory))\n"
        "        model.proba_ = np.load(directory + '/proba.npy')\n"
        "        return model\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(KINDS, "majority", "majority_kind")
    try:
        from khabar.config import config_from_dict
        from khabar.examples import Example
        from khabar.models.base import load_model

        config = config_from_dict({"name": "m", "task": "topic", "data": {"path": "x"},
                                   "model": {"kind": "majority", "smoothing": 0.5}}, "m.yaml")
        assert config.model_kind == "majority" and config.model.smoothing == 0.5 and config.train.seed == 0
        model = get_kind("majority").model_class()(config.task, config.model, config.train, config.normalize)
        model.fit([Example("1", "أ", "a"), Example("2", "ب", "a"), Example("3", "ج", "b")])
        model.save(str(tmp_path / "saved"))
        again = load_model(str(tmp_path / "saved"))
        assert again.kind == "majority" and again.predict(["نص"]) == ["a"]
    finally:
        for module in ("majority_kind", "majority_kind.model"):
            sys.modules.pop(module, None)
