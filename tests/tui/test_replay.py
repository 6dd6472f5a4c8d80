"""Replay expands rows and keeps them expanded while stepping; the status line reads right
(issue 21, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from toolmaster.core import Episode
from toolmaster.tui import ToolMasterApp, events_from_episode, view_of
from toolmaster.tui._browser import BrowserScreen
from toolmaster.tui._replay import ReplayScreen
from toolmaster.tui._widgets import Timeline, status_text

from tests.tui.conftest import config, screen_text, wait_for

pytestmark = pytest.mark.anyio


async def open_replay(app: ToolMasterApp, pilot: Pilot[None], row: int) -> ReplayScreen:
    """Open the browser and replay its row `row`."""
    await pilot.press("s")
    browser = app.screen
    assert isinstance(browser, BrowserScreen)
    await wait_for(pilot, lambda: len(browser.rows) == 4)
    browser.table.move_cursor(row=row)
    await pilot.press("enter")
    replay = app.screen
    assert isinstance(replay, ReplayScreen)
    await wait_for(pilot, lambda: replay.cursor == 0)
    return replay


async def test_replay_expands_rows_and_keeps_them_expanded(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        replay = await open_replay(app, pilot, 3)
        await pilot.press("end")
        timeline = replay.query_one(Timeline)
        call = next(i for i, s in enumerate(timeline.steps) if s.kind == "call")
        timeline.highlighted = call
        await pilot.press("enter")
        assert call in timeline.expanded
        await pilot.pause()
        assert '"city"' in screen_text(app) or "{" in screen_text(app)
        await pilot.press("p", "p")
        assert call in timeline.expanded
        assert "enter Expand" in screen_text(app).replace("⏎", "enter")
        await pilot.press("home")
        assert timeline.expanded == set()
        await pilot.press("end")
        assert timeline.expanded == set()


def test_status_line_reads_right(fixed_episodes: list[Episode]) -> None:
    episode = fixed_episodes[0]
    events = events_from_episode(episode)
    start = status_text(view_of(episode.id, events[:2]), "REPLAY").plain
    assert "trial trial" not in start
    assert "running" in start and "trial phase" in start
    assert "calls: 0 trial, 0 exec" in start
    end = status_text(view_of(episode.id, events), "REPLAY").plain
    assert "done" in end and "phase" not in end
    assert f"calls: {episode.metadata['trial_calls']} trial, 1 exec" in end


async def test_replay_status_line_on_screen(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        replay = await open_replay(app, pilot, 3)
        status = replay.query_one("#status", Static)
        await pilot.press("n")
        assert "trial trial" not in str(status.render())
