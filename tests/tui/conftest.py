"""A store of deterministic episodes (fixed ids and timestamps) for the TUI tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from textual.app import App
from textual.pilot import Pilot
from toolmaster.agent import AgentConfig, reference_policy, run_env_task
from toolmaster.core import Episode, Experience, Mode, Store, Timings, Verdict, get_environment
from toolmaster.tui import TuiConfig, events_from_episode

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
RUNS: list[tuple[str, int, Mode]] = [
    ("weather", 0, "trial"),
    ("weather", 1, "direct"),
    ("bank", 0, "trial"),
    ("calendar", 0, "trial"),
]


async def reference_episode(env_name: str, index: int, mode: Mode) -> Episode:
    """A reference teacher's episode of a bundled test task, not recorded."""
    env = get_environment(env_name)
    task = env.tasks("test")[index]
    policy = reference_policy(env, mode)(task)
    return await run_env_task(env, task, policy, AgentConfig(mode=mode))


def fixed(episode: Episode, n: int) -> Episode:
    """`episode` with id and timings fixed by `n`."""
    start = T0 + timedelta(minutes=n)
    return episode.model_copy(
        update={
            "id": f"{n:02d}" + "ab" * 15,
            "timings": Timings(started_at=start, finished_at=start + timedelta(seconds=3)),
        }
    )


def seed(path: Path, episodes: list[Episode]) -> None:
    """Store the episodes, their rebuilt event streams and fixed experience notes."""
    with Store(path) as store:
        for episode in episodes:
            store.put_episode(episode)
            for event in events_from_episode(episode):
                store.put_event(event)
            if episode.notes:
                for tool in episode.tools[:2]:
                    store.put_experience(
                        Experience(
                            key=tool.key,
                            notes=episode.notes,
                            episode_id=episode.id,
                            created_at=episode.timings.started_at,
                        )
                    )


@pytest.fixture(scope="session")
def fixed_episodes() -> list[Episode]:
    """The deterministic episodes, run once per session."""

    async def all_runs() -> list[Episode]:
        return [await reference_episode(*run) for run in RUNS]

    episodes = [fixed(e, n) for n, e in enumerate(anyio.run(all_runs))]
    failed = Verdict(score=0.0, passed=False, reasons=["fixture: judged failed"])
    episodes[1] = episodes[1].model_copy(update={"verdict": failed})
    return episodes


@pytest.fixture
def seeded(tmp_path: Path, fixed_episodes: list[Episode]) -> Path:
    """A store file with the deterministic episodes."""
    path = tmp_path / "sessions.db"
    seed(path, fixed_episodes)
    return path


def config(path: Path) -> TuiConfig:
    """A fast-polling configuration for tests."""
    return TuiConfig(
        store_path=path, poll_interval_s=0.02, discover_interval_s=0.05, export_dir=path.parent
    )


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], object], timeout: float = 15
) -> None:
    """Let the app run until `condition()` holds."""
    with anyio.fail_after(timeout):
        while not condition():
            await pilot.pause()


def screen_text(app: App[None]) -> str:
    """The current screen as plain text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()  # pyright: ignore[reportPrivateUsage]
    return "\n".join(strip.text for strip in strips)
