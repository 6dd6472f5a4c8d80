"""The Toolbox against servers in this process: listing, naming, calls, errors as data, events."""

from __future__ import annotations

import anyio
import pytest
from toolmaster.core import ServerIdentity, ToolCall, ToolResult, UserError
from toolmaster.mcp import TRUNCATION_MARKER, Toolbox, ToolEvent

from tests.mcp.servers.memory import (
    anonymous_server,
    calc_server,
    memory_spec,
    paged_server,
    raw_spec,
)

pytestmark = pytest.mark.anyio


def call(tool: str, **arguments: object) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)  # type: ignore[arg-type]


async def test_lists_tools_with_schemas_and_annotations() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            names = [t.name for t in toolbox.tools]
            assert names == ["add", "echo", "divide", "hang", "big", "grow"]
            add = toolbox.tool("add")
            assert add is not None
            assert add.server == "calc"
            assert add.read_only
            assert add.input_schema["required"] == ["a", "b"]
            assert add.output_schema is not None
            assert toolbox.tool("calc__add") == add
            assert toolbox.servers == [
                ServerIdentity(
                    name="calc", transport="memory", server_name="calc", server_version="1.0.0"
                )
            ]


async def test_follows_pagination_cursors() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("paged", paged_server(total=7, page=3))]) as toolbox:
            assert [t.name for t in toolbox.tools] == [f"tool_{i}" for i in range(7)]
            result = await toolbox.call(call("tool_6"))
            assert result.text == "tool_6"


async def test_prefixes_only_clashing_names() -> None:
    servers = [memory_spec("a", calc_server("a")), memory_spec("b", paged_server(total=2))]
    servers.append(memory_spec("c", calc_server("c")))
    with anyio.fail_after(10):
        async with Toolbox(servers) as toolbox:
            names = [t.name for t in toolbox.tools]
            assert "tool_0" in names
            assert "a__echo" in names
            assert "c__echo" in names
            assert "echo" not in names
            assert (await toolbox.call(call("a__echo", text="hi"))).text == "a:hi"
            assert (await toolbox.call(call("c__echo", text="hi"))).text == "c:hi"
            assert (await toolbox.call(call("b__tool_1"))).text == "tool_1"  # alias without clash
            ambiguous = await toolbox.call(call("echo", text="hi"))
            assert ambiguous.error_kind == "refused"
            assert "a__echo" in ambiguous.text
            assert "c__echo" in ambiguous.text


async def test_results_and_errors_are_data() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            ok = await toolbox.call(call("add", a=2, b=3))
            assert (ok.text, ok.structured_content, ok.is_error, ok.error_kind) == (
                "5",
                {"result": 5},
                False,
                None,
            )
            assert ok.call_id == "c-add"
            assert ok.latency_s > 0
            bad_args = await toolbox.call(call("add", a="two", b=3))
            assert bad_args.error_kind == "tool_error"
            raised = await toolbox.call(call("divide", a=1, b=0))
            assert raised.error_kind == "tool_error"
            assert "cannot divide by zero" in raised.text
            unknown = await toolbox.call(call("subtract", a=1, b=2))
            assert unknown.error_kind == "refused"
            assert "unknown tool 'subtract'" in unknown.text
            assert "add" in unknown.text


async def test_timeout_cancels_and_the_toolbox_keeps_serving() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())], timeout=5) as toolbox:
            result = await toolbox.call(call("hang"), timeout=0.2)
            assert result.error_kind == "timeout"
            assert result.is_error
            assert 0.2 <= result.latency_s < 2
            assert (await toolbox.call(call("add", a=1, b=1))).text == "2"


async def test_oversized_output_is_truncated_with_marker() -> None:
    with anyio.fail_after(20):
        async with Toolbox(
            [memory_spec("calc", calc_server()), memory_spec("paged", paged_server())],
            max_output_bytes=1000,
        ) as toolbox:
            result = await toolbox.call(call("big", mb=50))
            assert result.error_kind == "too_large"
            assert result.original_size == 50 * 1024 * 1024 + len('{"result":""}')
            assert result.structured_content is None
            assert result.content[0]["text"] == "y" * 1000
            assert TRUNCATION_MARKER in result.text
            assert (await toolbox.call(call("tool_0"))).text == "tool_0"
            assert (await toolbox.call(call("echo", text="small"))).error_kind is None


async def test_tools_list_changed_refreshes_the_list() -> None:
    events: list[ToolEvent] = []
    toolbox = Toolbox([memory_spec("calc", calc_server())])
    changed = anyio.Event()

    def record(event: ToolEvent) -> None:
        events.append(event)
        if event.kind == "tools_changed":
            changed.set()

    toolbox.subscribe(record)
    with anyio.fail_after(10):
        async with toolbox:
            assert toolbox.tool("grown") is None
            await toolbox.call(call("grow"))
            await changed.wait()
            assert toolbox.tool("grown") is not None
            assert (await toolbox.call(call("grown"))).text == "grown"


