"""Shared pieces of the evaluation tests: policies, a run helper, episodes built by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import anyio
from toolmaster.agent import AssistantTurn, PolicyFactory, reference_policy
from toolmaster.core import (
    Environment,
    Episode,
    EpisodeError,
    Message,
    Mode,
    PolicyInfo,
    Sampling,
    Store,
    Task,
    Timings,
    ToolCall,
    ToolSpec,
    Usage,
    Verdict,
)
from toolmaster.eval._runner import EvalConfig, EvalPolicy, RunResult, run_eval
from toolmaster.eval._tags import EvalTag

START = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def reference(env: Environment | None, mode: Mode, sample: int) -> PolicyFactory:
    assert env is not None
    return reference_policy(env, mode, seed=sample)


REFERENCE = EvalPolicy("reference", reference, scripted=True)


class PositionalPolicy:
    """Calls the tool listed at `index` with `value` for its first parameter, then answers
    `answer`: it works whatever the tools are called, as long as their order stays."""

    def __init__(self, index: int, value: str, answer: str) -> None:
        self.info = PolicyInfo(name="positional", backend="scripted")
        self.index, self.value, self.answer = index, value, answer

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        if any(m.role == "tool" for m in messages):
            return AssistantTurn(content=self.answer)
        tool = [t for t in tools if t.name != "finish_trial"][self.index]
        properties = cast(dict[str, object], tool.input_schema["properties"])
        first = next(iter(properties))
        return AssistantTurn(
            tool_calls=[ToolCall(id="c1", tool=tool.name, arguments={first: self.value})]
        )


class CrashingPolicy:
    """A policy whose backend breaks on every turn."""

    info = PolicyInfo(name="crashing", backend="scripted")

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        raise RuntimeError("the backend fell over")


def run(config: EvalConfig, policies: Sequence[EvalPolicy], store: Store) -> RunResult:
    """`run_eval` from synchronous test code."""
    return anyio.run(lambda: run_eval(config, policies, store))


def episode(
    *,
    passed: bool | None,
    calls: int = 0,
    trial: int = 0,
    execute: int = 0,
    tool_errors: int = 0,
    format_errors: int = 0,
    tokens: int = 100,
    seconds: float = 2.0,
    mode: str = "trial",
    error: EpisodeError | None = None,
    task: str = "t",
) -> Episode:
    assistant = [
        Message(role="assistant", tool_calls=[ToolCall(id=f"c{i}", tool="x")]) for i in range(calls)
    ]
    return Episode(
        task=Task(id=task, prompt="p", env="e"),
        mode="trial" if mode == "trial" else "direct",
        policy=PolicyInfo(name="model", backend="scripted"),
        messages=[*assistant, Message(role="assistant", content="answer")],
        verdict=None if passed is None else Verdict(score=1.0 if passed else 0.25, passed=passed),
        error=error,
        usage=Usage(prompt_tokens=tokens - 10, completion_tokens=10),
        timings=Timings(started_at=START, finished_at=START + timedelta(seconds=seconds)),
        metadata={
            "trial_calls": trial,
            "execute_calls": execute,
            "tool_errors": tool_errors,
            "format_errors": format_errors,
        },
    )


def tag(setting: str = "clean", policy: str = "model", run: str = "r") -> EvalTag:
    return EvalTag(run=run, suite="s", setting=setting, policy=policy)
