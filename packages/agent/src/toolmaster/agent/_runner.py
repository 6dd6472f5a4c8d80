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
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from toolmaster.agent._failure import Attempt
from toolmaster.agent._host import EventSink, ExperienceStore
from toolmaster.agent._loop import Agent, AgentConfig
from toolmaster.agent._policy import Policy
from toolmaster.agent._sampler import policy_sampler
from toolmaster.agent._scripted import SolverPolicy
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    Event,
    Mode,
    StoreError,
    Task,
    episode_json,
)
from toolmaster.mcp import InProcessServerSpec, Toolbox

logger = logging.getLogger(__name__)

PolicyFactory = Callable[[Task], Policy]
"""Gives the policy for one task: the same object for a real model, a fresh one for scripted
policies that keep per-episode state."""


@dataclass
class _Held:
    """What a recorder could not write yet, per episode."""

    events: dict[str, list[Event]] = field(default_factory=dict[str, list[Event]])
    """Events not written yet, in order."""
    written: dict[str, int] = field(default_factory=dict[str, int])
    failure: dict[str, str] = field(default_factory=dict[str, str])
    """The last write error."""

    def clear(self, episode_id: str) -> None:
        self.events.pop(episode_id, None)
        self.written.pop(episode_id, None)
        self.failure.pop(episode_id, None)


@dataclass(frozen=True)
class Recorder:
    """Where episodes go: their live event streams and the finished records.

    A store write that fails (a full disk, a read-only folder, a lock held too long) never
    fails the episode: its event is held, in order, and written before the next one (each
    event is one transaction, so the stream never has a gap); the episode goes on and `also`
    still sees every event. `episode` writes what is held, then the episode; if the store
    still refuses, the episode is appended to `fallback` (a JSONL file that `toolmaster
    sessions import` reads) when one is given, and `StoreError` says what was kept where.
    """

    store: AsyncStore
    also: EventSink | None = None
    """Another sink that sees every event after the store (a live printer, a UI)."""
    fallback: Path | None = None
    """A JSONL file for episodes the store refuses."""
    _held: _Held = field(default_factory=_Held, init=False, repr=False, compare=False)

    async def event(self, event: Event) -> None:
        self._held.events.setdefault(event.episode_id, []).append(event)
        await self._write_held(event.episode_id)
        if self.also is not None:
            await self.also(event)

    async def _write_held(self, episode_id: str) -> None:
        state = self._held
        held = state.events[episode_id]
        while held:
            try:
                await self.store.put_event(held[0])
            except StoreError as exc:
                if episode_id not in state.failure:
                    logger.warning("episode %s: events held in memory: %s", episode_id, exc)
                state.failure[episode_id] = str(exc)
                return
            held.pop(0)
            state.written[episode_id] = state.written.get(episode_id, 0) + 1

    async def episode(self, episode: Episode) -> None:
        episode_id = episode.id
        state = self._held
        try:
            if episode_id in state.events:
                await self._write_held(episode_id)
            try:
                await self.store.put_episode(episode)
            except StoreError as exc:
                raise self._lost(episode, exc) from exc
            if state.events.get(episode_id):
                logger.warning(
                    "episode %s recorded; %d of its events could not be: %s",
                    episode_id,
                    len(state.events[episode_id]),
                    state.failure.get(episode_id),
                )
        finally:
            state.clear(episode_id)

    def _lost(self, episode: Episode, exc: StoreError) -> StoreError:
        """The error for an episode the store refused, after trying the fallback file."""
        written = self._held.written.get(episode.id, 0)
        total = written + len(self._held.events.get(episode.id, []))
        kept = f"the store kept {written} of its {total} events"
        if self.fallback is not None:
            try:
                with self.fallback.open("a", encoding="utf-8") as out:
                    out.write(episode_json(episode) + "\n")
            except OSError as fault:
                kept += f"; the fallback file {self.fallback} failed too ({fault.strerror})"
            else:
                kept += (
                    f"; the episode was written to {self.fallback} instead "
                    "(`toolmaster sessions import` reads it)"
                )
        return StoreError(f"episode {episode.id} was not recorded: {exc}; {kept}")


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
                toolbox = Toolbox([spec], timeout=timeout, sampler=policy_sampler(policy))
                await stack.enter_async_context(toolbox)
            agent = Agent(
                policy,
                toolbox,
                config,
                sandbox=session,
                memory=memory,
                events=events,
                server_events=toolbox,
            )
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