async def test_events_for_every_call_and_result() -> None:
    seen: list[ToolEvent] = []
    awaited: list[str] = []

    async def slow_subscriber(event: ToolEvent) -> None:
        await anyio.lowlevel.checkpoint()
        awaited.append(event.kind)

    def broken_subscriber(event: ToolEvent) -> None:
        raise RuntimeError("subscriber bug")

    toolbox = Toolbox([memory_spec("calc", calc_server())])
    toolbox.subscribe(seen.append)
    toolbox.subscribe(broken_subscriber)
    unsubscribe = toolbox.subscribe(slow_subscriber)
    with anyio.fail_after(10):
        async with toolbox:
            results: list[ToolResult] = [
                await toolbox.call(call("add", a=1, b=2)),
                await toolbox.call(call("nope")),
                await toolbox.call(call("hang"), timeout=0.05),
            ]
            unsubscribe()
            await toolbox.call(call("add", a=0, b=0))
    kinds = [e.kind for e in seen]
    assert kinds[0] == "server_up"
    calls = [e for e in seen if e.kind in ("tool_call", "tool_result")]
    assert [e.kind for e in calls] == ["tool_call", "tool_result"] * 4
    assert [e.result for e in calls[1:6:2]] == results
    assert calls[2].server is None  # unknown tool
    assert calls[1].data()["result"] == results[0].model_dump(mode="json")
    assert awaited.count("tool_result") == 3  # unsubscribed before the last call


async def test_caller_cancellation_propagates_and_is_reported() -> None:
    seen: list[ToolEvent] = []
    toolbox = Toolbox([memory_spec("calc", calc_server())])
    toolbox.subscribe(seen.append)
    with anyio.fail_after(10):
        async with toolbox:
            with anyio.move_on_after(0.1) as scope:
                await toolbox.call(call("hang"), timeout=60)
            assert scope.cancelled_caught
            assert seen[-1].kind == "tool_cancelled"
            assert (await toolbox.call(call("add", a=1, b=1))).text == "2"


async def test_concurrent_calls() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            results: list[str] = []

            async def one(i: int) -> None:
                results.append((await toolbox.call(call("add", a=i, b=i))).text)

            async with anyio.create_task_group() as tg:
                for i in range(50):
                    tg.start_soon(one, i)
            assert sorted(results, key=int) == [str(2 * i) for i in range(50)]


async def test_a_body_error_is_not_wrapped() -> None:
    with anyio.fail_after(10), pytest.raises(KeyError):
        async with Toolbox([memory_spec("calc", calc_server())]):
            raise KeyError("mine")


async def test_usage_mistakes() -> None:
    toolbox = Toolbox([memory_spec("calc", calc_server())])
    with pytest.raises(UserError, match="not open"):
        await toolbox.call(call("add"))
    with pytest.raises(UserError, match="two servers are named"):
        Toolbox([memory_spec("x", calc_server()), memory_spec("x", calc_server())])


async def test_refresh_and_accessors() -> None:
    app = calc_server()
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", app)]) as toolbox:
            app.add_tool(lambda: "quiet", name="quiet")  # added without a notification
            assert toolbox.tool("quiet") is None
            assert "quiet" in [t.name for t in await toolbox.refresh()]
            assert toolbox.client("calc").server_info is not None
            assert toolbox.env_session("calc") is None
            with pytest.raises(UserError, match="no server named 'other'"):
                toolbox.client("other")


async def test_the_same_server_under_two_names_has_one_identity() -> None:
    with anyio.fail_after(10):
        async with Toolbox([raw_spec("one"), raw_spec("two")]) as toolbox:
            one, two = toolbox.tool("one__echo"), toolbox.tool("two__echo")
            assert one is not None and two is not None
            assert (one.server, two.server) == ("one", "two")
            assert one.server_identity == two.server_identity == "raw@1.0.0"
            assert one.upstream_name == two.upstream_name == "echo"
            assert one.key == two.key
            assert one.key.server == "raw@1.0.0" and one.key.tool == "echo"
            assert one.keys[1].server == "one"  # where older ToolMaster kept its experience


async def test_a_server_without_server_info_goes_by_its_config_name() -> None:
    with anyio.fail_after(10):
        async with Toolbox([memory_spec("adder", anonymous_server())]) as toolbox:
            (server,) = toolbox.servers
            assert server.server_name is None and server.announced is None
            add = toolbox.tool("add")
            assert add is not None and add.server_identity is None
            assert add.key.server == "adder" and add.keys == (add.key,)
            result = await toolbox.call(call("add", a=2, b=3))
            assert (result.text, result.error_kind) == ("5", None)
