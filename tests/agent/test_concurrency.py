"""Many episodes at once against stdio servers: all recorded, nothing leaked."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest
from toolmaster.agent import Agent, AgentConfig, Recorder, ScriptedPolicy, run_many
from toolmaster.core import AsyncStore, Episode, Store, Task, ToolCall, Turn
from toolmaster.mcp import Toolbox

from tests.mcp.servers.memory import raw_spec

pytestmark = pytest.mark.anyio

EPISODES = 64


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def children() -> set[int]:
    """Live (not zombie) child processes of this process."""
    me = str(os.getpid())
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me and fields[0] != "Z":
            found.add(int(entry))
    return found


async def test_64_concurrent_episodes_over_stdio_are_recorded_without_leaks(tmp_path: Path) -> None:
    fds_before, children_before = open_fds(), children()
    store = Store(tmp_path / "s.db")
    recorder = Recorder(AsyncStore(store))

    def job(i: int):
        async def run() -> Episode:
            turns = [
                Turn(tool_calls=[ToolCall(id="a", tool="echo", arguments={"text": f"#{i}"})]),
                Turn(content=f"done {i}"),
            ]
            async with Toolbox([raw_spec(f"raw{i}")]) as toolbox:
                agent = Agent(
                    ScriptedPolicy(turns),
                    toolbox,
                    AgentConfig(mode="direct"),
                    events=recorder.event,
                )
                episode = await agent.run(Task(id=f"t{i}", prompt=f"echo {i}"))
            await recorder.episode(episode)
            return episode

        return run

    with anyio.fail_after(120):
        episodes = await run_many([job(i) for i in range(EPISODES)], concurrency=EPISODES)

    assert len(episodes) == EPISODES
    assert all(e.error is None for e in episodes), [e.error for e in episodes if e.error]
    assert [e.answer for e in episodes] == [f"done {i}" for i in range(EPISODES)]
    tool_texts = {m.content for e in episodes for m in e.messages if m.role == "tool"}
    assert len(tool_texts) == EPISODES
    assert store.count() == EPISODES
    assert all(store.events(e.id)[-1].kind == "episode_finished" for e in episodes)
    store.close()
    assert children() - children_before == set()
    assert open_fds() <= fds_before
