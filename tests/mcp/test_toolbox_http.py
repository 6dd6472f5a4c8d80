"""The Toolbox over streamable HTTP: an SDK server in a subprocess on a free loopback port."""

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
from toolmaster.mcp import HttpServerSpec, ServerConnectError, Toolbox, ToolEvent

from tests.mcp.servers.memory import SDK_SERVER, memory_spec, paged_server

pytestmark = pytest.mark.anyio

KEY = "http-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def http_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "SDK_API_KEY": KEY}
    process = subprocess.Popen(
        [sys.executable, str(SDK_SERVER), "--http", str(port)],
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
async def serving(port: int) -> AsyncIterator[subprocess.Popen[bytes]]:
    with http_server(port) as process:
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
