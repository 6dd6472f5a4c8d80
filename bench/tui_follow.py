"""How closely the TUI's live view follows an episode that writes 200 events per second.

A writer thread with its own `Store` (as another process would have) starts an episode
(`episode_started`), waits until the live view has discovered it, then appends events at
`--rate` per second for `--seconds`: alternating trial `tool_call` and `tool_result` events with
a result of about 300 bytes, each of which becomes a timeline row. The app runs headless at
80x24 with its default polling (`TuiConfig` defaults: events every 0.1 s, discovery every 1 s).

Lag of an event = the moment the view applied it (its state, `TuiConfig.on_events`) minus the
moment its write committed. The view keeps up when its p95 lag stays under 0.5 s and the last
event is shown within 1 s of the last write.

    uv run python bench/tui_follow.py [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import anyio
from pydantic import JsonValue
from toolmaster.core import Event, Store, ToolCall, ToolResult, new_id
from toolmaster.tui import ToolMasterApp, TuiConfig


def writer(
    path: Path,
    episode_id: str,
    args: argparse.Namespace,
    go: threading.Event,
    written: dict[int, float],
) -> None:
    """Start the episode, wait for `go`, then append events at the rate asked."""
    with Store(path) as store:
        started: dict[str, JsonValue] = {
            "task_id": "bench/test/0000",
            "mode": "trial",
            "trial": True,
            "tools": ["probe"],
            "prompt": "follow me",
        }
        store.append_event(episode_id, "episode_started", started)
        written[0] = time.perf_counter()
        go.wait()
        payload = "x" * 300
        count = int(args.rate * args.seconds)
        t0 = time.perf_counter()
        for i in range(count):
            due = t0 + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            n = i // 2
            if i % 2 == 0:
                call = ToolCall(id=f"c{n}", tool="probe", arguments={"n": n}, phase="trial")
                data: dict[str, JsonValue] = {"call": call.model_dump(mode="json")}
                event = store.append_event(episode_id, "tool_call", data)
            else:
                result = ToolResult(call_id=f"c{n}", content=[{"type": "text", "text": payload}])
                data = {"result": result.model_dump(mode="json"), "phase": "trial"}
                event = store.append_event(episode_id, "tool_result", data)
            written[event.seq] = time.perf_counter()


async def follow(args: argparse.Namespace) -> None:
    """Run the app and the writer; print the lag figures."""
    path = Path(tempfile.mkdtemp()) / "sessions.db"
    Store(path).close()
    episode_id = new_id()
    written: dict[int, float] = {}
    applied: dict[int, float] = {}
    go = threading.Event()

    def on_events(events: list[Event]) -> None:
        now = time.perf_counter()
        for event in events:
            applied.setdefault(event.seq, now)

    app = ToolMasterApp(TuiConfig(store_path=path, on_events=on_events))
    total = int(args.rate * args.seconds)
    async with app.run_test(size=(80, 24)) as pilot:
        thread = threading.Thread(target=writer, args=(path, episode_id, args, go, written))
        thread.start()
        with anyio.fail_after(30):
            while 0 not in applied:
                await pilot.pause(0.01)
        discovery = applied[0] - written[0]
        go.set()
        with anyio.fail_after(args.seconds * 10 + 30):
            while total not in applied:
                await pilot.pause(0.05)
        thread.join()
        rows = len(app.live_screen.view.steps) if app.live_screen.view else 0
    lags = sorted(applied[s] - written[s] for s in range(1, total + 1))
    p95 = lags[int(0.95 * (len(lags) - 1))]
    last = applied[total] - written[total]
    keeps_up = p95 < 0.5 and last < 1.0
    print(f"events: {total} at {args.rate}/s for {args.seconds} s; timeline rows: {rows}")
    print(f"discovery of the new episode: {discovery * 1000:.0f} ms")
    print(
        f"lag ms: median {statistics.median(lags) * 1000:.0f}  p95 {p95 * 1000:.0f}  "
        f"max {lags[-1] * 1000:.0f}  last {last * 1000:.0f}"
    )
    print(f"keeps up: {'yes' if keeps_up else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to write")
    anyio.run(follow, parser.parse_args())


if __name__ == "__main__":
    main()
