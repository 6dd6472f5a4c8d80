"""Session store throughput against raw sqlite3 (the anchor).

Writes and reads realistic episodes (a system prompt, a user prompt, nine assistant turns each
with a tool call and its result, a final answer: 20 messages, about 8 KB of JSON) through
`toolmaster.core.Store`, and the same episodes through raw sqlite3 as `json.dumps` text of the
episode dicts, in a table with only an id and the text. Both use WAL, `synchronous=NORMAL` and
one `BEGIN IMMEDIATE ... COMMIT` per batch of `--batch` episodes.

- write: Store.put_episodes(batch) from `Episode` objects, versus executemany of
  `(id, json.dumps(dict))` from the dicts;
- read: Store.episodes() (all, newest first, parsed into `Episode` objects), versus
  `SELECT json` and `json.loads` of every row.

Each round uses fresh files and alternates which side goes first; the best round counts.

    uv run python bench/store.py [--episodes 2000] [--batch 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from toolmaster.core import (
    Episode,
    Message,
    PhaseSpan,
    PolicyInfo,
    ServerIdentity,
    Store,
    Task,
    Timings,
    ToolAnnotations,
    ToolCall,
    ToolSpec,
    Usage,
    Verdict,
)

CITIES = ["Paris", "Lyon", "Oslo", "Lima", "Kyoto", "Accra", "Quito", "Perth"]


def realistic_episode(i: int, rng: random.Random) -> Episode:
    """20 messages: system, user, 9 x (assistant tool call, tool result), the answer."""
    started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i * 37)
    tools = [
        ToolSpec(
            name=name,
            server="weather",
            description=f"{name.replace('_', ' ').capitalize()} for a city. Units follow "
            "the account settings unless given; days count from today.",
            input_schema={
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name, English spelling."},
                    "days": {"type": "integer", "minimum": 0, "maximum": 14},
                    "units": {"type": "string", "enum": ["metric", "imperial"]},
                },
                "required": ["city"],
            },
            annotations=ToolAnnotations(read_only_hint=True),
        )
        for name in ("get_forecast", "get_alerts", "get_history", "find_station")
    ]
    messages = [
        Message(role="system", content="You are a careful assistant that uses tools. " * 6),
        Message(role="user", content=f"Will it rain in {rng.choice(CITIES)} in three days?"),
    ]
    for turn in range(9):
        tool = rng.choice(tools)
        call = ToolCall(
            id=f"call_{i}_{turn}",
            tool=tool.name,
            arguments={"city": rng.choice(CITIES), "days": rng.randint(0, 6), "units": "metric"},
            phase="trial" if turn < 4 else "execute",
        )
        forecast = [
            {"day": d, "temp_c": round(rng.uniform(-5, 30), 1), "rain_mm": rng.randint(0, 20)}
            for d in range(3)
        ]
        messages.append(
            Message(
                role="assistant",
                content=f"Let me try {tool.name} to see what it returns.",
                tool_calls=[call],
                usage=Usage(prompt_tokens=600 + 80 * turn, completion_tokens=rng.randint(20, 60)),
            )
        )
        messages.append(
            Message(
                role="tool",
                tool_call_id=call.id,
                name=tool.name,
                content=json.dumps({"city": call.arguments["city"], "forecast": forecast}),
            )
        )
    messages.append(Message(role="assistant", content="Yes: about 12 mm of rain on day 3."))
    passed = rng.random() < 0.6
    return Episode(
        id=f"{i:08d}{rng.getrandbits(96):024x}",
        task=Task(id=f"weather-{i % 50}", prompt=messages[1].content or "", env="weather", seed=i),
        mode="trial",
        policy=PolicyInfo(name="smollm2-135m", backend="transformers", model="SmolLM2-135M"),
        servers=[ServerIdentity(name="weather", transport="stdio", server_name="weather")],
        tools=tools,
        messages=messages,
        phases=[
            PhaseSpan(phase="trial", start=2, end=10),
            PhaseSpan(phase="execute", start=10, end=20),
        ],
        notes="get_forecast: days counts from 0; units default to imperial.",
        answer="Yes: about 12 mm of rain on day 3.",
        verdict=Verdict(score=1.0 if passed else 0.0, passed=passed),
        usage=Usage(prompt_tokens=9000, completion_tokens=400),
        timings=Timings(started_at=started, finished_at=started + timedelta(seconds=41.5)),
    )


def _pragmas(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def anchor_write(path: Path, dicts: list[dict[str, Any]], batch: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    _pragmas(conn)
    conn.execute("CREATE TABLE episodes (id TEXT PRIMARY KEY, json TEXT NOT NULL)")
    for start in range(0, len(dicts), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO episodes (id, json) VALUES (?, ?)",
            [(d["id"], json.dumps(d)) for d in dicts[start : start + batch]],
        )
        conn.execute("COMMIT")
    conn.close()


def anchor_read(path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    _pragmas(conn)
    rows = [json.loads(text) for (text,) in conn.execute("SELECT json FROM episodes")]
    conn.close()
    return len(rows)


def store_write(path: Path, episodes: list[Episode], batch: int) -> None:
    with Store(path) as store:
        for start in range(0, len(episodes), batch):
            store.put_episodes(episodes[start : start + batch])


def store_read(path: Path) -> int:
    with Store(path) as store:
        return len(store.episodes())


def _timed(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(7)
    episodes = [realistic_episode(i, rng) for i in range(args.episodes)]
    dicts = [episode.model_dump(mode="json") for episode in episodes]
    size = sum(len(json.dumps(d)) for d in dicts) / len(dicts)

    best: dict[str, float] = {}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            anchor_db, store_db = Path(tmp) / "anchor.db", Path(tmp) / "store.db"
            sides = [
                ("anchor", partial(anchor_write, anchor_db, dicts, args.batch),
                 partial(anchor_read, anchor_db)),
                ("store", partial(store_write, store_db, episodes, args.batch),
                 partial(store_read, store_db)),
            ]  # fmt: skip
            if round_ % 2:
                sides.reverse()
            for name, write, read in sides:
                for op, call in (("write", write), ("read", read)):
                    key = f"{name}_{op}"
                    best[key] = min(best.get(key, float("inf")), _timed(call))

    n = args.episodes
    print(
        f"{n} episodes of {size / 1024:.1f} KB JSON, 20 messages each; batches of {args.batch}; "
        f"best of {args.rounds} rounds"
    )
    print()
    print("| benchmark | Store eps/s | anchor eps/s | ratio |")
    print("|---|---:|---:|---:|")
    for op in ("write", "read"):
        ours, anchor = n / best[f"store_{op}"], n / best[f"anchor_{op}"]
        print(f"| {op} | {ours:,.0f} | {anchor:,.0f} | {ours / anchor:.2f} |")


if __name__ == "__main__":
    main()
