"""Running BFCL multi-turn entries through the ToolMaster agent, scored by BFCL's checker.

Each entry is one episode: its simulator classes are served as in-process MCP servers over a
fresh session, the agent works the first user turn (with the trial phase first, in trial mode)
and goes on with the next user turn each time the model answers (`Agent.run(next_user=...)`),
with the same instances throughout. Held-out functions (miss_func) join the tool list at their
turn. The finished episode is decoded into BFCL's format and judged by BFCL's checker; the
verdict and the evaluation tag go on the episode, which is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from toolmaster.agent import (
    Agent,
    AgentConfig,
    Attempt,
    EventSink,
    ExperienceStore,
    Play,
    Policy,
    Recorder,
    episode_job,
    play_episode,
    run_many,
)
from toolmaster.core import (
    Episode,
    Message,
    Mode,
    Sampling,
    ToolSpec,
)
from toolmaster.eval._tags import EVAL_KEY, EvalTag
from toolmaster.eval.bfcl import _upstream
from toolmaster.eval.bfcl._data import BfclEntry
from toolmaster.eval.bfcl._score import CheckResult, decode, score
from toolmaster.eval.bfcl._session import BfclSession
from toolmaster.mcp import Toolbox

BFCL_KEY = "bfcl"
"""The key of `Episode.metadata` with what BFCL made of the episode."""

PolicyFor = Callable[[BfclEntry], Policy]
"""The policy for one entry: one shared object for a model, a fresh one for a scripted replay."""


BFCL_SUITE = "bfcl"
"""The evaluation suite of every BFCL episode; its category is the setting."""


def bfcl_agent_config(
    mode: Mode,
    *,
    sampling: Sampling | None = None,
    max_trial_calls: int = 20,
    call_timeout_s: float = 30.0,
) -> AgentConfig:
    """Budgets that match BFCL's inference: a user turn ends the entry once it has had more
    model steps than BFCL's step limit (`max_turns` is per user turn). In trial mode the first
    turn also holds the trial, so every turn gets the trial budget on top."""
    max_turns = _upstream.STEP_LIMIT + 1
    if mode == "trial":
        max_turns += max_trial_calls + 1
    return AgentConfig(
        mode=mode,
        max_trial_calls=max_trial_calls,
        max_turns=max_turns,
        call_timeout_s=call_timeout_s,
        sampling=sampling or Sampling(),
    )


class BfclConfig(BaseModel):
    """How BFCL entries are run and tagged."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    agent: AgentConfig = Field(default_factory=lambda: bfcl_agent_config("direct"))
    """Mode, budgets and sampling (see `bfcl_agent_config`)."""
    run: str = Field(default="bfcl", min_length=1)
    """The run id in each episode's evaluation tag."""
    policy: str = Field(default="policy", min_length=1)
    """The policy's label in the evaluation tag."""
    sample: int = Field(default=0, ge=0)
    concurrency: int = Field(default=8, ge=1)
    """Entries run at once."""
    max_output_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    """Tool output beyond this is cut (BFCL has no limit; its largest result is ~32 KB)."""


async def run_entry(
    entry: BfclEntry,
    policy: Policy,
    config: BfclConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
) -> Episode:
    """One entry as one scored, tagged episode (recorded when a recorder is given). A failure
    to open its servers or of BFCL's checker raises (`entry_job` records it instead)."""
    play = _entry_play(entry, config, memory=memory)
    return await play_episode(entry.task(), config.agent.mode, policy, play, recorder=recorder)


def _entry_play(entry: BfclEntry, config: BfclConfig, *, memory: ExperienceStore | None) -> Play:
    async def play(attempt: Attempt, policy: Policy, events: EventSink | None) -> Episode:
        async with AsyncExitStack() as stack:
            with attempt.at("server"):
                session = stack.enter_context(BfclSession(entry))
                toolbox = await stack.enter_async_context(
                    Toolbox(
                        session.specs(),
                        timeout=config.agent.call_timeout_s,
                        max_output_bytes=config.max_output_bytes,
                    )
                )
            turn_starts: list[int] = []
            next_user = _follow_ups(entry, session, toolbox, turn_starts)
            agent = Agent(
                policy, toolbox, config.agent, sandbox=session, memory=memory, events=events
            )
            episode = attempt.played = await agent.run(attempt.task, next_user=next_user)
            tools = list(toolbox.tools)
        turn_starts.insert(0, _first_user(episode.messages))
        with attempt.at("verifier"):
            result = score(episode, entry, turn_starts)
            return _finish(episode, entry, config, result, turn_starts, tools=tools)

    return play


