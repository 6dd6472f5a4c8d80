"""Plumbing for a scripted teacher: turns with tool calls, the results sent back, the phase.

A solver is a generator of `Turn`s; the sub-generators here yield one turn and return what came
back, so a solver reads as straight-line code (`result = yield from script.call(...)`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

from toolmaster.core import FINISH_TRIAL, Mode, Phase, Solver, Task, ToolCall, ToolResult, Turn

_T = TypeVar("_T")

Step = Generator[Turn, list[ToolResult], Any]
"""A piece of a solver: yields turns, is sent their results."""

Returning = Generator[Turn, list[ToolResult], _T]
"""A piece of a solver that returns what it found: `Returning[str]` for the answer text."""

Call = Generator[Turn, list[ToolResult], ToolResult]
"""One turn with one tool call: yields the turn, returns the call's result."""

Ask = Generator[Turn, list[ToolResult], list[ToolResult]]
"""One turn with several tool calls: yields the turn, returns their results in order."""

TRIAL_BUDGET = 7
"""The most trial calls a script makes: under the agent's default budget (8 calls, after which
the runtime ends the trial itself), so that the script's own `finish_trial` ends it."""


class Script:
    """Numbers the calls and knows the phase: `trial` until `finish_trial`, then `execute`."""

    def __init__(self, mode: Mode) -> None:
        self.phase: Phase = "trial" if mode == "trial" else "execute"
        self.calls_made = 0
        self.trial_calls = 0

    @property
    def trial(self) -> bool:
        """Whether the script is still in its trial phase."""
        return self.phase == "trial"

    def fits(self, cost: int) -> bool:
        """Whether `cost` more trial calls stay within `TRIAL_BUDGET`."""
        return self.trial_calls + cost <= TRIAL_BUDGET

    def spare(self, needed_after: int = 0) -> bool:
        """Whether one more call fits the trial budget while keeping `needed_after` calls for
        the probes that must follow it (always true outside the trial phase)."""
        return not self.trial or self.fits(1 + needed_after)

    def make(self, tool: str, arguments: dict[str, Any]) -> ToolCall:
        """The next call, numbered and tagged with the phase (counted against the trial budget
        unless it is `finish_trial`)."""
        self.calls_made += 1
        if self.trial and tool != FINISH_TRIAL:
            self.trial_calls += 1
        return ToolCall(
            id=f"call_{self.calls_made}", tool=tool, arguments=arguments, phase=self.phase
        )

    def ask(self, say: str | None, *calls: ToolCall) -> Ask:
        """One turn with the calls made by `make`; returns their results in order."""
        results = yield Turn(content=say, tool_calls=list(calls))
        return results

    def call(self, tool: str, arguments: dict[str, Any], say: str | None = None) -> Call:
        """One turn with one call; returns its result."""
        (result,) = yield from self.ask(say, self.make(tool, arguments))
        return result

    def calls(self, batch: list[tuple[str, dict[str, Any]]], say: str | None = None) -> Ask:
        """One turn with several independent calls; returns their results in order."""
        return self.ask(say, *[self.make(t, a) for t, a in batch])

    def finish_trial(self, notes: str, say: str | None = None) -> Call:
        """End the trial phase with `notes`, the experience written down; later calls are
        execution calls."""
        result = yield from self.call(FINISH_TRIAL, {"notes": notes}, say=say)
        self.phase = "execute"
        return result


def teach(mode: Mode, trial: Callable[[], Step], execute: Callable[[], Returning[str]]) -> Solver:
    """The course of a scripted teacher: `trial` (in `trial` mode only; it ends with its own
    `finish_trial`), then `execute`, whose text is the answer, a last turn without calls."""
    if mode == "trial":
        yield from trial()
    answer = yield from execute()
    yield Turn(content=answer)


def _object(result: ToolResult) -> dict[str, Any] | None:
    if result.structured_content is not None:
        return dict(result.structured_content)
    try:
        parsed: object = json.loads(result.text)
    except ValueError:
        return None
    return cast(dict[str, Any], parsed) if isinstance(parsed, dict) else None


def payload(result: ToolResult) -> dict[str, Any] | None:
    """The JSON object a successful call returned (structured content, else its text), or None
    for an error or a result that is not a JSON object."""
    return None if result.is_error else _object(result)


def fields(result: ToolResult) -> dict[str, Any]:
    """The JSON object a call returned (structured content, else its parsed text), or `{}`."""
    return _object(result) or {}


def error_text(result: ToolResult) -> str:
    """What an error said, without the SDK's `Error executing tool x:` prefix."""
    text = result.text
    prefix, sep, rest = text.partition(": ")
    return rest if sep and prefix.startswith("Error executing tool") else text


def error_of(result: ToolResult) -> str:
    """`error_text`, with an argument-validation error condensed to `argument: problem`."""
    text = error_text(result)
    lines = text.splitlines()
    if len(lines) >= 3 and "validation error" in lines[0]:
        return f"{lines[1].strip()}: {lines[2].split(' [type=')[0].strip()}"
    return text


class TeacherRun:
    """One run of a scripted teacher on one task: the task, its randomness, the mode, and the
    `Script` its calls go through. An environment's teacher state extends it."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        self.task = task
        self.rng = rng
        self.mode = mode
        self.script = Script(mode)

    @property
    def trial_calls(self) -> int:
        return self.script.trial_calls

    def ask(self, say: str | None, *calls: ToolCall) -> Ask:
        """Make `calls` in one turn (with `say` as its text); the results come back."""
        return self.script.ask(say, *calls)

    def slip(self, chance: float) -> bool:
        """Whether to make a realistic mistake now."""
        return self.rng.random() < chance
