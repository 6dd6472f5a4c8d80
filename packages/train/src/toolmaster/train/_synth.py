"""Teacher synthesis: a teacher runs bundled environments' train tasks; every episode is recorded.

A teacher is the bundled reference solvers (`ReferenceTeacher`, the scripted teachers that trial,
make realistic mistakes and correct them) or any policy (`ModelTeacher`: an OpenAI-compatible
server, the embedded model, ...). `synthesize` runs `samples` episodes per task and mode
(`trial` for ToolMaster data, `direct` for baselines), each with its own seed, concurrently; the
agent loop verifies every episode with the environment's verifier; every episode goes to the store,
tagged in `Episode.metadata` with the run name (`synth`), the sample number (`sample`) and the
teacher (`teacher`). Successes are what training keeps (the data builder filters on `passed`).

A run is resumable: a (task, mode, sample) triple already recorded under the same run name is not
run again, so an interrupted run picks up where it stopped. Episodes are recorded whole, when they
finish; an episode cut off by the interruption is simply run again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from toolmaster.agent import (
    AgentConfig,
    PolicyFactory,
    Recorder,
    env_job,
    reference_policy,
    run_many,
)
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    EpisodeQuery,
    Event,
    Mode,
    Split,
    Task,
    UserError,
    environments,
)

__all__ = [
    "EnvSummary",
    "ModelTeacher",
    "ReferenceTeacher",
    "SynthConfig",
    "SynthReport",
    "Teacher",
    "choose_environments",
    "synthesize",
]

logger = logging.getLogger(__name__)

Triple = tuple[str, Mode, int]
"""(task id, mode, sample): what one synthesized episode stands for within a run."""


class SynthConfig(BaseModel):
    """What to synthesize. The run name identifies the run: re-running with the same name resumes
    it (and extends it, when more samples, modes or tasks are asked for)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    run: str = Field(min_length=1)
    """Tagged on every episode as `metadata["synth"]`."""
    environments: list[str] = Field(default_factory=list[str])
    """Bundled environments to run; empty: every in-domain one (out-of-domain environments are
    reserved for evaluation and must be named explicitly)."""
    split: Split = "train"
    modes: list[Mode] = Field(default_factory=lambda: ["trial"], min_length=1)
    samples: int = Field(default=1, ge=1)
    """Episodes per task and mode, each with its own seed (`seed + sample`)."""
    seed: int = 0
    tasks_per_env: int | None = Field(default=None, ge=1)
    """The first N tasks of each environment's split; None: all."""
    concurrency: int = Field(default=8, ge=1)
    agent: AgentConfig = Field(default_factory=AgentConfig)
    """Budgets and sampling of every episode; its `mode` is set per job and `sampling.seed` per
    sample."""
    events: bool = True
    """Also record each episode's event stream (live viewing in the TUI); the episode itself is
    the complete record either way."""


class Teacher(Protocol):
    """Who writes the episodes."""

    @property
    def name(self) -> str:
        """A human name, tagged on episodes as `metadata["teacher"]`."""
        ...

    def policies(self, env: Environment, mode: Mode, seed: int) -> PolicyFactory:
        """The policy of each task of `env` in `mode` for the sample with this seed."""
        ...


@dataclass(frozen=True)
class ReferenceTeacher:
    """The environments' scripted reference solvers; each sample draws their randomness (which
    trials, which mistakes) from its own seed."""

    name: str = "reference"

    def policies(self, env: Environment, mode: Mode, seed: int) -> PolicyFactory:
        return reference_policy(env, mode, seed=seed)


@dataclass(frozen=True)
class ModelTeacher:
    """Any policy (an OpenAI-compatible server, the embedded model, ...); samples differ by the
    sampling seed, so sample with a temperature above 0."""

    name: str
    factory: PolicyFactory

    def policies(self, env: Environment, mode: Mode, seed: int) -> PolicyFactory:
        return self.factory


@dataclass(frozen=True)
class EnvSummary:
    """How a run went on one environment (over every episode of the run, earlier ones included)."""

    env: str
    episodes: int
    passed: int
    trial_calls: float
    """Mean trial calls per trial-mode episode."""
    failures: int
    """Episodes that ended with an error (policy, server, verifier, runtime)."""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.episodes if self.episodes else 0.0

    @property
    def kept(self) -> int:
        """Episodes training keeps: those the verifier passed."""
        return self.passed


@dataclass(frozen=True)
class SynthReport:
    """What one call of `synthesize` did."""

    run: str
    new: int
    """Episodes run and recorded by this call."""
    skipped: int
    """Triples already recorded under this run name, not run again."""
    by_env: list[EnvSummary]


@dataclass(frozen=True)
class _Tagging(Recorder):
    """Records episodes with the run's tags added to their metadata, and their event streams
    (so the TUI can follow a synthesis run live) unless told not to."""

    tags: dict[str, JsonValue] = field(default_factory=dict[str, JsonValue])
    events: bool = True

    async def event(self, event: Event) -> None:
        if self.events:
            await super().event(event)

    async def episode(self, episode: Episode) -> None:
        await super().episode(tagged(episode, self.tags))


