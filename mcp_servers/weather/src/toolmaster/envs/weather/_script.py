"""Plumbing for a scripted teacher: turns with tool calls, the results sent back, the phase.

A solver is a generator of `Turn`s; the sub-generators here yield one turn and return what came
back, so a solver reads as straight-line code (`result = yield from script.call(...)`).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import FINISH_TRIAL, Mode, Phase, ToolCall, ToolResult, Turn

Step = Generator[Turn, list[ToolResult], Any]
"""A piece of a solver: yields turns, is sent their results."""

TRIAL_BUDGET = 7
"""The most trial calls a script makes: under the agent's default budget (8 calls, after which
the runtime ends the trial itself), so that the script's own `finish_trial` ends it."""


class Script:
    """Numbers the calls and knows the phase: `trial` until `finish_trial`, then `execute`."""

    def __init__(self, mode: Mode) -> None:
        self.phase: Phase = "trial" if mode == "trial" else "execute"
        self.calls_made = 0
        self.trial_calls = 0

    def spare(self, needed_after: int = 0) -> bool:
        """Whether one more call fits the trial budget while keeping `needed_after` calls for
        the probes that must follow it (always true outside the trial phase)."""
        if self.phase != "trial":
            return True
        return self.trial_calls + 1 + needed_after <= TRIAL_BUDGET

    def _make(self, tool: str, arguments: dict[str, JsonValue]) -> ToolCall:
        self.calls_made += 1
        if self.phase == "trial" and tool != FINISH_TRIAL:
            self.trial_calls += 1
        return ToolCall(
            id=f"call_{self.calls_made}", tool=tool, arguments=arguments, phase=self.phase
        )

    def call(
        self, tool: str, arguments: dict[str, JsonValue], say: str | None = None
    ) -> Generator[Turn, list[ToolResult], ToolResult]:
        """One turn with one call; returns its result."""
        results = yield Turn(content=say, tool_calls=[self._make(tool, arguments)])
        return results[0]

    def calls(
        self, batch: list[tuple[str, dict[str, JsonValue]]], say: str | None = None
    ) -> Generator[Turn, list[ToolResult], list[ToolResult]]:
        """One turn with several independent calls; returns their results in order."""
        results = yield Turn(content=say, tool_calls=[self._make(t, a) for t, a in batch])
        return results

    def finish_trial(self, notes: str, say: str | None = None) -> Step:
        """End the trial phase with `notes`, the experience written down."""
        yield Turn(content=say, tool_calls=[self._make(FINISH_TRIAL, {"notes": notes})])
        self.phase = "execute"


def payload(result: ToolResult) -> dict[str, Any] | None:
    """The JSON object a successful call returned (structured content, else its text), or None
    for an error or a result that is not a JSON object."""
    if result.is_error:
        return None
    if result.structured_content is not None:
        return dict(result.structured_content)
    try:
        parsed: object = json.loads(result.text)
    except ValueError:
        return None
    return cast(dict[str, Any], parsed) if isinstance(parsed, dict) else None


def error_text(result: ToolResult) -> str:
    """What an error said, without the SDK's `Error executing tool x:` prefix."""
    text = result.text
    prefix, sep, rest = text.partition(": ")
    return rest if sep and prefix.startswith("Error executing tool") else text
