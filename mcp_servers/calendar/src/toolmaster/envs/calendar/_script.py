"""Helpers for writing the scripted teacher as a generator of turns.

A script yields `Turn`s and is sent the results of each turn's calls; `Script.call` wraps that
exchange so a solver reads as a sequence of `result = yield from script.call(...)` lines.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, cast

from toolmaster.core import FINISH_TRIAL, Mode, ToolCall, ToolResult, Turn

Step = Generator[Turn, list[ToolResult], ToolResult]
"""One tool call of a script: yields its turn, returns its result."""

TRIAL_BUDGET = 7
"""The most trial calls a script makes: under the agent's default budget (8 calls, after which
the runtime ends the trial itself), so that the script's own `finish_trial` ends it."""


class Script:
    """Numbers the calls of one solver run and tags each with its phase."""

    def __init__(self, mode: Mode) -> None:
        self.trial = mode == "trial"
        self.trial_calls = 0
        self._calls = 0

    def spare(self, needed_after: int = 0) -> bool:
        """Whether an optional trial probe fits the budget, keeping `needed_after` calls for
        the probes that must follow it."""
        return self.trial_calls + 1 + needed_after <= TRIAL_BUDGET

    def call(self, tool: str, arguments: dict[str, Any], say: str | None = None) -> Step:
        """Call `tool` with `arguments` (with `say` as the turn's text) and return its result."""
        self._calls += 1
        if self.trial and tool != FINISH_TRIAL:
            self.trial_calls += 1
        call = ToolCall(
            id=f"call_{self._calls}",
            tool=tool,
            arguments=arguments,
            phase="trial" if self.trial else "execute",
        )
        results = yield Turn(content=say, tool_calls=[call])
        return results[0]

    def finish_trial(self, notes: str) -> Step:
        """End the trial phase with `notes`; later calls are execution calls."""
        result = yield from self.call(FINISH_TRIAL, {"notes": notes}, say="Trial done; executing.")
        self.trial = False
        return result


def payload(result: ToolResult) -> dict[str, Any]:
    """The JSON object a successful call returned (structured content, else parsed text)."""
    if result.structured_content is not None:
        return dict(result.structured_content)
    try:
        parsed = json.loads(result.text)
    except ValueError:
        return {}
    return cast(dict[str, Any], parsed) if isinstance(parsed, dict) else {}


def error_of(result: ToolResult) -> str:
    """The error message of a failed call, without the SDK's `Error executing tool x:` prefix;
    an argument-validation error is condensed to `argument: problem`."""
    text = result.text
    if text.startswith("Error executing tool ") and ": " in text:
        text = text.split(": ", 1)[1]
    lines = text.splitlines()
    if len(lines) >= 3 and "validation error" in lines[0]:
        return f"{lines[1].strip()}: {lines[2].split(' [type=')[0].strip()}"
    return text
