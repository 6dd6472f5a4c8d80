"""The live view follows an episode that another task is running and recording."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from toolmaster.agent import AgentConfig, Recorder, reference_policy, run_env_task
from toolmaster.core import AsyncStore, Episode, Event, Store, get_environment
from toolmaster.tui import ToolMasterApp

from tests.tui.conftest import config, wait_for

pytestmark = pytest.mark.anyio


async def test_follows_an_episode_recorded_by_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    seen_trial = anyio.Event()
    applied: list[Event] = []

    def on_events(events: list[Event]) -> None:
        applied.extend(events)
        if any(_is_trial_call(e) for e in events):
            seen_trial.set()

    async def gate(event: Event) -> None:
        # The writer holds the episode at the end of its trial until the view has shown a trial
        # call: the view is following it live, not reading it after the fact.
        if event.kind == "phase":
            with anyio.fail_after(15):
                await seen_trial.wait()

    env = get_environment("weather")
    task = env.tasks("test")[2]
    finished: list[Episode] = []

    async def writer() -> None:
        with Store(path) as store:  # its own connection, as another process would have
            recorder = Recorder(AsyncStore(store), also=gate)
            policy = reference_policy(env, "trial")(task)
            finished.append(
                await run_env_task(
                    env, task, policy, AgentConfig(), memory=store, recorder=recorder
                )
            )

    app = ToolMasterApp(replace(config(path), on_events=on_events))
    async with app.run_test(size=(80, 24)) as pilot, anyio.create_task_group() as tg:
        await pilot.pause()
        tg.start_soon(writer)
        live = app.live_screen
        await wait_for(
            pilot, lambda: bool(finished) and live.view is not None and live.view.finished
        )
        episode = finished[0]
        assert live.view is not None and live.view.episode_id == episode.id
        assert episode.id in live.live
        assert [e.seq for e in applied] == list(range(len(applied)))
        assert applied[-1].kind == "episode_finished"
        assert live.view.notes == episode.notes
        assert live.view.verdict == episode.verdict
        assert live.view.trial_calls == episode.metadata["trial_calls"]
        assert live.view.turns == sum(m.role == "assistant" for m in episode.messages)


def _is_trial_call(event: Event) -> bool:
    call = event.data.get("call")
    return event.kind == "tool_call" and isinstance(call, dict) and call.get("phase") == "trial"
