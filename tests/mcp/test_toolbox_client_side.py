"""The client side of the protocol, against a real server in this process: roots, sampling,
elicitation, and server log messages and progress as events."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from toolmaster.core import ToolCall, UserError
from toolmaster.mcp import (
    UNATTENDED,
    ElicitationReply,
    ElicitationRequest,
    SamplingReply,
    SamplingRequest,
    Toolbox,
    ToolEvent,
    servers_from_dict,
)

from tests.mcp.servers.asking import asking_server, asking_spec

pytestmark = pytest.mark.anyio


def call(tool: str, **arguments: object) -> ToolCall:
    return ToolCall(id=f"c-{tool}", tool=tool, arguments=arguments)  # type: ignore[arg-type]


def recorder(events: list[ToolEvent]) -> object:
    def record(event: ToolEvent) -> None:
        if event.kind not in ("tool_call", "tool_result", "server_up"):
            events.append(event)

    return record


# ------------------------------------------------------------------ roots


async def test_roots_default_to_the_working_folder() -> None:
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()]) as toolbox:
            result = await toolbox.call(call("roots"))
    assert not result.is_error, result.text
    cwd = Path.cwd()
    assert result.text == f"{cwd.as_uri()} {cwd.name}"


async def test_roots_come_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "own").mkdir()
    config = {
        "roots": [str(tmp_path / "data"), "file:///srv/shared"],
        "mcpServers": {
            "top": {"command": "unused"},
            "own": {"command": "unused", "roots": [str(tmp_path / "own")]},
        },
    }
    top, own = servers_from_dict(config)
    assert top.roots == ((tmp_path / "data").as_uri(), "file:///srv/shared")
    assert own.roots == ((tmp_path / "own").as_uri(),)
    with anyio.fail_after(10):
        async with Toolbox([asking_spec(roots=top.roots)]) as toolbox:
            result = await toolbox.call(call("roots"))
    assert result.text.splitlines() == [
        f"{(tmp_path / 'data').as_uri()} data",
        "file:///srv/shared shared",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"roots": "/srv"}, "'roots' must be a list of folders, not str"),
        ({"roots": ["https://x/y"]}, "'roots[0]': a root must be a folder or a file:// URI"),
        ({"roots": [""]}, "'roots[0]' must be a non-empty string"),
    ],
)
def test_bad_top_level_roots_are_named(config: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        servers_from_dict({**config, "mcpServers": {"s": {"command": "x"}}})


@pytest.mark.parametrize(
    ("roots", "message"),
    [
        ("/srv", "field 'roots': must be a list of folders, not str"),
        (["  "], "field 'roots[0]': must not be empty"),
        (["s3://bucket"], "field 'roots[0]': a root must be a folder or a file:// URI"),
    ],
)
def test_bad_server_roots_are_named(roots: object, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        servers_from_dict({"mcpServers": {"s": {"url": "http://h/mcp", "roots": roots}}})


def test_roots_of_a_bundled_string_entry_come_from_the_top_level() -> None:
    (spec,) = servers_from_dict({"roots": ["/srv/a"], "mcpServers": {"w": "bundled:weather"}})
    assert spec.roots == ("file:///srv/a",)


# ------------------------------------------------------------------ sampling


async def test_sampling_is_answered_by_the_sampler_and_recorded() -> None:
    seen: list[SamplingRequest] = []

    async def sampler(request: SamplingRequest) -> SamplingReply:
        seen.append(request)
        return SamplingReply(text="short", model="scripted")

    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], sampler=sampler) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            result = await toolbox.call(call("summarize", text="a long text"))
            assert toolbox.samples == 1
    assert result.text == "scripted: short"
    (request,) = seen
    assert request.server == "asking"
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "Be brief."),
        ("user", "Summarize: a long text"),
    ]
    assert (request.max_tokens, request.temperature) == (32, 0.5)
    (event,) = events
    assert event.kind == "sampling"
    assert event.server == "asking"
    assert event.details["outcome"] == "answered"
    assert event.details["reply"] == "short"
    assert event.details["count"] == 1
    assert event.data()["details"] == dict(event.details)


async def test_sampling_over_the_cap_is_an_error_to_the_server() -> None:
    async def sampler(request: SamplingRequest) -> SamplingReply:
        return SamplingReply(text="ok", model="scripted")

    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], sampler=sampler, max_samples=2) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            texts = [(await toolbox.call(call("summarize", text=str(i)))).text for i in range(3)]
            assert toolbox.samples == 2
    assert texts[:2] == ["scripted: ok", "scripted: ok"]
    assert texts[2].startswith("refused: ")
    assert "at most 2 sampling requests per episode" in texts[2]
    assert [e.details["outcome"] for e in events] == ["answered", "answered", "over_limit"]


async def test_sampling_without_a_sampler_is_refused_with_a_reason() -> None:
    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()]) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            result = await toolbox.call(call("summarize", text="x"))
    assert result.text == (
        "refused: the client has no model configured to answer sampling requests in this run"
    )
    (event,) = events
    assert (event.kind, event.details["outcome"]) == ("sampling", "refused")


async def test_a_failing_sampler_is_an_error_to_the_server_not_a_crash() -> None:
    async def sampler(request: SamplingRequest) -> SamplingReply:
        raise RuntimeError("backend unreachable")

    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], sampler=sampler) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            result = await toolbox.call(call("summarize", text="x"))
    assert result.text == "refused: sampling failed: backend unreachable"
    assert events[0].details["outcome"] == "failed"


# ------------------------------------------------------------------ elicitation


async def test_elicitation_is_declined_in_unattended_runs_with_the_reason() -> None:
    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()]) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            result = await toolbox.call(call("ask_name"))
    assert result.text == f"decline: None ({UNATTENDED})"
    (event,) = events
    assert event.kind == "elicitation"
    assert event.details["action"] == "decline"
    assert event.details["reason"] == UNATTENDED
    request = event.details["request"]
    assert isinstance(request, dict)
    assert request["message"] == "What is your name?"
    assert request["mode"] == "form"


async def test_an_elicitor_can_answer() -> None:
    asked: list[ElicitationRequest] = []

    async def elicitor(request: ElicitationRequest) -> ElicitationReply:
        asked.append(request)
        return ElicitationReply("accept", {"name": "Ada"})

    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], elicitor=elicitor) as toolbox:
            result = await toolbox.call(call("ask_name"))
    assert result.text == "accept: {'name': 'Ada'} (None)"
    assert asked[0].requested_schema is not None
    assert asked[0].requested_schema["required"] == ["name"]


# ------------------------------------------------------------------ logging and progress


@pytest.mark.parametrize("legacy", [True, False], ids=["handshake", "direct"])
async def test_log_messages_and_progress_become_events(legacy: bool) -> None:
    from toolmaster.mcp import InProcessServerSpec

    spec = InProcessServerSpec(name="asking", server=asking_server(), legacy=legacy)
    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([spec]) as toolbox:
            toolbox.subscribe(recorder(events))  # type: ignore[arg-type]
            result = await toolbox.call(call("chatty"))
    assert result.text == "ok"
    logs = [e for e in events if e.kind == "server_log"]
    assert [e.message for e in logs] == ["starting the work", '{"disk": "almost full"}']
    assert [e.details["level"] for e in logs] == ["info", "warning"]
    assert logs[1].details["data"] == {"disk": "almost full"}
    progress = [e for e in events if e.kind == "progress"]
    assert [(e.details["progress"], e.details["total"], e.message) for e in progress] == [
        (1, 2, "half way"),
        (2, 2, "done"),
    ]
    assert all(e.call is not None and e.call.id == "c-chatty" for e in progress)
