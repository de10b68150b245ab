"""khabar.config: YAML -> validated Config; `base:` extension; `--set` overrides; every shipped config."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from repo import CONFIGS, ROOT

from khabar.config import load_config, merge
from khabar.errors import KhabarError

SHIPPED = sorted(p.name for p in CONFIGS.glob("*.yaml"))


def test_there_are_shipped_configs():
    assert len(SHIPPED) >= 4 and "sample_topic_tfidf.yaml" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_config_loads(name):
    """Only the config: those whose data is in the shared corpora load without it."""
    config = load_config(str(CONFIGS / name))
    assert config.name and config.task in ("topic", "stance")
    assert config.to_dict()["model"]["kind"] == config.model_kind
    assert config.source == str(CONFIGS / name)


@pytest.mark.parametrize("name", ["sample_topic_bert.yaml", "sanad_topic_arabert.yaml", "ans_stance_arabert.yaml"])
def test_transformer_configs(name):
    from khabar.models.transformer.params import check_params

    config = load_config(str(CONFIGS / name))
    assert config.model_kind == "transformer"
    check_params(config.model)
    if name.startswith("sample"):
        assert config.model.name_or_path == "scratch"
    else:
        assert config.model.name_or_path == "aubmindlab/bert-base-arabertv02"
        assert config.normalize.preset == "arabert"
        assert (config.train.learning_rate, config.train.epochs, config.train.batch_size) == (2e-5, 3, 16)


def _write(tmp_path, data: dict, name: str = "c.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


BASE = {"name": "x", "task": "topic", "data": {"path": "d.jsonl"}, "model": {"kind": "tfidf"}}


@pytest.mark.parametrize("change, key_in_message", [
    ({"extra_key": 1}, "extra_key"),
    ({"model": {"kind": "tfidf", "C": "big"}}, "model.C"),
    ({"model": {"kind": "tfidf", "C": -1}}, "model.C"),
    ({"model": {"kind": "tfidf", "min_df": 0}}, "model.min_df"),
    ({"model": {"kind": "tfidf", "classifer": "logreg"}}, "model.classifer"),
    ({"model": {"kind": "forest"}}, "model.kind"),
    ({"task": "sentiment"}, "task"),
    ({"data": {"path": "d.jsonl", "split": {"train": 0.5, "dev": 0.1, "test": 0.1}}}, "data.split"),
    ({"normalize": {"preset": "fancy"}}, "normalize.preset"),
    ({"normalize": {"steps": {"hamzaa": True}}}, "normalize.steps.hamzaa"),
    ({"train": {"seed": "seven"}}, "train.seed"),
    ({"model": {"kind": "tfidf", "word_ngrams": [3, 1]}}, "model.word_ngrams"),
    ({"model": {"kind": "tfidf", "word_ngrams": None, "char_ngrams": None}}, "model"),
    ({"data": {"path": "d.jsonl", "format": "xlsx"}}, "data.format"),
    ({"data": {"path": "d.jsonl", "pair_column": "body"}}, "data.pair_column"),
    ({"eval": {"misclassified_examples": -1}}, "eval.misclassified_examples"),
])
def test_bad_config_names_key_and_file_in_one_line(tmp_path, change, key_in_message):
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(KhabarError) as err:
        load_config(path)
    assert key_in_message in str(err.value)
    assert path in str(err.value) and "\n" not in str(err.value)


def test_missing_required_field(tmp_path):
    data = dict(BASE)
    del data["data"]
    with pytest.raises(KhabarError, match="data: required"):
        load_config(_write(tmp_path, data))
    with pytest.raises(KhabarError, match="model.kind: required key is missing; use one of stream, tfidf, transformer"):
        load_config(_write(tmp_path, {**BASE, "model": {"C": 1.0}}))


def test_unknown_kind_lists_valid_kinds(tmp_path):
    with pytest.raises(KhabarError, match="tfidf, transformer"):
        load_config(_write(tmp_path, {**BASE, "model": {"kind": "forest"}}))


def test_stance_needs_pair_column_and_no_folder(tmp_path):
    with pytest.raises(KhabarError, match="pair_column"):
        load_config(_write(tmp_path, {**BASE, "task": "stance"}))
    with pytest.raises(KhabarError, match="data.format: a folder per label holds single articles"):
        load_config(_write(tmp_path, {**BASE, "task": "stance", "data": {"path": "d", "format": "folder", "pair_column": "b"}}))


def test_set_overrides_are_validated_like_the_file(tmp_path):
    path = _write(tmp_path, BASE)
    config = load_config(path, ["model.C=0.25", "train.seed=7", "data.labels=[a, b]"])
    assert config.model.C == 0.25 and config.train.seed == 7 and config.data.labels == ["a", "b"]
    with pytest.raises(KhabarError, match="model.C"):
        load_config(path, ["model.C=zero"])
    with pytest.raises(KhabarError, match="key=value"):
        load_config(path, ["model.C"])
    with pytest.raises(KhabarError, match="--set name.first: name is not a mapping"):
        load_config(path, ["name.first=y"])


@pytest.mark.parametrize("text, message", [
    ("name: x\ntask: [topic\n", "invalid YAML"),
    ("- a\n- b\n", "expected a mapping with name, task, data, model; got list"),
])
def test_unreadable_yaml_is_one_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KhabarError, match=message):
        load_config(str(path))
    path.write_bytes(b"name: \xff\n")
    with pytest.raises(KhabarError, match="not UTF-8"):
        load_config(str(path))
    with pytest.raises(KhabarError, match="config file not found"):
        load_config(str(tmp_path / "absent.yaml"))


def test_transformer_kind_defaults_to_arabert_preset_for_arabert(tmp_path):
    data = {**BASE, "model": {"kind": "transformer", "name_or_path": "aubmindlab/bert-base-arabertv02"}}
    assert load_config(_write(tmp_path, data)).normalize.preset == "arabert"
    data["normalize"] = {"preset": "light"}
    assert load_config(_write(tmp_path, data)).normalize.preset == "light"
    local = {**BASE, "model": {"kind": "transformer", "name_or_path": "./models/arabertv02"}}
    assert load_config(_write(tmp_path, local)).normalize.preset == "standard"
    assert load_config(_write(tmp_path, BASE)).normalize.preset == "standard"


def test_to_dict_round_trips_through_yaml(tmp_path):
    config = load_config(str(CONFIGS / "sample_topic_tfidf.yaml"), ["model.C=0.5"])
    again = load_config(_write(tmp_path, config.to_dict()))
    assert again.to_dict() == config.to_dict()


# -- base: one config extends another -------------------------------------------------------------

PARENT = {"name": "parent", "task": "topic", "data": {"path": "d.jsonl", "source_column": "source"},
          "normalize": {"preset": "light"},
          "model": {"kind": "tfidf", "C": 4.0, "classifier": "logreg", "word_ngrams": [1, 2]},
          "train": {"seed": 5}}


def test_a_child_overrides_one_key_and_keeps_the_rest(tmp_path):
    _write(tmp_path, PARENT, "parent.yaml")
    child = _write(tmp_path, {"base": "parent.yaml", "name": "child", "model": {"kind": "tfidf", "C": 0.5}}, "child.yaml")
    config = load_config(child)
    assert (config.name, config.model.C) == ("child", 0.5)
    assert (config.model.classifier, config.model.word_ngrams, config.train.seed) == ("logreg", [1, 2], 5)
    assert config.data.source_column == "source" and config.normalize.preset == "light"
    assert config.source == child
    assert "base" not in config.to_dict()


def test_base_is_relative_to_the_child_and_may_chain(tmp_path):
    (tmp_path / "shared").mkdir()
    _write(tmp_path / "shared", PARENT, "parent.yaml")
    _write(tmp_path / "shared", {"base": "parent.yaml", "train": {"seed": 9}}, "middle.yaml")
    (tmp_path / "mine").mkdir()
    child = _write(tmp_path / "mine", {"base": "../shared/middle.yaml", "name": "child"}, "child.yaml")
    config = load_config(child, ["model.C=2"])
    assert (config.name, config.train.seed, config.model.C, config.model.classifier) == ("child", 9, 2.0, "logreg")


def test_a_child_of_another_kind_drops_the_parents_model_and_train(tmp_path):
    _write(tmp_path, PARENT, "parent.yaml")
    child = _write(tmp_path, {"base": "parent.yaml", "name": "bert",
                              "model": {"kind": "transformer", "name_or_path": "scratch", "max_length": 128}}, "child.yaml")
    config = load_config(child)  # tfidf's C, classifier and word_ngrams would be unknown keys here
    assert config.model_kind == "transformer" and config.model.max_length == 128
    assert config.train.seed == 13 and config.train.epochs == 3.0  # the transformer kind's defaults
    assert config.data.source_column == "source"  # data is not the kind's: it stays
    # normalization belongs to the kind too: the transformer default, not the parent's light preset
    assert config.normalize.preset == "standard"


def test_a_base_loop_is_one_line_naming_the_file(tmp_path):
    a = _write(tmp_path, {**PARENT, "base": "b.yaml"}, "a.yaml")
    _write(tmp_path, {"base": "a.yaml"}, "b.yaml")
    with pytest.raises(KhabarError) as err:
        load_config(a)
    message = str(err.value)
    assert "\n" not in message and "b.yaml" in message and "loop" in message
    self_loop = _write(tmp_path, {**PARENT, "base": "self.yaml"}, "self.yaml")
    with pytest.raises(KhabarError, match=r"self\.yaml: base: self\.yaml leads back"):
        load_config(self_loop)


def test_a_missing_base_is_one_line_naming_the_file(tmp_path):
    child = _write(tmp_path, {"base": "nowhere.yaml", "name": "c"}, "child.yaml")
    with pytest.raises(KhabarError) as err:
        load_config(child)
    message = str(err.value)
    assert message.startswith(f"{child}: base: ") and "nowhere.yaml not found" in message and "\n" not in message
    with pytest.raises(KhabarError, match="base: expected the path of another config"):
        load_config(_write(tmp_path, {**PARENT, "base": ["a.yaml"]}, "list.yaml"))


def test_merge_merges_mappings_and_replaces_the_rest():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    assert merge(base, {"a": {"y": [3]}, "c": 2}) == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}  # the base is not changed


def test_reading_a_config_never_imports_torch():
    """The kinds' parameters are imported without their model code: a TF-IDF config (and even a
    transformer one) is read and validated without torch or transformers."""
    script = (
        "import sys\n"
        "from khabar.config import load_config\n"
        f"for name in ('sample_topic_tfidf.yaml', 'sample_stance_tfidf.yaml', 'sample_topic_bert.yaml'):\n"
        f"    load_config({str(CONFIGS)!r} + '/' + name)\n"
        "from khabar.models.registry import KINDS, get_kind\n"
        "[get_kind(name) for name in KINDS]\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
