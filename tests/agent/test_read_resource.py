"""The `read_resource` control tool: offered where the servers have resources, answered by the
Toolbox, recorded in the episode like any call."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from pydantic import JsonValue
from toolmaster.agent import Agent, AgentConfig, AssistantTurn, ScriptedPolicy
from toolmaster.agent._resource_tool import NO_URI, resource_result
from toolmaster.core import (
    FINISH_TRIAL,
    READ_RESOURCE,
    Episode,
    Event,
    Message,
    Mode,
    ResourceContents,
    Sampling,
    Task,
    ToolCall,
    ToolSpec,
    Turn,
)
from toolmaster.mcp import TRUNCATION_MARKER, Toolbox

from tests.mcp.servers.library_server import library_server
from tests.mcp.servers.memory import calc_server, memory_spec

pytestmark = pytest.mark.anyio

TASK = Task(id="t", prompt="how long are books lent for?")


def read(uri: JsonValue, call_id: str = "") -> ToolCall:
    return ToolCall(id=call_id, tool=READ_RESOURCE, arguments={"uri": uri})


class Watching(ScriptedPolicy):
    """A scripted policy that keeps the tools it was offered at each turn."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        super().__init__(turns)
        self.offered: list[list[str]] = []

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        self.offered.append([t.name for t in tools])
        return await super().complete(messages, tools, sampling)


async def play(
    policy: ScriptedPolicy,
    *servers: object,
    mode: Mode = "direct",
    events: list[Event] | None = None,
) -> Episode:
    specs = [memory_spec(f"s{i}", server) for i, server in enumerate(servers)]

    async def sink(event: Event) -> None:
        if events is not None:
            events.append(event)

    config = AgentConfig(mode=mode)
    with anyio.fail_after(20):
        async with Toolbox(specs) as toolbox:
            agent = Agent(policy, toolbox, config, resources=toolbox, events=sink)
            return await agent.run(TASK)


def tool_texts(episode: Episode) -> list[str]:
    return [m.content or "" for m in episode.messages if m.role == "tool"]


async def test_offered_with_the_resources_in_its_description() -> None:
    policy = Watching([Turn(content="21 days")])
    episode = await play(policy, library_server())
    assert policy.offered[0] == ["lend", READ_RESOURCE]
    spec = next(t for t in episode.tools if t.name == READ_RESOURCE)
    assert "- docs://readme: How to use the library." in spec.description
    assert "- books://{isbn}: A book by its ISBN." in spec.description
    assert spec.input_schema["required"] == ["uri"]
    assert spec.read_only


async def test_not_offered_without_resources_or_reader() -> None:
    policy = Watching([Turn(content="5")])
    episode = await play(policy, calc_server())
    assert READ_RESOURCE not in policy.offered[0]
    assert READ_RESOURCE not in [t.name for t in episode.tools]
    quiet = Watching([Turn(content="21 days")])
    async with Toolbox([memory_spec("lib", library_server())]) as toolbox:
        await Agent(quiet, toolbox, AgentConfig(mode="direct")).run(TASK)  # no `resources=`
    assert quiet.offered[0] == ["lend"]


async def test_a_read_is_a_recorded_tool_call() -> None:
    events: list[Event] = []
    turns = [
        Turn(tool_calls=[read("docs://readme"), read("docs://logo.png")]),
        Turn(content="21 days"),
    ]
    episode = await play(ScriptedPolicy(turns), library_server(), events=events)
    assert episode.error is None
    assert episode.answer == "21 days"
    assert [c.tool for c in episode.messages[2].tool_calls] == [READ_RESOURCE, READ_RESOURCE]
    assert tool_texts(episode) == [
        "# Library\nBooks are lent for 21 days.",
        "[binary resource docs://logo.png: image/png, 100 bytes]",
    ]
    assert [m.name for m in episode.messages if m.role == "tool"] == [READ_RESOURCE] * 2
    assert episode.metadata["resource_reads"] == 2
    assert episode.metadata["execute_calls"] == 0
    results = [e.data["result"] for e in events if e.kind == "tool_result"]
    assert [isinstance(r, dict) and r["is_error"] for r in results] == [False, False]


async def test_reads_in_the_trial_phase_spend_no_trial_budget() -> None:
    turns = [
        Turn(tool_calls=[read("books://978-0")]),
        Turn(tool_calls=[ToolCall(id="", tool=FINISH_TRIAL, arguments={"notes": "shelf 4"})]),
        Turn(content="shelf 4"),
    ]
    episode = await play(ScriptedPolicy(turns), library_server(), mode="trial")
    assert tool_texts(episode)[0] == "book 978-0: on shelf 4"
    assert episode.messages[2].tool_calls[0].phase == "trial"
    assert episode.metadata["trial_calls"] == 0
    assert episode.notes == "shelf 4"


async def test_mistakes_come_back_to_the_model() -> None:
    app = library_server()

    @app.resource("docs://broken")
    def broken() -> str:
        raise RuntimeError("disk on fire")

    turns = [
        Turn(tool_calls=[read("docs://nope"), read(7), read("docs://broken")]),
        Turn(content="sorry"),
    ]
    episode = await play(ScriptedPolicy(turns), app)
    unknown, no_uri, failed = tool_texts(episode)
    assert unknown.startswith("Error: unknown resource 'docs://nope'; the resources are: ")
    assert no_uri == f"Error: {NO_URI}"
    assert failed.startswith("Error: server 's0': reading 'docs://broken' failed: MCP error")
    assert episode.metadata["tool_errors"] == 3
    assert episode.error is None


def test_a_long_resource_is_cut_and_marked() -> None:
    contents = [ResourceContents(uri="docs://big", text="z" * 50, size=50)]
    result = resource_result("c", contents, limit=20)
    assert result.error_kind == "too_large"
    assert result.original_size == 50
    assert result.content[0]["text"] == "z" * 20
    assert TRUNCATION_MARKER in result.text
