"""Pilot tests of every screen, at 80x24, over a store of deterministic episodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input
from toolmaster.agent import EMBEDDED_CONFIG
from toolmaster.core import Episode
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._browser import BrowserScreen, ExportScreen
from toolmaster.tui._experience import ExperienceScreen
from toolmaster.tui._replay import ReplayScreen
from toolmaster.tui._runs import Source
from toolmaster.tui._start import StartRunScreen
from toolmaster.tui._widgets import Timeline

from tests.tui.conftest import config, wait_for

pytestmark = pytest.mark.anyio

SIZE = (80, 24)


async def test_live_view_shows_the_latest_episode(
    seeded: Path, fixed_episodes: list[Episode]
) -> None:
    latest = fixed_episodes[-1]
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=SIZE) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        assert live.view is not None
        assert live.view.episode_id == latest.id
        assert live.view.notes == latest.notes
        await wait_for(pilot, lambda: live.tools_env == "calendar")
        timeline = live.query_one(Timeline)
        assert len(timeline.steps) == len(live.view.steps)
        call = next(i for i, s in enumerate(timeline.steps) if s.kind == "call")
        timeline.highlighted = call
        await pilot.press("enter")
        assert call in timeline.expanded
        await pilot.press("enter")
        assert call not in timeline.expanded


async def test_browser_filters(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 4)
        env = browser.env_select
        await wait_for(pilot, lambda: len(env._options) > 1)  # pyright: ignore[reportPrivateUsage]
        env.value = "weather"
        await wait_for(pilot, lambda: len(browser.rows) == 2)
        assert {r.env for r in browser.rows} == {"weather"}
        browser.verdict_select.value = "failed"
        await wait_for(pilot, lambda: len(browser.rows) == 1)
        assert browser.rows[0].verdict == "failed"
        env.clear()
        browser.verdict_select.value = "passed"
        await wait_for(pilot, lambda: len(browser.rows) == 3)
        await pilot.press("escape")
        assert app.screen is app.live_screen


async def test_replay_steps_through_an_episode(seeded: Path, fixed_episodes: list[Episode]) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 4)
        table = browser.table
        table.move_cursor(row=3)  # the oldest: the weather trial
        await pilot.press("enter")
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert replay.episode_id == fixed_episodes[0].id
        await wait_for(pilot, lambda: replay.cursor == 0)
        timeline = replay.query_one(Timeline)
        assert [s.kind for s in timeline.steps] == ["task", "header"]
        await pilot.press("n", "n", "n")
        assert replay.cursor == 3
        await pilot.press("p")
        assert replay.cursor == 2
        await pilot.press("end")
        assert replay.cursor == len(replay.events) - 1
        assert timeline.steps[-1].kind == "verdict"
        await pilot.press("n")
        assert replay.cursor == len(replay.events) - 1
        await pilot.press("home", "p")
        assert replay.cursor == 0
        await pilot.press("escape")
        assert app.screen is browser


async def test_export_marked_and_filtered(seeded: Path, tmp_path: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 4)
        await pilot.press("space", "down", "down", "space")
        assert browser.marked == {browser.rows[0].id, browser.rows[2].id}
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(tmp_path / "marked.jsonl")
        await pilot.press("enter")
        await wait_for(pilot, lambda: browser.last_export is not None)
        lines = (tmp_path / "marked.jsonl").read_text().splitlines()
        assert {Episode.model_validate_json(line).id for line in lines} == browser.marked
        await pilot.press("down", "space", "up", "up", "space", "space", "space")
        browser.marked.clear()
        await pilot.press("x")
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Input).value = str(tmp_path / "all.jsonl")
        await pilot.press("enter")
        await wait_for(pilot, lambda: browser.last_export == (tmp_path / "all.jsonl", 4))
        ids = [json.loads(line)["id"] for line in (tmp_path / "all.jsonl").read_text().splitlines()]
        assert ids == [row.id for row in browser.rows]
        await pilot.press("x", "escape")
        assert app.screen is browser


async def test_experience_view(seeded: Path, fixed_episodes: list[Episode]) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        memory = app.screen
        assert isinstance(memory, ExperienceScreen)
        await wait_for(pilot, lambda: len(memory.items) == 6)
        servers = {i.key.server.split("@")[0] for i in memory.items}
        assert servers == {"weather", "bank", "calendar"}
        assert all("@" in i.key.server for i in memory.items)  # identities: name@version
        table = memory.table
        assert table.row_count == 6
        await pilot.press("s")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("l")
        assert app.screen is app.live_screen


async def test_start_a_reference_run(tmp_path: Path) -> None:
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        form = app.screen
        assert isinstance(form, StartRunScreen)
        task = form.task_select
        await wait_for(pilot, lambda: isinstance(task.value, str))
        form.source_select.value = Source("weather")
        await wait_for(pilot, lambda: task.value == "weather/test/0000")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
        episode = app.runs[0]
        assert episode.verdict is not None and episode.verdict.passed
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        assert live.view is not None and live.view.episode_id == episode.id
        assert live.view.notes == episode.notes
        assert app.ctx.store.get_episode(episode.id) is not None
        await wait_for(pilot, lambda: any(row.has_experience for row in live.tool_rows))


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_start_an_embedded_run(tmp_path: Path) -> None:
    """The embedded SmolLM2-135M from the start form, on the budgets `toolmaster demo` gives
    it: recorded and followed live, whatever it answers."""
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        form = app.screen
        assert isinstance(form, StartRunScreen)
        form.source_select.value = Source("weather")
        await wait_for(pilot, lambda: form.task_select.value == "weather/test/0000")
        form.policy_select.value = "embedded"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.runs) == 1, timeout=840)
        episode = app.runs[0]
        assert (episode.policy.backend, episode.mode) == ("transformers", "trial")
        assert episode.policy.sampling == EMBEDDED_CONFIG.sampling
        turns = [m for m in episode.messages if m.role == "assistant"]
        assert 1 <= len(turns) <= EMBEDDED_CONFIG.max_turns
        assert episode.usage.completion_tokens > 0
        assert episode.verdict is not None or episode.error is not None
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        assert live.view is not None and live.view.episode_id == episode.id
        assert app.ctx.store.get_episode(episode.id) == episode


async def test_start_form_cancels(tmp_path: Path) -> None:
    app = ToolMasterApp(config(tmp_path / "new.db"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert isinstance(app.screen, StartRunScreen)
        await pilot.press("escape")
        assert app.screen is app.live_screen
        assert app.runs == []
