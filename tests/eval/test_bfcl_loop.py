"""The agent capability BFCL needs: one conversation over several user messages (`next_user`)."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from pydantic import JsonValue
from toolmaster.agent import Agent, AgentConfig, AssistantTurn, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Episode, Message, Task, ToolCall
from toolmaster.mcp import Toolbox

from tests.mcp.servers.memory import calc_server, memory_spec

pytestmark = pytest.mark.anyio

TASK = Task(id="t", prompt="add 2 and 3")


def call(tool: str, **arguments: JsonValue) -> AssistantTurn:
    return AssistantTurn(tool_calls=[ToolCall(id="", tool=tool, arguments=arguments)])


class Users:
    """Plays follow-up user messages in order, keeping what it was shown."""

    def __init__(self, *messages: str) -> None:
        self.left = list(messages)
        self.shown: list[list[Message]] = []

    async def __call__(self, messages: Sequence[Message]) -> str | None:
        self.shown.append(list(messages))
        return self.left.pop(0) if self.left else None


async def run(turns: list[AssistantTurn], users: Users, config: AgentConfig) -> Episode:
    with anyio.fail_after(20):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            agent = Agent(ScriptedPolicy(turns), toolbox, config)
            return await agent.run(TASK, next_user=users)


async def test_the_conversation_goes_on_over_follow_up_messages() -> None:
    users = Users("now add 5 and 5")
    turns = [
        call("add", a=2, b=3),
        AssistantTurn(content="5"),
        call("add", a=5, b=5),
        AssistantTurn(content="10"),
    ]
    episode = await run(turns, users, AgentConfig(mode="direct"))
    assert episode.error is None
    assert episode.answer == "10"
    roles = [(m.role, m.content) for m in episode.messages if m.role == "user"]
    assert roles == [("user", "add 2 and 3"), ("user", "now add 5 and 5")]
    assert [m.content for m in episode.messages if m.role == "tool"] == ["5", "10"]
    # asked once per answer, shown the conversation ending with that answer
    assert [shown[-1].content for shown in users.shown] == ["5", "10"]
    assert episode.metadata["execute_calls"] == 2


async def test_each_user_message_gets_the_turn_budget_anew() -> None:
    users = Users("again")
    turns = [call("add", a=1, b=1), AssistantTurn(content="2")] * 2
    episode = await run(turns, users, AgentConfig(mode="direct", max_turns=2))
    assert episode.error is None
    assert episode.answer == "2"

    spent = await run(
        [call("add", a=1, b=1)] * 3, Users("again"), AgentConfig(mode="direct", max_turns=2)
    )
    assert spent.error is not None and spent.error.kind == "budget"


async def test_a_trial_left_open_ends_at_the_next_user_message() -> None:
    users = Users("go on")
    turns = [call("add", a=1, b=2), AssistantTurn(content="3"), call("add", a=2, b=2)]
    turns.append(AssistantTurn(content="4"))
    episode = await run(turns, users, AgentConfig(mode="trial"))
    phases = [c.phase for m in episode.messages for c in m.tool_calls]
    assert phases == ["trial", "execute"]
    assert [span.phase for span in episode.phases] == ["trial", "execute"]
    assert episode.notes is None


async def test_finish_trial_then_follow_ups_stay_in_execution() -> None:
    users = Users("and more")
    notes = ToolCall(id="", tool=FINISH_TRIAL, arguments={"notes": "add adds"})
    turns = [
        call("add", a=1, b=2),
        AssistantTurn(tool_calls=[notes]),
        call("add", a=2, b=3),
        AssistantTurn(content="5"),
        call("add", a=3, b=3),
        AssistantTurn(content="6"),
    ]
    episode = await run(turns, users, AgentConfig(mode="trial"))
    phases = [c.phase for m in episode.messages for c in m.tool_calls]
    assert phases == ["trial", "trial", "execute", "execute"]
    assert episode.notes == "add adds"
    assert episode.answer == "6"


async def test_without_next_user_an_answer_ends_the_episode() -> None:
    turns = [AssistantTurn(content="done early"), call("add", a=1, b=1)]
    async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
        episode = await Agent(ScriptedPolicy(turns), toolbox, AgentConfig(mode="direct")).run(TASK)
    assert episode.answer == "done early"
    assert not episode.tool_calls
