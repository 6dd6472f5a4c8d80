"""One episode over a server that misbehaves in every way a call can (crash, hang, garbage,
an invalid result, 5 MiB of output, terminal escape sequences, a token quoted in an error),
recorded into a real store: the episode ends as data, is stored intact, its stream has no
gap, the store passes its integrity check, no secret is recorded, and no process or file
descriptor is left behind."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from toolmaster.agent import Agent, AgentConfig, AssistantTurn, Recorder, ScriptedPolicy
from toolmaster.core import AsyncStore, Store, Task, ToolCall
from toolmaster.mcp import Toolbox

from tests.chaos._faults import descendants, gapless, integrity, open_fds
from tests.mcp.servers.memory import raw_spec
from tests.mcp.servers.raw_server import ESCAPES

pytestmark = pytest.mark.anyio

TOKEN = "tok-chaos-abcdef123456"
CALLS = [
    ("echo", {"text": "hello"}),
    ("leak", {}),
    ("escapes", {}),
    ("garbage", {}),
    ("bad_result", {}),
    ("hang", {}),
    ("big", {"mb": 5}),
    ("crash", {}),
    ("echo", {"text": "after the crash"}),
]
EXPECTED = [None, "tool_error", None, "protocol", "protocol", "timeout", "too_large",
            "server_crashed", None]  # fmt: skip


async def test_every_fault_is_data_and_nothing_leaks(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    children, fds = descendants(), open_fds()
    turns = [
        AssistantTurn(tool_calls=[ToolCall(id=f"c{i}", tool=tool, arguments=arguments)])
        for i, (tool, arguments) in enumerate(CALLS)
    ]
    config = AgentConfig(mode="direct", call_timeout_s=1.0, max_turns=len(CALLS) + 2)
    with Store(path) as store:
        recorder = Recorder(AsyncStore(store))
        with anyio.fail_after(60):
            async with Toolbox([raw_spec("raw", env={"RAW_TOKEN": TOKEN})]) as toolbox:
                agent = Agent(ScriptedPolicy(turns), toolbox, config, events=recorder.event)
                episode = await agent.run(Task(id="chaos", prompt="try everything"))
            await recorder.episode(episode)
        results = [e.data["result"] for e in store.events(episode.id) if e.kind == "tool_result"]
        kinds = [r["error_kind"] for r in results if isinstance(r, dict)]
        assert kinds == EXPECTED
        assert episode.error is not None
        assert episode.error.boundary == "server"  # the crash, recorded once
        assert episode.answer == "done"  # and the episode went on after it
        assert store.get_episode(episode.id) == episode
        gapless(store, episode.id)
        assert store.open_streams() == []
        stored = episode.model_dump_json()
        assert TOKEN not in stored
        assert "[secret:RAW_TOKEN]" in stored
        assert [m.content for m in episode.messages if m.role == "tool"][2] == ESCAPES
    assert integrity(path) == "ok"
    assert descendants() <= children  # the Toolbox stopped and reaped its stdio servers
    assert open_fds() <= fds