def _follow_ups(
    entry: BfclEntry, session: BfclSession, toolbox: Toolbox, turn_starts: list[int]
) -> Callable[[Sequence[Message]], Awaitable[str | None]]:
    """The next user turn each time the model answers; held-out functions join at theirs."""

    async def next_user(messages: Sequence[Message]) -> str | None:
        turn = len(turn_starts) + 1
        if turn >= len(entry.turns):
            return None
        if session.offer(turn):
            await toolbox.refresh()
        turn_starts.append(len(messages))
        return entry.turns[turn]

    return next_user


def _first_user(messages: Sequence[Message]) -> int:
    return next((i for i, m in enumerate(messages) if m.role == "user"), len(messages))


def _finish(
    episode: Episode,
    entry: BfclEntry,
    config: BfclConfig,
    result: CheckResult,
    turn_starts: Sequence[int],
    *,
    tools: list[ToolSpec] | None = None,
) -> Episode:
    bfcl: dict[str, JsonValue] = {
        "id": entry.id,
        "category": entry.category,
        "version": _upstream.bfcl_version(),
        "turn_starts": list(turn_starts),
        "decoded": cast("JsonValue", decode(entry, episode.messages, turn_starts)),
        "valid": result.valid,
        "error_type": result.error_type,
        "error_message": result.error_message,
    }
    tag = EvalTag(
        run=config.run,
        suite=BFCL_SUITE,
        setting=entry.category,
        policy=config.policy,
        sample=config.sample,
    )
    update: dict[str, object] = {
        "verdict": result.verdict(),
        "metadata": {**episode.metadata, EVAL_KEY: tag.model_dump(mode="json"), BFCL_KEY: bfcl},
    }
    if tools:
        update["tools"] = tools  # held-out functions included
    return episode.model_copy(update=update)


def entry_job(
    entry: BfclEntry,
    policy_for: PolicyFor,
    config: BfclConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
) -> Callable[[], Awaitable[Episode]]:
    """One entry as a job for `run_many` (see `episode_job`): a failure outside the agent loop
    (a policy that cannot be built, a session or server that cannot open, BFCL's checker) is
    the recorded episode, attributed to its boundary, and fails as `toolmaster:not_run`
    (`toolmaster:not_scored` where only the checker failed)."""

    def finish(attempt: Attempt, episode: Episode) -> Episode:
        if attempt.failure is None:
            return episode
        kind = "not_run" if attempt.played is None else "not_scored"
        message = episode.error.message if episode.error is not None else repr(attempt.failure)
        failed = CheckResult(valid=False, error_type=f"toolmaster:{kind}", error_message=message)
        return _finish(episode, entry, config, failed, [])

    play = _entry_play(entry, config, memory=memory)
    return episode_job(
        entry.task(),
        config.agent.mode,
        lambda: policy_for(entry),
        play,
        recorder=recorder,
        finish=finish,
    )


async def run_entries(
    entries: Sequence[BfclEntry],
    policy_for: PolicyFor,
    config: BfclConfig,
    *,
    memory: ExperienceStore | None = None,
    recorder: Recorder | None = None,
    on_episode: Callable[[Episode], object] | None = None,
) -> list[Episode]:
    """Run entries concurrently (`config.concurrency` at a time); one episode each, in order.
    `on_episode` sees each episode as it finishes (a progress bar)."""

    def reported(job: Callable[[], Awaitable[Episode]]) -> Callable[[], Awaitable[Episode]]:
        async def run() -> Episode:
            episode = await job()
            if on_episode is not None:
                on_episode(episode)
            return episode

        return run

    jobs = [
        reported(entry_job(e, policy_for, config, memory=memory, recorder=recorder))
        for e in entries
    ]
    return await run_many(jobs, concurrency=config.concurrency)
