"""The Toolbox over HTTP (streamable HTTP and legacy SSE): an SDK server in a subprocess on a
free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
import pytest
from toolmaster.core import ToolCall
from toolmaster.mcp import (
    HttpServerSpec,
    ServerConnectError,
    Toolbox,
    ToolEvent,
    servers_from_dict,
)

from tests.mcp.servers.memory import SDK_SERVER, memory_spec, paged_server

pytestmark = pytest.mark.anyio

KEY = "http-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def http_server(port: int, transport: str = "--http") -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "SDK_API_KEY": KEY}
    process = subprocess.Popen(
        [sys.executable, str(SDK_SERVER), transport, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


@asynccontextmanager
async def serving(port: int, transport: str = "--http") -> AsyncIterator[subprocess.Popen[bytes]]:
    """The SDK fixture server on `port`, over streamable HTTP (`--http`) or legacy SSE (`--sse`)."""
    with http_server(port, transport) as process:
        with anyio.fail_after(30):
            while True:  # readiness poll: the server is another process, nothing to await
                try:
                    stream = await anyio.connect_tcp("127.0.0.1", port)
                except OSError:
                    assert process.poll() is None, "the HTTP server exited"
                    await anyio.sleep(0.05)
                    continue
                await stream.aclose()
                break
        yield process


def spec(port: int, key: str = KEY) -> HttpServerSpec:
    return HttpServerSpec.model_validate(
        {"name": "web", "url": f"http://127.0.0.1:{port}/mcp", "headers": {"X-Api-Key": key}}
    )


async def test_streamable_http_with_headers_and_a_dying_server() -> None:
    port = free_port()
    events: list[ToolEvent] = []
    async with serving(port) as process:
        with anyio.fail_after(30):
            with pytest.raises(ServerConnectError) as info:
                async with Toolbox([spec(port, key="wrong-key-123456")]):
                    pass
            assert "wrong-key-123456" not in str(info.value)

            toolbox = Toolbox([spec(port), memory_spec("paged", paged_server())], timeout=10)
            toolbox.subscribe(events.append)
            async with toolbox:
                assert toolbox.servers[0].transport == "http"
                assert toolbox.servers[0].server_name == "sdk-fixture"
                assert {"add", "shout", "fail", "tool_0"} <= {t.name for t in toolbox.tools}
                result = await toolbox.call(
                    ToolCall(id="1", tool="shout", arguments={"text": "hi"})
                )
                assert result.text == "HI"

                process.kill()
                process.wait()
                gone = await toolbox.call(ToolCall(id="2", tool="shout", arguments={"text": "hi"}))
                assert gone.error_kind == "server_crashed"
                other = await toolbox.call(ToolCall(id="3", tool="tool_0"))
                assert other.text == "tool_0"
    assert KEY not in repr(events)
    assert KEY not in str([e.data() for e in events])


def sse_config(port: int, key: str = KEY, **entry: str) -> list[HttpServerSpec]:
    """The servers of an mcpServers document that names the SSE endpoint by its URL alone."""
    url = f"http://127.0.0.1:{port}/sse"
    data = {"mcpServers": {"legacy": {"url": url, "headers": {"X-Api-Key": key}, **entry}}}
    specs = servers_from_dict(data)
    assert all(isinstance(s, HttpServerSpec) for s in specs)
    return [s for s in specs if isinstance(s, HttpServerSpec)]


async def test_legacy_sse_lists_and_calls_tools() -> None:
    port = free_port()
    async with serving(port, "--sse"):
        with anyio.fail_after(30):
            (legacy,) = sse_config(port)
            assert legacy.transport == "sse"
            async with Toolbox([legacy], timeout=10) as toolbox:
                (server,) = toolbox.servers
                assert (server.transport, server.server_name) == ("sse", "sdk-fixture")
                assert {"add", "shout", "fail"} <= {t.name for t in toolbox.tools}
                add = toolbox.tool("add")
                assert add is not None and add.read_only
                assert add.key.server == "sdk-fixture@2.0.1"
                shout = await toolbox.call(ToolCall(id="1", tool="shout", arguments={"text": "hi"}))
                assert shout.text == "HI"
                result = await toolbox.call(
                    ToolCall(id="2", tool="add", arguments={"a": 2, "b": 3})
                )
                assert (result.text, result.error_kind) == ("5", None)
                failed = await toolbox.call(
                    ToolCall(id="3", tool="fail", arguments={"reason": "no"})
                )
                assert failed.error_kind == "tool_error" and "no" in failed.text


async def test_legacy_sse_failures_say_why() -> None:
    port = free_port()
    async with serving(port, "--sse"):
        with anyio.fail_after(30):
            with pytest.raises(ServerConnectError) as refused:
                async with Toolbox(sse_config(port, key="wrong-key-123456")):
                    pass
            assert "authentication failed" in str(refused.value)
            assert "wrong-key-123456" not in str(refused.value)
            with pytest.raises(ServerConnectError) as told_http:
                async with Toolbox(sse_config(port, type="http"), connect_timeout=10):
                    pass
            assert 'set "type": "sse"' in str(told_http.value)
