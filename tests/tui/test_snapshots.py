"""Snapshots of the main screens at 80x24 and 120x40 over the deterministic store
(`pytest tests/tui --snapshot-update` rewrites them after an intended change)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._browser import BrowserScreen
from toolmaster.tui._experience import ExperienceScreen
from toolmaster.tui._replay import ReplayScreen
from toolmaster.tui._start import StartRunScreen
from toolmaster.tui._widgets import Timeline

from tests.tui.conftest import config, wait_for

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


async def settled(pilot: Pilot[None]) -> None:
    """Wait until the timeline has scrolled to its last row and nothing is animating."""
    timeline = pilot.app.screen.query_one(Timeline)
    await wait_for(pilot, lambda: timeline.highlighted == len(timeline.steps) - 1)
    await pilot.wait_for_scheduled_animations()
    await wait_for(pilot, lambda: timeline.scroll_y == timeline.max_scroll_y)
    await pilot.pause()


@SIZES
def test_live_view(snap_compare: SnapCompare, seeded: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(config(seeded))

    async def settle(pilot: Pilot[None]) -> None:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        await wait_for(
            pilot,
            lambda: any(row.has_experience for row in live.tool_rows),
        )
        await settled(pilot)

    assert snap_compare(app, terminal_size=size, run_before=settle)


@SIZES
def test_session_browser(snap_compare: SnapCompare, seeded: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(config(seeded))

    async def settle(pilot: Pilot[None]) -> None:
        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 4)
        await pilot.press("down", "space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)


@SIZES
def test_replay(snap_compare: SnapCompare, seeded: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(config(seeded))

    async def settle(pilot: Pilot[None]) -> None:
        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 4)
        browser.table.move_cursor(row=3)
        await pilot.press("enter")
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await wait_for(pilot, lambda: replay.cursor == 0)
        await pilot.press(*["n"] * 14)
        await settled(pilot)

    assert snap_compare(app, terminal_size=size, run_before=settle)


@SIZES
def test_experience(snap_compare: SnapCompare, seeded: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(config(seeded))

    async def settle(pilot: Pilot[None]) -> None:
        await pilot.press("e")
        memory = app.screen
        assert isinstance(memory, ExperienceScreen)
        await wait_for(pilot, lambda: len(memory.items) == 6)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)


@SIZES
def test_run_form(snap_compare: SnapCompare, seeded: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(replace(config(seeded), server_dirs=()))

    async def settle(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        form = app.screen
        assert isinstance(form, StartRunScreen)
        await wait_for(pilot, lambda: form.task_select.value == "bank/test/0000")
        form.policy_select.value = "openai"
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)
