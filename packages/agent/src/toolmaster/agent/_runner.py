"""Running many episodes at once: bundled-environment tasks and tasks over any servers.

Each episode gets a fresh environment state and its own Toolbox; episodes run concurrently over
anyio up to a limit. Every episode ends as a recorded `Episode`: a failure that escapes the loop
(a server that cannot start, a bug) is attributed to its boundary and recorded, and the rest of
the batch goes on.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import anyio
from toolmaster.agent._host import EventSink, ExperienceStore
from toolmaster.agent._loop import Agent, AgentConfig
from toolmaster.agent._policy import Policy
from toolmaster.agent._scripted import SolverPolicy
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    EpisodeError,
    Event,
    Mode,
    PolicyInfo,
    Task,
    Timings,
    ToolMasterError,
    utcnow,
)
from toolmaster.mcp import InProcessServerSpec, ServerConnectError, Toolbox

logger = logging.getLogger(__name__)

PolicyFactory = Callable[[Task], Policy]
"""Gives the policy for one task: the same object for a real model, a fresh one for scripted
policies that keep per-episode state."""


@dataclass(frozen=True)
class Recorder:
    """Where episodes go: their live event streams and the finished records."""

    store: AsyncStore
    also: EventSink | None = None
    """Another sink that sees every event after the store (a live printer, a UI)."""

    async def event(self, event: Event) -> None:
        await self.store.put_event(event)
        if self.also is not None:
            await self.also(event)

    async def episode(self, episode: Episode) -> None:
        await self.store.put_episode(episode)


async def run_env_task(
    env: Environment,
    task: Task,
    policy: Policy,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
    events: EventSink | None = None,
    call_timeout_s: float | None = None,
) -> Episode:
    """One episode of a bundled environment's task, served in process with trial sandboxing,
    judged by the environment's verifier. With a recorder it is recorded (events and episode);
    without one, `events` alone sees its events."""
    session = env.open(task)
    spec = InProcessServerSpec(name=env.name, server=session.server)
    if recorder is not None:
        events = recorder.event
    async with Toolbox([spec], timeout=call_timeout_s or config.call_timeout_s) as toolbox:
        agent = Agent(policy, toolbox, config, sandbox=session, memory=memory, events=events)
        episode = await agent.run(
            task, verify=lambda answer: env.verify(task, answer, session.state())
        )
    if recorder is not None:
        await recorder.episode(episode)
    return episode


def reference_policy(env: Environment, mode: Mode, *, seed: int = 0) -> PolicyFactory:
    """The environment's scripted teacher as a policy factory (one solver per task)."""

    def make(task: Task) -> Policy:
        rng = random.Random(f"{seed}:{task.id}")
        return SolverPolicy(env.solve(task, rng, mode), name=f"reference-{env.name}")

    return make


async def run_many(
    jobs: Sequence[Callable[[], Awaitable[Episode]]], *, concurrency: int = 8
) -> list[Episode]:
    """Run episode jobs concurrently, at most `concurrency` at a time; results in the order
    given. Jobs record their own failures (see `run_env_tasks`) and must not raise."""
    results: list[Episode | None] = [None] * len(jobs)
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(index: int) -> None:
        async with limiter:
            results[index] = await jobs[index]()

    async with anyio.create_task_group() as tg:
        for index in range(len(jobs)):
            tg.start_soon(one, index)
    return [episode for episode in results if episode is not None]


def env_job(
    env: Environment,
    task: Task,
    policy_for: PolicyFactory,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
) -> Callable[[], Awaitable[Episode]]:
    """One bundled task as a job for `run_many`. It never raises: a failure outside the loop
    (a server that cannot start, a broken environment) becomes a recorded failed episode."""

    async def run() -> Episode:
        policy = policy_for(task)
        try:
            return await run_env_task(env, task, policy, config, memory=memory, recorder=recorder)
        except (ToolMasterError, OSError, RuntimeError, ValueError) as exc:
            logger.warning("task %s failed outside the agent loop: %r", task.id, exc)
            boundary = "server" if isinstance(exc, ServerConnectError | OSError) else "runtime"
            error = EpisodeError(boundary=boundary, kind="exception", message=repr(exc))
            episode = failed_episode(task, config.mode, policy.info, error)
            if recorder is not None:
                await recorder.episode(episode)
            return episode

    return run


async def run_env_tasks(
    env: Environment,
    tasks: Sequence[Task],
    policy_for: PolicyFactory,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
    concurrency: int = 8,
) -> list[Episode]:
    """Run `tasks` of one environment concurrently; every task yields one recorded Episode."""
    jobs = [env_job(env, t, policy_for, config, memory=memory, recorder=recorder) for t in tasks]
    return await run_many(jobs, concurrency=concurrency)


def failed_episode(task: Task, mode: Mode, policy: PolicyInfo, error: EpisodeError) -> Episode:
    """The record of an episode that could not run at all."""
    now = utcnow()
    return Episode(
        task=task,
        mode=mode,
        policy=policy,
        error=error,
        timings=Timings(started_at=now, finished_at=now),
    )
