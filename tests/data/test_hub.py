"""khabar.data.hub: Hub datasets (`data.path: hf:NAME`), ending in one line at once when offline.

No test here touches the network: the Hub check (`khabar.hub`) and `datasets.load_dataset` are
replaced, and a socket guard fails any test that tries to connect anyway.
"""

from __future__ import annotations

import socket

import pytest
from table_files import cfg

from khabar import hub
from khabar.data import load_examples, load_splits
from khabar.errors import KhabarError


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection is recorded and refused."""
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network use in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_hub_offline_ends_in_one_line_without_touching_the_network(monkeypatch, cli, capsys, no_network):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: pytest.fail("offline mode must not probe the network"))
    assert cli("data", "stats", "hf:nobody/no-such-news") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hf:nobody/no-such-news: the dataset could not be reached" in err
    assert "point data.path at local files" in err
    assert no_network == []


def test_hub_unreachable_switches_to_offline_mode_for_that_call_only(monkeypatch, no_network):
    import datasets
    import huggingface_hub.constants as constants

    seen = {}
    before = (datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE)

    def fake_load(name, config=None, **kw):
        seen["offline"] = (datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE)
        raise ConnectionError("Couldn't reach the Hub")

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: False)
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(KhabarError, match="could not be reached"):
        load_examples(cfg("hf:x/y"), "topic")
    assert seen["offline"] == (True, True)
    assert (datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE) == before


def test_hub_error_other_than_the_network_names_the_dataset(monkeypatch):
    import datasets

    def fake_load(name, config=None, **kw):
        raise ValueError("BuilderConfig 'nope' not found")

    monkeypatch.setattr(hub, "usable", lambda: True)
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(KhabarError, match=r"hf:x/y: cannot load from the Hub \(BuilderConfig 'nope' not found\); .*hub_config"):
        load_examples(cfg("hf:x/y"), "topic")


def test_hub_dataset_splits_and_class_labels(monkeypatch, capsys):
    import datasets

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])})
    dd = datasets.DatasetDict({
        name: datasets.Dataset.from_dict({"text": [f"{name} a", f"{name} b"], "label": [0, 1]}, features=features)
        for name in ("train", "validation", "unsupervised")})
    monkeypatch.setattr(hub, "usable", lambda: True)
    monkeypatch.setattr(datasets, "load_dataset", lambda name, config=None, **kw: dd)
    splits = load_splits(cfg("hf:x/y", format="hub"), "topic", 0)
    assert [(e.text, e.label) for e in splits.dev] == [("validation a", "neg"), ("validation b", "pos")]
    assert len(splits.train) == 2 and splits.test == []
    assert "ignored split 'unsupervised' of hf:x/y" in capsys.readouterr().err


def test_one_hub_dataset_per_config():
    with pytest.raises(KhabarError, match="one hf:<dataset> per config; got 2 entries"):
        load_examples(cfg("hf:a/b", "hf:c/d", format="hub"), "topic")


def test_hub_label_sets_of_class_numbers_become_names_and_bad_ones_are_one_line(monkeypatch):
    import datasets

    from khabar.data import DataConfig, load_examples
    from khabar.data import hub as data_hub
    from khabar.errors import KhabarError

    features = datasets.Features({"text": datasets.Value("string"),
                                  "labels": datasets.Sequence(datasets.ClassLabel(names=["a", "b", "c"])),
                                  "label": datasets.ClassLabel(names=["a", "b", "c"])})
    table = {"text": ["نص أول", "نص ثان"], "labels": [[0, 2], [1]], "label": [0, 1]}
    monkeypatch.setattr(data_hub, "_hub_dataset", lambda *a: {"train": datasets.Dataset.from_dict(table, features=features)})
    sets = load_examples(DataConfig(path=["hf:x"], label_column="labels"), "topic", multi_label=True)
    assert [ex.labels for ex in sets] == [("a", "c"), ("b",)]
    single_as_sets = load_examples(DataConfig(path=["hf:x"], label_column="label"), "topic", multi_label=True)
    assert [ex.labels for ex in single_as_sets] == [("a",), ("b",)]
    with pytest.raises(KhabarError, match=r"row 1: column 'labels' holds list.*set multi_label: true"):
        load_examples(DataConfig(path=["hf:x"], label_column="labels"), "topic")
    table["labels"] = [[0, -1], [1]]
    with pytest.raises(KhabarError, match=r"hf:x \[train\]: row 1: label set \[0, -1\] holds a class number below 0"):
        load_examples(DataConfig(path=["hf:x"], label_column="labels"), "topic", multi_label=True)
