"""Shared fixtures: anyio on asyncio, and no accidental network beyond loopback."""

from __future__ import annotations

import socket
from typing import Any

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if (
        inet
        and isinstance(host, str)
        and host not in ("::1", "localhost")
        and not host.startswith("127.")
    ):
        raise RuntimeError(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
