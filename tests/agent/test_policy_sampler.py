"""A policy answers servers' sampling requests through the Toolbox: bound at once, or late
(`LateSampler`), refusing with the reason until the policy is built."""

from __future__ import annotations

import anyio
import pytest
from toolmaster.agent import (
    NO_POLICY_YET,
    AssistantTurn,
    LateSampler,
    ScriptedPolicy,
    policy_sampler,
)
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


async def test_a_late_sampler_refuses_until_the_policy_is_bound() -> None:
    sampler = LateSampler()
    policy = ScriptedPolicy([AssistantTurn(content="in short")], name="tiny")
    events: list[ToolEvent] = []
    call = ToolCall(id="1", tool="summarize", arguments={"text": "long text"})
    with anyio.fail_after(10):
        async with Toolbox([asking_spec()], sampler=sampler, max_samples=1) as toolbox:
            toolbox.subscribe(events.append)
            early = await toolbox.call(call)
            assert toolbox.samples == 0  # a refusal is not counted against the cap
            sampler.bind(policy)
            late = await toolbox.call(call)
            spent = await toolbox.call(call)
    assert early.text == f"refused: {NO_POLICY_YET}"
    assert late.text == "tiny: in short"
    assert spent.text.startswith("refused: the client answers at most 1 sampling requests")
    outcomes = [(e.details["outcome"], e.details["count"]) for e in events if e.kind == "sampling"]
    assert outcomes == [("refused", 0), ("answered", 1), ("over_limit", 1)]
    (refused, *_) = [e for e in events if e.kind == "sampling"]
    assert refused.details["error"] == NO_POLICY_YET
