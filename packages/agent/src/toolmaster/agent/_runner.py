"""Running many episodes at once: bundled-environment tasks and tasks over any servers.

Each episode gets a fresh environment state and its own Toolbox; episodes run concurrently over
anyio up to a limit. Every episode ends as a recorded `Episode`: a failure that escapes the loop
(a server that cannot start, a bug) is attributed to its boundary and recorded, and the rest of
the batch goes on.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import anyio
from toolmaster.agent._failure import Attempt
from toolmaster.agent._host import EventSink, ExperienceStore
from toolmaster.agent._loop import Agent, AgentConfig
from toolmaster.agent._policy import Policy
from toolmaster.agent._scripted import SolverPolicy
from toolmaster.core import AsyncStore, Environment, Episode, Event, Mode, Task
from toolmaster.mcp import InProcessServerSpec, Toolbox

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


Play = Callable[[Attempt, Policy, EventSink | None], Awaitable[Episode]]
"""Plays one episode with a built policy, sending its events to the sink; marks the stages it
passes through on the `Attempt` (`attempt.at("server")`, ...). It may raise."""


async def play_episode(
    task: Task,
    mode: Mode,
    policy: Policy,
    play: Play,
    *,
    recorder: Recorder | None = None,
    events: EventSink | None = None,
) -> Episode:
    """`play` once, recorded when a recorder is given (which then takes the events); a
    failure raises."""
    if recorder is not None:
        events = recorder.event
    episode = await play(Attempt(task, mode, policy=policy.info), policy, events)
    if recorder is not None:
        await recorder.episode(episode)
    return episode


def episode_job(
    task: Task,
    mode: Mode,
    policy_for: Callable[[], Policy],
    play: Play,
    *,
    recorder: Recorder | None = None,
    finish: Callable[[Attempt, Episode], Episode] | None = None,
) -> Callable[[], Awaitable[Episode]]:
    """One episode as a job for `run_many`: the policy built, `play`ed, `finish`ed (tagged,
    scored...) and recorded. It never raises for a failure of its episode: one outside the
    loop becomes the episode, attributed to the boundary it escaped (`Attempt`)."""
    events = recorder.event if recorder is not None else None

    async def play_built(attempt: Attempt) -> Episode:
        with attempt.at("policy"):
            policy = policy_for()
        attempt.policy = policy.info
        return await play(attempt, policy, events)

    async def job() -> Episode:
        attempt = Attempt(task, mode)
        episode = await attempt.run(play_built)
        if finish is not None:
            episode = finish(attempt, episode)
        if recorder is not None:
            await recorder.episode(episode)
        return episode

    return job


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
    without one, `events` alone sees its events. A failure to open the environment or its
    server raises (`env_job` records it as the episode instead)."""
    play = _env_play(env, config, memory=memory, call_timeout_s=call_timeout_s)
    return await play_episode(task, config.mode, policy, play, recorder=recorder, events=events)


def _env_play(
    env: Environment,
    config: AgentConfig,
    *,
    memory: ExperienceStore | None,
    call_timeout_s: float | None = None,
) -> Play:
    async def play(attempt: Attempt, policy: Policy, events: EventSink | None) -> Episode:
        task = attempt.task
        async with AsyncExitStack() as stack:
            with attempt.at("server"):
                session = env.open(task)
                spec = InProcessServerSpec(name=env.name, server=session.server)
                timeout = call_timeout_s or config.call_timeout_s
                toolbox = await stack.enter_async_context(Toolbox([spec], timeout=timeout))
            agent = Agent(policy, toolbox, config, sandbox=session, memory=memory, events=events)
            return await agent.run(
                task, verify=lambda answer: env.verify(task, answer, session.state())
            )

    return play


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
    """One bundled task as a job for `run_many` (see `episode_job`): a policy that cannot be
    built, an environment or server that cannot open, a bug, each becomes the recorded
    episode, attributed to its boundary."""
    play = _env_play(env, config, memory=memory)
    return episode_job(task, config.mode, lambda: policy_for(task), play, recorder=recorder)


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
