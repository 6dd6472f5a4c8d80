"""Deterministic records for store tests: the same arguments always give the same JSON."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

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

V1_EPISODE = Path(__file__).parent / "data" / "episode-v1.json"
"""A version-1 episode as ToolMaster wrote it before format 2 (the example of docs/formats.md
then), on one line."""


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


def store_raw(path: Path, text: str) -> None:
    """Put an episode's JSON into the store at `path` as it stands, as an older ToolMaster wrote
    it (the store must exist)."""
    data = json.loads(text)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO episodes (id, task_id, env, policy, mode, passed, score, started_us, "
            "finished_us, format_version, json) VALUES (?, ?, ?, ?, ?, 1, 1.0, 0, 1, ?, ?)",
            (
                data["id"],
                data["task"]["id"],
                data["task"]["env"],
                data["policy"]["name"],
                data["mode"],
                data["format_version"],
                text,
            ),
        )
