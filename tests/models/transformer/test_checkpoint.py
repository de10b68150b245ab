"""khabar.models.transformer.checkpoint: where a checkpoint comes from, and one line at once when
it cannot come. No test here uses the network: the Hub check and the Hub client are replaced."""

from __future__ import annotations

import pytest
from tiny_bert import make

from khabar import hub
from khabar.errors import KhabarError
from khabar.models.transformer.checkpoint import resolve_checkpoint

NAME = "khabar-tests/no-such-model-7f3a9c"


@pytest.fixture
def online(monkeypatch):
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(hub, "offline_mode", lambda: False)


def test_a_local_directory_is_used_as_it_is(tiny_bert_dir, monkeypatch):
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: pytest.fail("a local directory needs no network"))
    assert resolve_checkpoint(tiny_bert_dir) == (tiny_bert_dir, True)


def test_a_hub_name_not_cached_and_no_network_is_one_line(topic_data, online, monkeypatch):
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: False)
    train, dev = topic_data
    with pytest.raises(KhabarError) as err:
        make("topic", NAME).fit(train, dev)
    message = str(err.value)
    assert message.startswith(f"model.name_or_path: {NAME} is not in the local Hugging Face cache and the Hub cannot be reached")
    assert "set model.name_or_path to that directory" in message and "\n" not in message


def test_a_name_the_hub_does_not_know(online, monkeypatch):
    import huggingface_hub

    class RepositoryNotFoundError(Exception):
        pass

    def not_found(name, timeout=None):
        raise RepositoryNotFoundError(name)

    monkeypatch.setattr(hub, "reachable", lambda *a, **k: True)
    monkeypatch.setattr(huggingface_hub, "model_info", not_found)
    with pytest.raises(KhabarError, match=f"{NAME} is not a model on the Hugging Face Hub"):
        resolve_checkpoint(NAME)


def test_a_hub_that_fails_midway_is_one_line(online, monkeypatch):
    import huggingface_hub

    def broken(name, timeout=None):
        raise TimeoutError("read timed out")

    monkeypatch.setattr(hub, "reachable", lambda *a, **k: True)
    monkeypatch.setattr(huggingface_hub, "model_info", broken)
    with pytest.raises(KhabarError, match=r"the Hub cannot be reached \(read timed out\)"):
        resolve_checkpoint(NAME)


def test_a_name_the_hub_knows_is_downloaded(online, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(hub, "reachable", lambda *a, **k: True)
    monkeypatch.setattr(huggingface_hub, "model_info", lambda name, timeout=None: object())
    assert resolve_checkpoint(NAME) == (NAME, False)


def test_offline_mode_names_the_fix_without_probing(topic_data, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: pytest.fail("offline mode must not probe the network"))
    train, dev = topic_data
    with pytest.raises(KhabarError, match="HF_HUB_OFFLINE.*model.name_or_path to that directory"):
        make("topic", "aubmindlab/no-such-model-in-cache").fit(train, dev)


@pytest.mark.parametrize("path", ["./models/not-here", "/no/such/checkpoint", "~/no-such-checkpoint-dir", "a/b/c"])
def test_a_missing_local_directory(path, monkeypatch):
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: pytest.fail("a path needs no network"))
    with pytest.raises(KhabarError, match=f"model.name_or_path: {path}: no such directory"):
        resolve_checkpoint(path)


def test_a_folder_that_is_not_a_checkpoint(tmp_path, topic_data):
    train, dev = topic_data
    with pytest.raises(KhabarError, match=f"model.name_or_path: cannot load {tmp_path}"):
        make("topic", str(tmp_path)).fit(train, dev)
