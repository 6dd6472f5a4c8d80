"""Write docs/tui-live.svg: the live view while the weather teacher's trial episode runs.

The episode runs in this process with a Recorder on the store, held at its first execution
result until the view has shown it, like a run in another terminal.

    uv run python tests/tui/screenshot.py [docs/tui-live.svg]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio
from toolmaster.agent import AgentConfig, Recorder, reference_policy, run_env_task
from toolmaster.core import AsyncStore, Event, Store, get_environment
from toolmaster.tui import ToolMasterApp, TuiConfig


async def main(out: Path) -> None:
    """Run the episode, take the screenshot at the hold, let it finish."""
    path = Path(tempfile.mkdtemp()) / "sessions.db"
    held = anyio.Event()
    release = anyio.Event()
    hold_seq: list[int] = []

    async def hold(event: Event) -> None:
        if event.kind == "tool_result" and event.data.get("phase") == "execute" and not hold_seq:
            hold_seq.append(event.seq)
            held.set()
            await release.wait()

    env = get_environment("weather")
    task = env.tasks("test")[0]
    app = ToolMasterApp(TuiConfig(store_path=path, discover_interval_s=0.1))
    with Store(path) as store:
        async with app.run_test(size=(100, 30)) as pilot, anyio.create_task_group() as tg:
            recorder = Recorder(AsyncStore(store), also=hold)
            policy = reference_policy(env, "trial")(task)
            tg.start_soon(
                lambda: run_env_task(
                    env, task, policy, AgentConfig(), memory=store, recorder=recorder
                )
            )
            with anyio.fail_after(30):
                await held.wait()
                live = app.live_screen
                while live.view is None or live.view.last_seq < hold_seq[0]:
                    await pilot.pause()
                while not any(row.has_experience for row in live.tool_rows):
                    await pilot.pause()
            await pilot.pause()
            await anyio.Path(out).write_text(
                app.export_screenshot(title="ToolMaster: a live trial")
            )
            release.set()
    print(f"wrote {out}")


if __name__ == "__main__":
    anyio.run(main, Path(sys.argv[1] if len(sys.argv) > 1 else "docs/tui-live.svg"))
