"""What servers log, report and ask during an episode is kept on the episode (`notices`) and
sent as events of their kinds, in one gapless stream with the loop's own events; secrets are
scrubbed from them like from results."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest
from pydantic import JsonValue, SecretStr
from toolmaster.agent import Agent, AgentConfig, AssistantTurn, ScriptedPolicy, policy_sampler
from toolmaster.core import Episode, Event, Task, ToolCall
from toolmaster.mcp import (
    UNATTENDED,
    ElicitationReply,
    ElicitationRequest,
    InProcessServerSpec,
    Toolbox,
)

from tests.mcp.servers.asking import asking_server, asking_spec

pytestmark = pytest.mark.anyio

SECRET = "hunter2-secret-value"


def turn(*tools: str, **arguments: JsonValue) -> AssistantTurn:
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=dict(arguments)) for i, t in enumerate(tools)]
    return AssistantTurn(content=None, tool_calls=calls)


async def play(policy: ScriptedPolicy, toolbox: Toolbox, events: list[Event]) -> Episode:
    async def sink(event: Event) -> None:
        events.append(event)
        await anyio.lowlevel.checkpoint()  # a store write yields: a notice may arrive

    config = AgentConfig(mode="direct")
    agent = Agent(policy, toolbox, config, events=sink, server_events=toolbox)
    return await agent.run(Task(id="t", prompt="do it"))


async def test_logs_progress_sampling_and_elicitation_are_kept_and_streamed() -> None:
    policy = ScriptedPolicy(
        [turn("chatty"), turn("ask_name"), turn("summarize", text="a text")], name="tiny"
    )
    events: list[Event] = []
    with anyio.fail_after(20):
        async with Toolbox([asking_spec()], sampler=policy_sampler(policy)) as toolbox:
            episode = await play(policy, toolbox, events)
    assert episode.error is None, episode.error
    kinds = [n.kind for n in episode.notices]
    assert kinds == [
        "server_log",
        "server_log",
        "progress",
        "progress",
        "elicitation",
        "sampling",
    ]
    log, _, progress, _, elicitation, sampling = episode.notices
    assert (log.server, log.message, log.details["level"]) == (
        "asking",
        "starting the work",
        "info",
    )
    assert progress.call_id == "c0"
    assert (progress.details["progress"], progress.details["total"]) == (1, 2)
    assert elicitation.details["action"] == "decline"
    assert elicitation.details["reason"] == UNATTENDED
    assert sampling.details["outcome"] == "answered"
    assert [e.seq for e in events] == list(range(len(events)))
    streamed = [
        e for e in events if e.kind in ("server_log", "progress", "sampling", "elicitation")
    ]
    assert [e.data["notice"] for e in streamed] == [n.json_data() for n in episode.notices]
    call = next(i for i, e in enumerate(events) if e.kind == "tool_call")
    result = next(i for i, e in enumerate(events) if e.kind == "tool_result")
    assert call < events.index(streamed[0]) < result  # as they arrived, during the call
    assert Episode.from_json(episode.model_dump_json()).notices == episode.notices


async def test_an_accepted_elicitation_keeps_the_answer_with_secrets_scrubbed() -> None:
    async def elicitor(request: ElicitationRequest) -> ElicitationReply:
        return ElicitationReply("accept", {"name": SECRET})

    spec = InProcessServerSpec(
        name="asking", server=asking_server(), legacy=True, expanded={"TOKEN": SecretStr(SECRET)}
    )
    toolbox = Toolbox([spec], elicitor=elicitor)
    policy = ScriptedPolicy([turn("ask_name")], name="tiny")
    events: list[Event] = []
    with anyio.fail_after(20):
        async with toolbox:
            episode = await play(policy, toolbox, events)
    (notice,) = episode.notices
    assert notice.details["action"] == "accept"
    assert notice.details["content"] == {"name": "[secret:TOKEN]"}
    assert SECRET not in episode.model_dump_json()
    assert all(SECRET not in e.model_dump_json() for e in events)


async def test_no_notices_are_kept_without_server_events() -> None:
    policy = ScriptedPolicy([turn("chatty")], name="tiny")
    with anyio.fail_after(20):
        async with Toolbox([asking_spec()]) as toolbox:
            agent = Agent(policy, toolbox, AgentConfig(mode="direct"))
            episode = await agent.run(Task(id="t", prompt="do it"))
    assert episode.notices == []
