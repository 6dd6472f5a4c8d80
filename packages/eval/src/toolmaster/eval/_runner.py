"""The evaluation runner: every (suite, setting, task, mode, policy, sample) of a run, run
concurrently, recorded in the store, resumable.

A run has an id. Every episode it records is tagged with it (`toolmaster.eval._tags`); running
the same id again skips the keys already recorded, so an interrupted run picks up where it
stopped. Episodes run at most `concurrency` at a time (anyio); one that fails outside the
agent loop (a server that cannot start, a policy that cannot be built, a bug) is recorded as a
failed episode, attributed to its boundary, and the run goes on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator
from toolmaster.agent import (
    AgentConfig,
    Attempt,
    EventSink,
    Policy,
    PolicyFactory,
    Recorder,
    episode_job,
    run_many,
)
from toolmaster.core import (
    AsyncStore,
    Environment,
    Episode,
    Mode,
    PolicyInfo,
    Sampling,
    Store,
    UserError,
)
from toolmaster.eval._episodes import Serving, bundled_episode, proxied, servers_episode
from toolmaster.eval._settings import parse_settings
from toolmaster.eval._suites import Case, Selection, Suite, builtin_suite, suite_cases
from toolmaster.eval._tags import EpisodeKey, EvalTag, episode_key, run_episodes
from toolmaster.mcp import ServerSpec, TrialPolicy, parse_trial_rule


def new_run_id() -> str:
    """A fresh run id from the current time: `eval-20260314-092653`."""
    return datetime.now(UTC).strftime("eval-%Y%m%d-%H%M%S")


class Budgets(BaseModel):
    """The budgets of a model's episodes (scripted policies run on the agent's defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_turns: int = Field(default=32, ge=1)
    max_trial_calls: int = Field(default=20, ge=0)
    max_new_tokens: int = Field(default=512, ge=1)
    """Tokens per model turn."""
    temperature: float = Field(default=0.0, ge=0.0)
    max_episode_tokens: int | None = Field(default=None, ge=1)
    """Prompt plus completion tokens per episode."""
    wall_time_s: float | None = Field(default=None, gt=0)
    call_timeout_s: float = Field(default=30.0, gt=0)


class EvalConfig(BaseModel):
    """What one evaluation run runs. Read from a JSON or TOML file or built from flags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str = Field(default_factory=new_run_id, min_length=1)
    """The run id; running an id again resumes it."""
    suites: list[Suite] = Field(default_factory=lambda: [builtin_suite("in-domain")])
    settings: list[str] = Field(default_factory=lambda: ["clean"], min_length=1)
    """Setting names (`toolmaster.eval._settings.SETTINGS`), or `all`."""
    modes: list[Mode] = Field(default_factory=lambda: ["trial", "direct"], min_length=1)
    selection: Selection = Field(default_factory=Selection)
    samples: int = Field(default=1, ge=1)
    """Episodes per (task, setting, mode, policy)."""
    concurrency: int = Field(default=8, ge=1)
    budgets: Budgets = Field(default_factory=Budgets)
    allow_unsafe_trials: bool = False
    """Trial tools that are not read-only on servers without a sandbox (task-file suites)."""
    trial_policy: list[str] = Field(default_factory=list[str])
    """Trial rules `GLOB=allow|refuse|sandbox`, over the servers' own (`--trial-policy`)."""

    @field_validator("trial_policy")
    @classmethod
    def _rules(cls, rules: list[str]) -> list[str]:
        for rule in rules:
            try:
                parse_trial_rule(rule, where="trial_policy")
            except UserError as exc:
                raise ValueError(str(exc)) from None
        return rules


PolicyMaker = Callable[[Environment | None, Mode, int], PolicyFactory]
"""Gives the policy factory for an environment (None: a task-file suite), a mode and a sample."""


@dataclass(frozen=True)
class EvalPolicy:
    """A policy of a run, under the label the report groups it by."""

    label: str
    make: PolicyMaker
    scripted: bool = False
    """A scripted solver written for the upstream tools (the reference teachers): it is played
    through the perturbation plan and runs on the agent's default budgets."""


@dataclass(frozen=True)
class Job:
    """One episode to run."""

    case: Case
    mode: Mode
    policy: EvalPolicy
    sample: int

    @property
    def key(self) -> EpisodeKey:
        return EpisodeKey(
            self.case.suite,
            self.case.setting.name,
            self.case.task.id,
            self.mode,
            self.policy.label,
            self.sample,
        )


class Progress(Protocol):
    """Hears how a run goes (a progress bar)."""

    def start(
        self,
        total: int,
        skipped: int,
        left: Mapping[str, int] | None = None,
        concurrency: int = 1,
    ) -> None:
        """`total` jobs in the run, `skipped` of them already recorded; `left`: the jobs to
        run per policy label (None: not told), `concurrency` of them at once."""
        ...

    def advance(self, episode: Episode) -> None:
        """One more episode finished (or failed)."""
        ...


@dataclass
class RunResult:
    """What a call of `run_eval` did."""

    run: str
    planned: int
    """Jobs in the run, recorded before or now."""
    skipped: int
    """Jobs already recorded by an earlier call with the same run id."""
    episodes: list[Episode] = field(default_factory=list[Episode])
    """The episodes recorded now."""


