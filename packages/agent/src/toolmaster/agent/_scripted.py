"""Scripted policies: deterministic models that go through the same `Policy` interface as real
ones. `SolverPolicy` turns a bundled environment's reference solver (the scripted teacher) into
a policy; `ScriptedPolicy` plays a fixed list of turns, for tests of the loop itself."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import cast

from pydantic import JsonValue
from toolmaster.agent._policy import AssistantTurn
from toolmaster.core import Message, PolicyInfo, Sampling, Solver, ToolResult, ToolSpec, Turn, Usage


class SolverPolicy:
    """Plays one episode of a reference solver. Make one per episode: it keeps the solver's place.

    Before each turn after the first it sends the solver the results of its previous calls, read
    back from the tool messages — exactly what a model would see (structured results are the JSON
    text of the tool message).
    """

    def __init__(self, solver: Solver, *, name: str = "reference-solver") -> None:
        self.info = _info(name)
        self._solver = solver
        self._started = False

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        if not self._started:
            self._started = True
            turn = next(self._solver)
        else:
            try:
                turn = self._solver.send(self._results(messages))
            except StopIteration:
                return AssistantTurn(content=None)
        return _assistant_turn(turn)

    @staticmethod
    def _results(messages: Sequence[Message]) -> list[ToolResult]:
        """The results of the last assistant turn's calls, in call order, by the ids the loop
        recorded (it renames duplicate ids, so the solver's own ids may differ)."""
        last = next((m for m in reversed(messages) if m.role == "assistant"), None)
        if last is None:
            return []
        by_id = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
        results: list[ToolResult] = []
        for call in last.tool_calls:
            message = by_id.get(call.id)
            text = (message.content or "") if message is not None else "Error: no result"
            results.append(_result_from_text(call.id, text))
        return results


class ScriptedPolicy:
    """Plays fixed turns in order (then answers "done"), whatever the conversation says."""

    def __init__(self, turns: Sequence[Turn | AssistantTurn], *, name: str = "scripted") -> None:
        self.info = _info(name)
        self._turns = list(turns)
        self.seen: list[list[Message]] = []
        """The conversation as it was at each call, for assertions in tests."""

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        self.seen.append(list(messages))
        if not self._turns:
            return AssistantTurn(content="done")
        turn = self._turns.pop(0)
        return turn if isinstance(turn, AssistantTurn) else _assistant_turn(turn)


def _assistant_turn(turn: Turn) -> AssistantTurn:
    """The turn as a policy returns it, with a made-up token count. Its parts come from a
    validated `Turn`, so it is built without validating them again."""
    tokens = len(turn.content or "") // 4 + 16 * len(turn.tool_calls)
    return AssistantTurn.trusted(
        content=turn.content,
        tool_calls=list(turn.tool_calls),
        usage=_usage(tokens),
        format_errors=[],
        raw=None,
        finish_reason=None,
        latency_s=0.0,
    )


@functools.lru_cache(maxsize=256)
def _info(name: str) -> PolicyInfo:
    """The info of a scripted policy (one per name: records are immutable, and scripted
    policies are made per episode)."""
    return PolicyInfo(name=name, backend="scripted")


@functools.lru_cache(maxsize=1024)
def _usage(completion_tokens: int) -> Usage:
    """A scripted turn's made-up token count (records are immutable, so one serves all)."""
    return Usage(completion_tokens=completion_tokens)


def _result_from_text(call_id: str, text: str) -> ToolResult:
    is_error = text.lower().startswith("error")
    structured: dict[str, JsonValue] | None = None
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        structured = cast("dict[str, JsonValue]", parsed)
    return ToolResult(
        call_id=call_id,
        content=[{"type": "text", "text": text}],
        structured_content=structured,
        is_error=is_error,
        error_kind="tool_error" if is_error else None,
    )