def tagged(episode: Episode, tags: dict[str, JsonValue]) -> Episode:
    """The episode with `tags` merged into its metadata."""
    return episode.model_copy(update={"metadata": {**episode.metadata, **tags}})


def choose_environments(names: Sequence[str]) -> list[Environment]:
    """The named bundled environments, or every in-domain one when none is named."""
    installed = environments()
    if not names:
        return [env for env in installed.values() if not env.out_of_domain]
    unknown = sorted(set(names) - set(installed))
    if unknown:
        raise UserError(f"unknown environments {unknown} (known: {', '.join(installed)})")
    return [installed[name] for name in names]


async def recorded(store: AsyncStore, run: str, envs: Sequence[Environment]) -> list[Episode]:
    """Every episode recorded under run name `run` in these environments."""
    found: list[Episode] = []
    for env in envs:
        episodes = await store.episodes(EpisodeQuery(env=env.name))
        found += [e for e in episodes if e.metadata.get("synth") == run]
    return found


def triple(episode: Episode) -> Triple | None:
    """The (task, mode, sample) an episode of a synthesis run stands for."""
    sample = episode.metadata.get("sample")
    return (episode.task.id, episode.mode, sample) if isinstance(sample, int) else None


async def synthesize(
    config: SynthConfig,
    teacher: Teacher,
    store: AsyncStore,
    *,
    on_planned: Callable[[int, int], None] | None = None,
    on_episode: Callable[[Episode], Awaitable[None] | None] | None = None,
) -> SynthReport:
    """Run the teacher over the configured tasks and record every episode in `store`.

    `on_planned(to_run, skipped)` is told the size of the work before it starts (for a progress
    bar); `on_episode` sees each episode once it is recorded. An exception from `on_episode`
    stops the run; the episodes recorded so far stay, and a later call resumes after them.
    """
    envs = choose_environments(config.environments)
    done = {t for e in await recorded(store, config.run, envs) if (t := triple(e)) is not None}
    jobs: list[Callable[[], Awaitable[Episode]]] = []
    skipped = 0
    for env in envs:
        tasks = env.tasks(config.split)[: config.tasks_per_env]
        for mode in config.modes:
            for sample in range(config.samples):
                todo = [t for t in tasks if (t.id, mode, sample) not in done]
                skipped += len(tasks) - len(todo)
                jobs += _jobs(config, teacher, store, env, todo, mode=mode, sample=sample)
    if on_planned is not None:
        on_planned(len(jobs), skipped)
    logger.info("synth %s: %d episodes to run, %d already recorded", config.run, len(jobs), skipped)
    if on_episode is not None:
        jobs = [_reporting(job, on_episode) for job in jobs]
    new = await run_many(jobs, concurrency=config.concurrency)
    everything = await recorded(store, config.run, envs)
    return SynthReport(
        run=config.run, new=len(new), skipped=skipped, by_env=summarize(everything, envs)
    )


def _jobs(
    config: SynthConfig,
    teacher: Teacher,
    store: AsyncStore,
    env: Environment,
    tasks: Sequence[Task],
    *,
    mode: Mode,
    sample: int,
) -> list[Callable[[], Awaitable[Episode]]]:
    seed = config.seed + sample
    agent = replace(
        config.agent, mode=mode, sampling=config.agent.sampling.model_copy(update={"seed": seed})
    )
    tags: dict[str, JsonValue] = {"synth": config.run, "sample": sample, "teacher": teacher.name}
    recorder = _Tagging(store=store, tags=tags, events=config.events)
    policies = teacher.policies(env, mode, seed)
    return [env_job(env, task, policies, agent, recorder=recorder) for task in tasks]


def _reporting(
    job: Callable[[], Awaitable[Episode]], on_episode: Callable[[Episode], Awaitable[None] | None]
) -> Callable[[], Awaitable[Episode]]:
    async def run() -> Episode:
        episode = await job()
        pending = on_episode(episode)
        if pending is not None:
            await pending
        return episode

    return run


def summarize(episodes: Sequence[Episode], envs: Sequence[Environment]) -> list[EnvSummary]:
    """Per environment: episodes, passes, mean trial calls of trial-mode episodes, failures."""
    rows: list[EnvSummary] = []
    for env in envs:
        mine = [e for e in episodes if e.task.env == env.name]
        trials = [e.metadata.get("trial_calls") for e in mine if e.mode == "trial"]
        counts = [float(c) for c in trials if isinstance(c, int | float)]
        rows.append(
            EnvSummary(
                env=env.name,
                episodes=len(mine),
                passed=sum(1 for e in mine if e.verdict is not None and e.verdict.passed),
                trial_calls=sum(counts) / len(counts) if counts else 0.0,
                failures=sum(1 for e in mine if e.error is not None),
            )
        )
    return rows
