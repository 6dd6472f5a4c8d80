"""Bundled environments addressed by name: in process (with their session) and over stdio."""

from __future__ import annotations

import anyio
import pytest
from toolmaster.mcp import BundledServerSpec, ServerConnectError, Toolbox, parse_server

pytestmark = pytest.mark.anyio


ENV = "weather"
"""A bundled environment the workspace always installs: a broken registry must fail here."""


async def test_in_process_and_over_stdio_serve_the_same_tools() -> None:
    name = ENV
    memory = parse_server("here", f"bundled:{name}")
    assert memory == BundledServerSpec(name="here", environment=name)
    stdio = BundledServerSpec(name="there", environment=name, seed=0, transport="stdio")
    with anyio.fail_after(60):
        async with Toolbox([memory, stdio]) as toolbox:
            here, there = toolbox.servers
            assert (here.transport, there.transport) == ("memory", "stdio")
            assert here.server_name == there.server_name
            mine = [t.name.removeprefix("here__") for t in toolbox.tools if t.server == "here"]
            theirs = [t.name.removeprefix("there__") for t in toolbox.tools if t.server == "there"]
            assert mine
            assert mine == theirs
            session = toolbox.env_session("here")
            assert session is not None
            assert session.snapshot() is not None
            assert toolbox.env_session("there") is None


async def test_unknown_environment_or_version() -> None:
    name = ENV
    unknown = BundledServerSpec(name="nope", environment="no-such-environment")
    bad_version = BundledServerSpec(name="old", environment=name, version="v999")
    with anyio.fail_after(30), pytest.raises(ServerConnectError) as info:
        async with Toolbox([unknown, bad_version]):
            pass
    assert "unknown environment 'no-such-environment'" in info.value.failures["nope"]
    assert "no version 'v999'" in info.value.failures["old"]
