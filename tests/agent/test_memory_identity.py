"""Experience memory is keyed by the server's identity from its MCP handshake: the same server
under two configuration names shares what trials taught; a server that sends no `serverInfo`
goes by its configuration name; experience saved under the old keys is still found."""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.server.mcpserver import MCPServer
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Episode, Experience, Store, Task, ToolCall, Turn
from toolmaster.mcp import Toolbox

from tests.mcp.servers.memory import anonymous_server, memory_spec

pytestmark = pytest.mark.anyio

TASK = Task(id="t", prompt="add 2 and 3")
NOTES = "add(a, b): a and b are integers"


def adder() -> MCPServer:
    app = MCPServer("adder", version="1.2.0", log_level="WARNING")

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return app


TRIAL = [
    Turn(tool_calls=[ToolCall(id="", tool="add", arguments={"a": 1, "b": 1})]),
    Turn(tool_calls=[ToolCall(id="", tool=FINISH_TRIAL, arguments={"notes": NOTES})]),
    Turn(content="5"),
]
DIRECT = [Turn(content="5")]


async def episode(store: Store, name: str, server: Any, turns: list[Turn]) -> Episode:
    with anyio.fail_after(20):
        async with Toolbox([memory_spec(name, server)]) as toolbox:
            agent = Agent(ScriptedPolicy(turns), toolbox, AgentConfig(mode="trial"), memory=store)
            return await agent.run(TASK)


def knew(episode: Episode) -> bool:
    """Whether the episode skipped its trial because memory knew every tool."""
    return episode.metadata["trial"] is False and NOTES in (episode.messages[0].content or "")


async def test_the_same_server_under_two_names_shares_experience() -> None:
    with Store(":memory:") as store:
        first = await episode(store, "calc", adder(), TRIAL)
        assert first.metadata["trial"] is True
        (saved,) = store.experiences()
        assert (saved.key.server, saved.key.tool) == ("adder@1.2.0", "add")
        assert [e.key for e in store.experiences(server="adder")] == [saved.key]
        assert knew(await episode(store, "maths", adder(), DIRECT))


async def test_a_server_without_server_info_is_remembered_by_its_config_name() -> None:
    with Store(":memory:") as store:
        first = await episode(store, "calc", anonymous_server(), TRIAL)
        assert first.answer == "5" and first.error is None
        (saved,) = store.experiences()
        assert saved.key.server == "calc"
        assert knew(await episode(store, "calc", anonymous_server(), DIRECT))
        # nothing says that "maths" is the same server: it is trialed afresh
        again = await episode(store, "maths", anonymous_server(), TRIAL)
        assert again.metadata["trial"] is True


async def test_experience_saved_under_the_old_keys_is_still_found() -> None:
    with Store(":memory:") as store:
        async with Toolbox([memory_spec("calc", adder())]) as toolbox:
            (tool,) = toolbox.tools
        # what ToolMaster saved before keys were identities: the configuration name
        old = tool.model_copy(update={"server_identity": None, "upstream_name": None}).key
        assert old.server == "calc" and old != tool.key
        store.put_experience(Experience(key=old, notes=NOTES))
        assert knew(await episode(store, "calc", adder(), DIRECT))
