"""Deterministic records for store tests: the same arguments always give the same JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from toolmaster.core import (
    Episode,
    Message,
    Mode,
    PhaseSpan,
    PolicyInfo,
    ServerIdentity,
    Task,
    Timings,
    ToolCall,
    ToolSpec,
    Usage,
    Verdict,
)

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def episode_id(i: int) -> str:
    return f"ep{i:08d}"


def make_episode(
    i: int,
    *,
    env: str | None = "weather",
    policy: str = "scripted",
    mode: Mode = "trial",
    passed: bool | None = True,
    task: str | None = None,
    turns: int = 1,
    started_at: datetime | None = None,
) -> Episode:
    """A small but complete episode: a prompt, `turns` tool calls with results, an answer."""
    started = started_at or BASE + timedelta(seconds=i)
    messages = [Message(role="user", content=f"task {i}: what is the weather in Paris?")]
    for turn in range(turns):
        call = ToolCall(
            id=f"c{turn}",
            tool="forecast",
            arguments={"city": "Paris", "days": turn},
            phase="trial" if mode == "trial" and turn == 0 else "execute",
        )
        messages.append(Message(role="assistant", tool_calls=[call], usage=Usage(prompt_tokens=50)))
        messages.append(
            Message(role="tool", tool_call_id=call.id, name="forecast", content=f"{12 + turn} C")
        )
    messages.append(Message(role="assistant", content="12 C"))
    verdict = None if passed is None else Verdict(score=1.0 if passed else 0.0, passed=passed)
    return Episode(
        id=episode_id(i),
        task=Task(id=task or f"{env or 'task'}-{i % 7}", prompt="weather?", env=env, seed=i),
        mode=mode,
        policy=PolicyInfo(name=policy, backend="scripted"),
        servers=[ServerIdentity(name="weather", transport="memory")],
        tools=[ToolSpec(name="forecast", server="weather", description="Forecast for a city.")],
        messages=messages,
        phases=[PhaseSpan(phase="execute", start=1, end=len(messages))],
        answer="12 C",
        verdict=verdict,
        usage=Usage(prompt_tokens=50 * turns, completion_tokens=10),
        timings=Timings(started_at=started, finished_at=started + timedelta(seconds=2)),
    )
