"""GRPO rollouts as `Episode` records, so a run's rollouts can be browsed, replayed and counted
like any other episodes (`toolmaster train grpo --store`, `toolmaster tui`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import (
    Episode,
    Message,
    Mode,
    Phase,
    PhaseSpan,
    PolicyInfo,
    Role,
    ServerIdentity,
    Timings,
    ToolCall,
    ToolSpec,
    utcnow,
)
from toolmaster.train._rollout import RolloutLog

__all__ = ["rollout_episode"]

_ROLES: dict[str, Role] = {"system": "system", "user": "user", "assistant": "assistant"}


def rollout_episode(
    log: RolloutLog,
    prompt: Sequence[Mapping[str, Any]],
    completion: Sequence[Mapping[str, Any]],
    *,
    mode: Mode,
    policy: PolicyInfo,
    tools: Sequence[ToolSpec],
    servers: Sequence[ServerIdentity],
    metadata: Mapping[str, JsonValue],
) -> Episode:
    """The episode of one judged rollout: trl's prompt and completion messages as ToolMaster
    messages, each call with the phase it ran in (from the rollout's log), the phase spans, the
    notes, answer and verdict."""
    messages = [
        Message(role=_ROLES.get(str(m.get("role")), "user"), content=_text(m.get("content")))
        for m in prompt
    ]
    start = len(messages)
    trial_end = _add_completion(messages, completion, log, mode)
    end = len(messages)
    if mode == "direct":
        phases = [PhaseSpan(phase="execute", start=start, end=end)] if end > start else []
    else:
        cut = trial_end if trial_end is not None else end
        phases = [PhaseSpan(phase="trial", start=start, end=cut)] if cut > start else []
        if cut < end:
            phases.append(PhaseSpan(phase="execute", start=cut, end=end))
    now = utcnow()
    return Episode(
        task=log.task,
        mode=mode,
        policy=policy,
        servers=list(servers),
        tools=list(tools),
        messages=messages,
        phases=phases,
        notes=log.protocol.notes,
        answer=log.answer,
        verdict=log.verdict,
        timings=Timings(started_at=now, finished_at=now),
        metadata={
            "trial_calls": log.protocol.trial_calls,
            "execute_calls": sum(1 for call, _ in log.calls if call.phase == "execute"),
            "tool_errors": log.execute_errors,
            **metadata,
        },
    )


def _add_completion(
    messages: list[Message],
    completion: Sequence[Mapping[str, Any]],
    log: RolloutLog,
    mode: Mode,
) -> int | None:
    """Append the completion's messages; returns the message index where the trial ended."""
    cursor = 0  # the next call of the log (calls trl refused never reached it)
    phase: Phase = "trial" if mode == "trial" else "execute"
    pending: list[tuple[ToolCall, bool]] = []
    trial_end: int | None = None
    for message in completion:
        role = message.get("role")
        if role == "assistant":
            pending = []
            for raw in cast(Sequence[Mapping[str, Any]], message.get("tool_calls") or []):
                function = cast(Mapping[str, Any], raw.get("function") or raw)
                name = str(function.get("name"))
                ends_trial = False
                if cursor < len(log.calls) and log.calls[cursor][0].tool == name:
                    logged = log.calls[cursor][0]
                    phase = logged.phase
                    ends_trial = cursor == log.trial_end
                    cursor += 1
                arguments = function.get("arguments")
                call = ToolCall(
                    id=f"call_{sum(len(m.tool_calls) for m in messages) + len(pending)}",
                    tool=name,
                    arguments=cast(dict[str, JsonValue], arguments)
                    if isinstance(arguments, dict)
                    else {},
                    phase=phase,
                )
                pending.append((call, ends_trial))
                if ends_trial:
                    phase = "execute"
            messages.append(
                Message(
                    role="assistant",
                    content=_text(message.get("content")) or None,
                    tool_calls=[call for call, _ in pending],
                )
            )
        elif role == "tool":
            call, ends_trial = pending.pop(0) if pending else (None, False)
            messages.append(
                Message(
                    role="tool",
                    tool_call_id=call.id if call else None,
                    name=str(message.get("name")),
                    content=_text(message.get("content")),
                )
            )
            if ends_trial:
                trial_end = len(messages)
    return trial_end


def _text(content: object) -> str:
    return content if isinstance(content, str) else "" if content is None else str(content)
