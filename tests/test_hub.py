"""khabar.hub: is the Hugging Face Hub usable from here? One answer, bounded in time.

No test here waits on the real network: the endpoint is a local socket, or the connection
attempt is replaced by one that blocks until the test releases it.
"""

from __future__ import annotations

import socket
import threading

import pytest
from waiting import HANG

from khabar import hub


OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture
def online(monkeypatch):
    """No offline switch and no proxy set."""
    import huggingface_hub.constants as constants

    for var in OFFLINE_VARS + PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


@pytest.fixture
def listening():
    """A local TCP port that accepts connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    """A local TCP port nothing listens on (the connection is refused at once)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("var", OFFLINE_VARS)
@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False)])
def test_offline_mode_from_the_environment(online, monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    assert hub.offline_mode() is expected


def test_offline_mode_from_huggingface_hub(online, monkeypatch):
    assert hub.offline_mode() is False
    monkeypatch.setattr(online, "HF_HUB_OFFLINE", True)
    assert hub.offline_mode() is True


def test_reachable_when_the_endpoint_accepts(online, monkeypatch, listening):
    monkeypatch.setattr(online, "ENDPOINT", f"http://127.0.0.1:{listening}")
    assert hub.reachable(timeout=HANG) is True


def test_unreachable_when_the_connection_is_refused(online, monkeypatch, closed_port):
    monkeypatch.setattr(online, "ENDPOINT", f"http://127.0.0.1:{closed_port}")
    assert hub.reachable(timeout=HANG) is False


def test_the_proxy_is_what_gets_probed(online, monkeypatch, listening, closed_port):
    monkeypatch.setattr(online, "ENDPOINT", f"https://127.0.0.1:{closed_port}")
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listening}")
    assert hub.reachable(timeout=HANG) is True


def test_a_hanging_connection_attempt_is_given_up_after_the_timeout(online, monkeypatch):
    """DNS or a firewall that never answers: reachable() returns False while the attempt still hangs."""
    entered, release = threading.Event(), threading.Event()

    def hang(address, timeout=None, *args, **kwargs):
        entered.set()
        release.wait(HANG)
        raise OSError("released by the test")

    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        assert hub.reachable(timeout=0.01) is False
        assert entered.wait(HANG), "the probe never tried to connect"
        assert not release.is_set()  # reachable() returned while the attempt was still blocked
    finally:
        release.set()


def test_usable_asks_the_network_only_when_not_offline(online, monkeypatch):
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: True)
    assert hub.usable() is True
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "reachable", lambda *a, **k: pytest.fail("offline mode must not probe"))
    assert hub.usable() is False


def test_offline_context_sets_both_flags_and_restores_them(online):
    import datasets

    before = (datasets.config.HF_HUB_OFFLINE, online.HF_HUB_OFFLINE)
    with hub.offline():
        assert (datasets.config.HF_HUB_OFFLINE, online.HF_HUB_OFFLINE) == (True, True)
    assert (datasets.config.HF_HUB_OFFLINE, online.HF_HUB_OFFLINE) == before
    with hub.offline(False):
        assert (datasets.config.HF_HUB_OFFLINE, online.HF_HUB_OFFLINE) == before
    with pytest.raises(RuntimeError):
        with hub.offline():
            raise RuntimeError("inside")
    assert (datasets.config.HF_HUB_OFFLINE, online.HF_HUB_OFFLINE) == before
