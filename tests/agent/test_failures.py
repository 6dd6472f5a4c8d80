"""A bad rollout is data, not a crash: one episode of a 16-episode batch breaks at a policy, a
server or a verifier with an error that is not ToolMaster's own; that episode is recorded with
the failure on its boundary and the other 15 finish and pass."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from toolmaster.agent import AgentConfig, Attempt, Recorder, failed_episode, run_env_tasks
from toolmaster.core import AsyncStore, Episode, Store, Task

from tests.agent.faulty import (
    BAD,
    BREAKS,
    TASKS,
    Faults,
    LookupEnv,
    broken_among_passed,
    faulty_policies,
)

pytestmark = pytest.mark.anyio


async def run_batch(faults: Faults, store: Store) -> list[Episode]:
    env = LookupEnv(faults)
    recorder = Recorder(AsyncStore(store))
    with anyio.fail_after(60):
        return await run_env_tasks(
            env,
            env.tasks("test"),
            faulty_policies(env, "trial"),
            AgentConfig(mode="trial"),
            recorder=recorder,
            concurrency=TASKS,
        )


@pytest.mark.parametrize("case", list(BREAKS))
async def test_one_broken_episode_is_recorded_and_the_other_15_pass(
    case: str, tmp_path: Path
) -> None:
    faults, boundary, error = BREAKS[case]
    with Store(tmp_path / "s.db") as store:
        episodes = await run_batch(faults, store)
        assert [e.task.id for e in episodes] == [f"lookup-{i}" for i in range(TASKS)]
        bad = broken_among_passed(episodes, BAD)
        assert bad.error is not None, bad
        assert bad.error.boundary == boundary
        assert error in bad.error.message
        assert store.count() == TASKS
        assert store.get_episode(bad.id) == bad


async def test_a_tool_that_raises_is_a_tool_error_the_model_sees(tmp_path: Path) -> None:
    """A tool's own exception is its answer (MCP's `isError`), not the end of the episode:
    the model sees it and may correct course; it is counted as a tool error."""
    with Store(tmp_path / "s.db") as store:
        episodes = await run_batch(Faults(tool=frozenset({BAD})), store)
        bad = broken_among_passed(episodes, BAD)
    assert bad.error is None
    assert bad.verdict is not None and not bad.verdict.passed
    tool_texts = [m.content or "" for m in bad.messages if m.role == "tool" and m.name == "lookup"]
    assert tool_texts and all("no such key" not in t for t in tool_texts)
    assert bad.metadata["tool_errors"] == 2
    assert "Error executing tool lookup" in tool_texts[0]


async def test_an_attempt_records_the_boundary_it_failed_at() -> None:
    task = Task(id="t", prompt="p")

    async def play(attempt: Attempt) -> Episode:
        with attempt.at("policy"):
            pass
        with attempt.at("server"):
            raise KeyError("station")

    attempt = Attempt(task, "direct")
    episode = await attempt.run(play)
    assert isinstance(attempt.failure, KeyError)
    assert episode.error is not None
    assert (episode.error.boundary, episode.error.kind) == ("server", "exception")
    assert episode.error.message == "KeyError('station')"
    assert episode.policy.name == "unbuilt" and episode.messages == []


async def test_a_failure_outside_every_stage_is_the_runtimes() -> None:
    async def play(attempt: Attempt) -> Episode:
        with attempt.at("policy"):
            pass
        raise TypeError("a bug")

    episode = await Attempt(Task(id="t", prompt="p"), "trial").run(play)
    assert episode.error is not None and episode.error.boundary == "runtime"


async def test_a_failure_after_the_loop_is_recorded_on_the_played_episode() -> None:
    task = Task(id="t", prompt="p")
    played = failed_episode(task, mode="direct", boundary="runtime", error="x").model_copy(
        update={"error": None, "answer": "42"}
    )

    async def play(attempt: Attempt) -> Episode:
        attempt.played = played
        with attempt.at("verifier"):
            raise ValueError("bad ground truth")

    episode = await Attempt(task, "direct").run(play)
    assert episode.id == played.id and episode.answer == "42"
    assert episode.error is not None and episode.error.boundary == "verifier"


async def test_cancellation_is_not_an_episode_failure() -> None:
    async def play(attempt: Attempt) -> Episode:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    with anyio.move_on_after(0.05) as scope:
        await Attempt(Task(id="t", prompt="p"), "direct").run(play)
    assert scope.cancelled_caught