def plan_cases(config: EvalConfig, environ: Mapping[str, str] | None = None) -> list[Case]:
    """Every (task, setting) of the run's suites: settings, suites, task and server files are
    checked here, before any policy is built (a `UserError` for a mistake)."""
    settings = parse_settings(config.settings)
    return [
        case
        for suite in config.suites
        for case in suite_cases(suite, settings, config.selection, environ=environ)
    ]


def plan_jobs(
    config: EvalConfig, policies: Sequence[EvalPolicy], environ: Mapping[str, str] | None = None
) -> list[Job]:
    """Every job of the run, in order: suite, setting, task, mode, policy, sample."""
    if not policies:
        raise UserError("no policy to evaluate")
    labels = [p.label for p in policies]
    if len(set(labels)) != len(labels):
        raise UserError(f"two policies share a label: {labels}")
    jobs: list[Job] = []
    for case in plan_cases(config, environ):
        for mode in config.modes:
            for policy in policies:
                if policy.scripted and case.env is None:
                    raise UserError(
                        f"policy {policy.label!r} is a bundled environment's solver; "
                        f"suite {case.suite!r} is a task file"
                    )
                jobs += [Job(case, mode, policy, s) for s in range(config.samples)]
    return jobs


async def run_eval(
    config: EvalConfig,
    policies: Sequence[EvalPolicy],
    store: Store,
    *,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> RunResult:
    """Run (or resume) `config.run`: every job not yet recorded for that run id."""
    jobs = plan_jobs(config, policies, environ)
    _check_policies(jobs)
    done = {episode_key(t, e) for t, e in run_episodes(store, [config.run])}
    todo = [job for job in jobs if job.key not in done]
    if progress is not None:
        left = Counter(job.policy.label for job in todo)
        progress.start(len(jobs), len(jobs) - len(todo), left, config.concurrency)
    recorder = Recorder(AsyncStore(store))
    runs = [_job(job, config, recorder, progress) for job in todo]
    episodes = await run_many(runs, concurrency=config.concurrency)
    return RunResult(config.run, len(jobs), len(jobs) - len(todo), episodes)


def _check_policies(jobs: Sequence[Job]) -> None:
    """Build each policy factory once before anything runs, so a usage mistake (a missing
    model, say) is a `UserError` now rather than a failed episode per job."""
    seen: set[tuple[str, str | None, Mode]] = set()
    for job in jobs:
        env = job.case.env
        key = (job.policy.label, env.name if env is not None else None, job.mode)
        if key not in seen:
            seen.add(key)
            job.policy.make(env, job.mode, 0)


def agent_config(
    config: EvalConfig,
    mode: Mode,
    *,
    scripted: bool,
    sample: int,
    servers: Sequence[ServerSpec] = (),
) -> AgentConfig:
    """The budgets of one episode: the run's for a model, the defaults for a scripted policy;
    the trial policy of the run's rules over those of `servers` (a task-file suite's)."""
    budgets = config.budgets
    policy = TrialPolicy.of(config.trial_policy, servers)
    if scripted:
        return AgentConfig(
            mode=mode,
            call_timeout_s=budgets.call_timeout_s,
            allow_unsafe_trials=config.allow_unsafe_trials,
            trial_policy=policy,
        )
    return AgentConfig(
        mode=mode,
        max_turns=budgets.max_turns,
        max_trial_calls=budgets.max_trial_calls,
        max_tokens=budgets.max_episode_tokens,
        wall_time_s=budgets.wall_time_s,
        call_timeout_s=budgets.call_timeout_s,
        allow_unsafe_trials=config.allow_unsafe_trials,
        trial_policy=policy,
        sampling=Sampling(
            temperature=budgets.temperature,
            max_tokens=budgets.max_new_tokens,
            seed=config.selection.seed * 1000 + sample,
        ),
    )


def _job(
    job: Job, config: EvalConfig, recorder: Recorder, progress: Progress | None
) -> Callable[[], Awaitable[Episode]]:
    """One job of the run: tagged and recorded, whether it ran or failed outside the loop."""
    case, setting = job.case, job.case.setting
    scripted = job.policy.scripted
    served = Serving(
        config=agent_config(
            config, job.mode, scripted=scripted, sample=job.sample, servers=case.servers
        ),
        seed=config.selection.seed,
        plan_aware=scripted,
        recorder=recorder,
    )
    perturbed = bool(setting.kinds) and (case.env is None or proxied(case.env, setting))
    tag = EvalTag(
        run=config.run,
        suite=case.suite,
        setting=setting.name,
        policy=job.policy.label,
        sample=job.sample,
        seed=config.selection.seed if perturbed else None,
        kinds=list(setting.kinds) if perturbed else [],
    )

    async def play(attempt: Attempt, policy: Policy, events: EventSink | None) -> Episode:
        if case.env is not None:
            return await bundled_episode(attempt, case.env, setting, policy, served)
        return await servers_episode(attempt, case.servers, setting, policy, served)

    def finish(attempt: Attempt, episode: Episode) -> Episode:
        if attempt.policy is None:  # never built: the run's label stands for it
            episode = episode.model_copy(
                update={"policy": PolicyInfo(name=job.policy.label, backend="unknown")}
            )
        episode = tag.apply(episode)
        if progress is not None:
            progress.advance(episode)
        return episode

    def policy() -> Policy:
        return job.policy.make(case.env, job.mode, job.sample)(case.task)

    return episode_job(case.task, job.mode, policy, play, recorder=recorder, finish=finish)
