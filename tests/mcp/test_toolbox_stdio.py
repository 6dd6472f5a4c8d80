"""The Toolbox over stdio: a real SDK server, and a hand-written one that crashes, hangs, sends
garbage and floods — each fault comes back as data while the other servers keep serving."""

from __future__ import annotations

import json
import logging
import sys

import anyio
import pytest
from toolmaster.core import ServerIdentity, ToolCall
from toolmaster.mcp import ServerConnectError, StdioServerSpec, Toolbox, ToolEvent

from tests.mcp.servers.memory import memory_spec, paged_server, raw_spec, sdk_spec
from tests.mcp.servers.raw_server import TOOLS as RAW_TOOLS

pytestmark = pytest.mark.anyio

SECRET = "raw-token-s3cr3t-value"


def call(tool: str, **arguments: object) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)  # type: ignore[arg-type]


async def test_sdk_server_over_stdio() -> None:
    with anyio.fail_after(30):
        async with Toolbox([sdk_spec("sdk")]) as toolbox:
            assert [t.name for t in toolbox.tools] == ["add", "shout", "fail"]
            add = toolbox.tool("add")
            assert add is not None
            assert add.read_only
            assert add.title == "Add numbers"
            assert add.description == "Add two integers."
            assert toolbox.servers == [
                ServerIdentity(
                    name="sdk", transport="stdio", server_name="sdk-fixture", server_version="2.0.1"
                )
            ]
            assert (await toolbox.call(call("add", a=20, b=22))).structured_content == {
                "result": 42
            }
            failed = await toolbox.call(call("fail", reason="nope"))
            assert failed.error_kind == "tool_error"
            assert "nope" in failed.text


async def test_pagination_and_legacy_list_changed() -> None:
    changed = anyio.Event()
    toolbox = Toolbox([raw_spec("raw", "--pages", "2")])
    toolbox.subscribe(lambda e: changed.set() if e.kind == "tools_changed" else None)
    with anyio.fail_after(20):
        async with toolbox:
            assert [t.name for t in toolbox.tools] == RAW_TOOLS
            assert toolbox.servers[0].server_name == "raw"
            assert (await toolbox.call(call("grow"))).text == "grown"
            await changed.wait()
            assert toolbox.tool("grown") is not None


async def test_crash_is_reported_scrubbed_and_restarted() -> None:
    events: list[ToolEvent] = []
    toolbox = Toolbox(
        [raw_spec("raw", env={"RAW_TOKEN": SECRET}), memory_spec("paged", paged_server())],
        timeout=10,
    )
    toolbox.subscribe(events.append)
    with anyio.fail_after(30):
        async with toolbox:
            crashed = await toolbox.call(call("crash"))
            assert crashed.error_kind == "server_crashed"
            # the server's stderr, scrubbed
            assert "fatal: lost my token [secret:RAW_TOKEN]" in crashed.text
            assert (await toolbox.call(call("tool_1"))).text == "tool_1"  # others unaffected
            again = await toolbox.call(call("echo", text="back"))  # restarted on next use
            assert (again.error_kind, again.text) == (None, "back")
    kinds = [e.kind for e in events if e.server == "raw"]
    assert kinds.count("server_up") == 2
    assert "server_down" in kinds
    dumped = json.dumps([e.data() for e in events])
    assert SECRET not in dumped
    assert SECRET not in repr(toolbox.servers)


async def test_exit_while_idle_restarts_before_the_next_call() -> None:
    down = anyio.Event()
    toolbox = Toolbox([raw_spec("raw")])
    toolbox.subscribe(lambda e: down.set() if e.kind == "server_down" else None)
    with anyio.fail_after(30):
        async with toolbox:
            assert (await toolbox.call(call("exit_soon"))).text == "bye"
            await down.wait()
            assert (await toolbox.call(call("echo", text="fresh"))).text == "fresh"


async def test_hang_times_out_and_others_keep_serving() -> None:
    with anyio.fail_after(20):
        async with Toolbox([raw_spec("raw"), memory_spec("paged", paged_server())]) as toolbox:
            hung = await toolbox.call(call("hang"), timeout=0.3)
            assert hung.error_kind == "timeout"
            assert (await toolbox.call(call("tool_1"))).text == "tool_1"
            assert (await toolbox.call(call("echo", text="still here"))).text == "still here"


async def test_invalid_responses_are_protocol_errors() -> None:
    with anyio.fail_after(20):
        async with Toolbox(
            [raw_spec("raw"), memory_spec("paged", paged_server())], timeout=10
        ) as toolbox:
            garbage = await toolbox.call(call("garbage"))
            assert garbage.error_kind == "protocol"
            assert garbage.latency_s < 5  # failed at once, not at the timeout
            bad = await toolbox.call(call("bad_result"))
            assert bad.error_kind == "protocol"
            assert "not valid MCP" in bad.text
            assert (await toolbox.call(call("tool_1"))).text == "tool_1"
            assert (await toolbox.call(call("echo", text="fine"))).text == "fine"


async def test_fifty_megabytes_over_stdio() -> None:
    with anyio.fail_after(60):
        async with Toolbox(
            [raw_spec("raw"), memory_spec("paged", paged_server())], max_output_bytes=4096
        ) as toolbox:
            big = await toolbox.call(call("big", mb=50))
            assert big.error_kind == "too_large"
            assert big.original_size == 50 * 1024 * 1024
            assert len(big.content[0]["text"]) == 4096  # type: ignore[arg-type]
            assert (await toolbox.call(call("tool_1"))).text == "tool_1"
            assert (await toolbox.call(call("echo", text="after"))).text == "after"


async def test_message_over_the_transport_limit_is_not_buffered() -> None:
    with anyio.fail_after(30):
        async with Toolbox([raw_spec("raw")], max_message_bytes=1024 * 1024) as toolbox:
            big = await toolbox.call(call("big", mb=3))
            assert big.error_kind == "too_large"
            assert big.original_size is not None
            assert big.original_size > 3 * 1024 * 1024
            assert (await toolbox.call(call("echo", text="after"))).text == "after"


async def test_connect_failures(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    missing = StdioServerSpec.model_validate(
        {"name": "missing", "command": "/no/such/server", "env": {"KEY": SECRET}}
    )
    exits = StdioServerSpec(
        name="exits", command=sys.executable, args=("-c", "import sys; sys.exit(2)")
    )
    events: list[ToolEvent] = []
    with anyio.fail_after(20):
        toolbox = Toolbox([missing, exits, memory_spec("paged", paged_server())])
        toolbox.subscribe(events.append)
        with pytest.raises(ServerConnectError) as info:
            async with toolbox:
                pass
        assert [(e.kind, e.server) for e in events if e.server == "exits"] == [
            ("server_down", "exits")
        ]
        assert set(info.value.failures) == {"missing", "exits"}
        assert "/no/such/server" in info.value.failures["missing"]
        async with Toolbox(
            [missing, memory_spec("paged", paged_server())], require_all=False
        ) as toolbox:
            assert set(toolbox.errors) == {"missing"}
            assert {t.server for t in toolbox.tools} == {"paged"}
            assert (await toolbox.call(call("tool_1"))).text == "tool_1"
    assert SECRET not in caplog.text


async def test_connect_timeout() -> None:
    silent = StdioServerSpec(
        name="silent", command=sys.executable, args=("-c", "import sys; sys.stdin.read()")
    )
    with anyio.fail_after(20):
        with pytest.raises(ServerConnectError, match=r"no answer within 0\.5s"):
            async with Toolbox([silent], connect_timeout=0.5):
                pass
