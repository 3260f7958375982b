"""Every test gets a private result store; nothing touches the network or ~/.cache."""

import os
import socket

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("FINDL_DATA_CACHE", str(tmp_path / "data-cache"))
    yield


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, request):
    """Any attempt to connect outside loopback fails the test loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield
