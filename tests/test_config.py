import glob
import os

import pytest
import yaml

from khabar.cli import main
from khabar.config import load_config
from khabar.errors import KhabarError


def test_every_shipped_config_loads(root):
    files = sorted(glob.glob(str(root / "configs" / "*.yaml")))
    assert len(files) >= 4
    for path in files:
        config = load_config(path)
        assert config.name and config.task in ("topic", "stance")
        assert config.to_dict()["model"]["kind"] == config.model_kind


def _write(tmp_path, data: dict) -> str:
    path = tmp_path / "c.yaml"
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
    ({"train": {"seed": "seven"}}, "train.seed"),
    ({"model": {"kind": "tfidf", "word_ngrams": [3, 1]}}, "model.word_ngrams"),
])
def test_bad_config_names_key_and_file(tmp_path, change, key_in_message):
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(KhabarError) as err:
        load_config(path)
    assert key_in_message in str(err.value)
    assert path in str(err.value)


def test_missing_required_field(tmp_path):
    data = dict(BASE)
    del data["data"]
    with pytest.raises(KhabarError, match="data: required"):
        load_config(_write(tmp_path, data))


def test_unknown_kind_lists_valid_kinds(tmp_path):
    with pytest.raises(KhabarError, match="tfidf, transformer"):
        load_config(_write(tmp_path, {**BASE, "model": {"kind": "forest"}}))


def test_stance_needs_pair_column(tmp_path):
    with pytest.raises(KhabarError, match="pair_column"):
        load_config(_write(tmp_path, {**BASE, "task": "stance"}))


def test_set_overrides_are_validated_like_the_file(tmp_path):
    path = _write(tmp_path, BASE)
    config = load_config(path, ["model.C=0.25", "train.seed=7"])
    assert config.model.C == 0.25 and config.train.seed == 7
    with pytest.raises(KhabarError, match="model.C"):
        load_config(path, ["model.C=zero"])
    with pytest.raises(KhabarError, match="key=value"):
        load_config(path, ["model.C"])


def test_invalid_yaml_reports_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ntask: [topic\n", encoding="utf-8")
    with pytest.raises(KhabarError, match="invalid YAML"):
        load_config(str(path))


def test_cli_train_bad_config_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "runs"
    path = _write(tmp_path, {**BASE, "output_dir": str(out), "model": {"kind": "tfidf", "C": "x"}})
    assert main(["train", path]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("khabar: error:") and "model.C" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_transformer_kind_defaults_to_arabert_preset_for_arabert(tmp_path):
    data = {**BASE, "model": {"kind": "transformer", "name_or_path": "aubmindlab/bert-base-arabertv02"}}
    assert load_config(_write(tmp_path, data)).normalize.preset == "arabert"
    data["normalize"] = {"preset": "light"}
    assert load_config(_write(tmp_path, data)).normalize.preset == "light"
    assert load_config(_write(tmp_path, BASE)).normalize.preset == "standard"
