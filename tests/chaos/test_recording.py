"""Nothing lost when a store write fails mid-episode (issue 19, item 3), in process: the
episode goes on, a passing fault leaves no gap in the stream, and an episode the store refuses
goes to the fallback file with an error that says what was kept."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from toolmaster.agent import Agent, AgentConfig, Recorder, reference_policy, run_env_task
from toolmaster.core import AsyncStore, Episode, Event, Store, StoreError, get_environment

from tests.chaos._faults import fill_disk, gapless, integrity

pytestmark = pytest.mark.anyio

ENV = get_environment("weather")
TASK = ENV.tasks("test")[0]


async def _run(store: Store, recorder: Recorder) -> Episode:
    policy = reference_policy(ENV, "trial")(TASK)
    with anyio.fail_after(60):
        return await run_env_task(ENV, TASK, policy, AgentConfig(), recorder=recorder)


async def test_a_disk_that_fills_mid_episode_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    fallback = tmp_path / "unrecorded.jsonl"
    seen: list[Event] = []
    with Store(path) as store:

        async def watch(event: Event) -> None:
            seen.append(event)
            if event.seq == 2:
                fill_disk(store)

        recorder = Recorder(AsyncStore(store), also=watch, fallback=fallback)
        # Before the fix the first failed write raised out of the loop: a traceback, and the
        # episode lost.
        with pytest.raises(StoreError) as caught:
            await _run(store, recorder)
        message = str(caught.value)
        (episode_id,) = {event.episode_id for event in seen}
        assert f"episode {episode_id} was not recorded" in message
        assert "disk is full" in message
        kept = len(gapless(store, episode_id))
        assert 3 <= kept < len(seen)  # the page it had took a few more
        assert f"the store kept {kept} of its {len(seen)} events" in message
        assert f"written to {fallback}" in message
        assert "\n" not in message
        assert [e.seq for e in seen] == list(range(len(seen)))  # the printer saw every one
        fill_disk(store, full=False)
        with fallback.open() as lines:
            assert store.import_jsonl(lines) == 1
        stored = store.get_episode(episode_id)
        assert stored is not None
        assert stored.verdict is not None
        assert stored.verdict.passed
    assert integrity(path) == "ok"


async def test_a_passing_fault_leaves_no_gap(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    seen: list[Event] = []
    held: list[int] = []
    with Store(path) as store:

        async def watch(event: Event) -> None:
            seen.append(event)
            if event.seq == 1:
                fill_disk(store)
            elif not held and len(store.events(event.episode_id)) < len(seen):
                held.append(event.seq)  # a write failed: the recorder holds the event
                fill_disk(store, full=False)

        episode = await _run(store, Recorder(AsyncStore(store), also=watch))
        assert held  # the fault happened, mid-episode
        assert held[0] < len(seen) - 1
        assert store.get_episode(episode.id) == episode
        assert store.events(episode.id) == seen
        assert gapless(store, episode.id) == [e.seq for e in seen]
        assert store.open_streams() == []
    assert integrity(path) == "ok"


async def test_a_sink_that_raises_does_not_end_the_episode() -> None:
    seen: list[Event] = []
    failed: list[Event] = []

    async def flaky(event: Event) -> None:
        if event.kind == "tool_result" and not failed:
            failed.append(event)
            raise RuntimeError("the viewer went away")
        seen.append(event)

    session = ENV.open(TASK)
    from toolmaster.mcp import InProcessServerSpec, Toolbox

    policy = reference_policy(ENV, "trial")(TASK)
    with anyio.fail_after(60):
        async with Toolbox([InProcessServerSpec(name=ENV.name, server=session.server)]) as box:
            agent = Agent(policy, box, AgentConfig(), sandbox=session, events=flaky)
            # Before the fix the sink's error escaped Agent.run and the episode was lost.
            episode = await agent.run(TASK, verify=lambda a: ENV.verify(TASK, a, session.state()))
    assert episode.error is None
    assert failed
    assert [e.seq for e in seen] == list(range(len(seen)))  # the lost event left no gap
    assert seen[-1].kind == "episode_finished"
