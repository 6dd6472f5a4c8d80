"""Checks every bundled environment's tests share; each test file keeps its own assertions and
calls these for the common ones."""

from __future__ import annotations

import random
from importlib.metadata import entry_points
from typing import Any

import anyio
from toolmaster.agent import AgentConfig, reference_policy, run_env_task
from toolmaster.core import ENTRY_POINT_GROUP, Environment, Mode, Task


def check_registered(
    env: Environment, name: str, *, out_of_domain: bool, versions: tuple[str, ...]
) -> None:
    """`env` satisfies the protocol and is the entry point `name`, with these flags."""
    assert isinstance(env, Environment)
    (entry,) = entry_points(group=ENTRY_POINT_GROUP, name=name)
    assert entry.load() is env
    assert env.out_of_domain == out_of_domain
    assert env.versions == versions


def check_tasks_distinct(env: Environment, name: str, *, at_least: int = 150) -> None:
    """Enough tasks, distinct in id and in (prompt, seed), seeded, and disjoint seeds by split."""
    train, test = env.tasks("train"), env.tasks("test")
    every = [*train, *test]
    assert len(every) >= at_least
    assert len({t.id for t in every}) == len(every)
    assert len({(t.prompt, t.seed) for t in every}) == len(every)
    assert {t.seed for t in train}.isdisjoint({t.seed for t in test})
    assert all(t.env == name and t.seed is not None for t in every)


async def check_agent_loop(env: Environment, tasks: list[Task], mode: Mode, n: int = 4) -> None:
    """The reference solver, on a seeded sample of `n` tasks, stays within the agent's default
    budgets and passes in the real loop, with a trial phase (and notes) only in trial mode."""
    for task in random.Random(3).sample(tasks, n):
        with anyio.fail_after(60):
            episode = await run_env_task(
                env, task, reference_policy(env, mode)(task), AgentConfig(mode=mode)
            )
        assert episode.error is None, (task.id, episode.error)
        assert episode.verdict is not None
        assert episode.verdict.passed, (task.id, episode.verdict.reasons)
        assert [p.phase for p in episode.phases] == (
            ["trial", "execute"] if mode == "trial" else ["execute"]
        )
        assert bool(episode.notes) == (mode == "trial")


class Blindfolded:
    """An environment with each task's expectations hidden from its solver: a teacher that passes
    through it acts only on what the tools showed."""

    def __init__(self, env: Any) -> None:
        self._env = env
        self.name = env.name

    def open(self, task: Task) -> Any:
        return self._env.open(task)

    def solve(self, task: Task, rng: random.Random, mode: Mode) -> Any:
        return self._env.solve(task.model_copy(update={"expected": {}}), rng, mode)

    def verify(self, task: Task, answer: str | None, state: Any) -> Any:
        return self._env.verify(task, answer, state)
