"""A policy answers servers' sampling requests through the Toolbox."""

from __future__ import annotations

import anyio
import pytest
from toolmaster.agent import AssistantTurn, ScriptedPolicy, policy_sampler
from toolmaster.core import ToolCall
from toolmaster.mcp import Toolbox, ToolEvent

from tests.mcp.servers.asking import asking_spec

pytestmark = pytest.mark.anyio


async def test_the_policy_answers_a_servers_sampling_request() -> None:
    policy = ScriptedPolicy([AssistantTurn(content="a short summary")], name="tiny")
    events: list[ToolEvent] = []
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], sampler=policy_sampler(policy)) as toolbox:
            toolbox.subscribe(events.append)
            call = ToolCall(id="1", tool="summarize", arguments={"text": "long text"})
            result = await toolbox.call(call)
    assert result.text == "tiny: a short summary"
    (seen,) = policy.seen
    assert [(m.role, m.content) for m in seen] == [
        ("system", "Be brief."),
        ("user", "Summarize: long text"),
    ]
    (sampling,) = [e for e in events if e.kind == "sampling"]
    assert sampling.details["outcome"] == "answered"
