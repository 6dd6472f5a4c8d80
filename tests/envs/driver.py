"""Runs a reference solver through the real agent loop, over the real MCP protocol, in process.

The solver is wrapped as a policy (`SolverPolicy`), so it sees exactly what a model sees — the
text of each tool message — and its calls go through the Toolbox. Trial calls run in the
environment's sandbox: the state is restored when the solver calls `finish_trial`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import anyio
from toolmaster.agent import AgentConfig, SolverPolicy, run_env_task
from toolmaster.core import (
    FINISH_TRIAL,
    Environment,
    Episode,
    Event,
    Mode,
    Task,
    ToolResult,
    Turn,
    Verdict,
)


@dataclass
class SolverRun:
    answer: str | None
    verdict: Verdict
    episode: Episode
    turns: list[Turn] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)
    """The results of real tool calls (finish_trial's acknowledgement included)."""

    @property
    def trial_calls(self) -> int:
        calls = 0
        for turn in self.turns:
            for call in turn.tool_calls:
                if call.tool == FINISH_TRIAL:
                    return calls
                calls += 1
        return 0

    @property
    def errors(self) -> int:
        return sum(r.is_error for r in self.results)


async def run_solver(
    env: Environment, task: Task, *, mode: Mode = "trial", seed: int = 0, max_turns: int = 64
) -> SolverRun:
    policy = SolverPolicy(env.solve(task, random.Random(seed), mode))
    # The solver's own script is under test, not the budgets: give it room.
    config = AgentConfig(mode=mode, max_turns=max_turns, max_trial_calls=max_turns)
    results: list[ToolResult] = []

    async def keep_results(event: Event) -> None:
        if event.kind == "tool_result":
            results.append(ToolResult.model_validate(event.data["result"]))

    with anyio.fail_after(30):
        episode = await run_env_task(env, task, policy, config, events=keep_results)
    if episode.error is not None:
        raise AssertionError(
            f"{task.id} ({mode}): {episode.error.boundary}: {episode.error.message}"
        )
    assert episode.verdict is not None
    turns = [
        Turn(content=m.content, tool_calls=m.tool_calls)
        for m in episode.messages
        if m.role == "assistant"
    ]
    return SolverRun(episode.answer, episode.verdict, episode, turns, results)
