"""The session browser (issue 21, item 6): filters by evaluation run and setting, columns that
fit 80 columns, an export dialog that counts right and writes to the data folder, and BFCL
ground-truth replays not shown as trial episodes."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label
from toolmaster.core import Episode, PolicyInfo, Store
from toolmaster.eval import EvalTag
from toolmaster.tui import ToolMasterApp, TuiConfig
from toolmaster.tui._browser import BrowserScreen, ExportScreen

from tests.tui.conftest import config, fixed, screen_text, wait_for

pytestmark = pytest.mark.anyio

LONG_POLICY = "openai-Qwen/Qwen2.5-72B-Instruct-AWQ"


def tagged(episode: Episode, run: str, setting: str) -> Episode:
    """`episode` as an evaluation run records it."""
    tag = EvalTag(run=run, suite="in-domain", setting=setting, policy="reference")
    return tag.apply(episode)


@pytest.fixture
def eval_store(tmp_path: Path, fixed_episodes: list[Episode]) -> Path:
    """Two runs (r1: clean and renamed, r2: clean), one untagged episode, and a BFCL
    ground-truth replay with a long task id and a long policy name."""
    weather, direct, bank, calendar = fixed_episodes
    bfcl = fixed(weather, 4).model_copy(
        update={
            "task": weather.task.model_copy(update={"id": "bfcl/multi_turn_long_context_199"}),
            "policy": PolicyInfo(name="bfcl-ground-truth", backend="scripted"),
        }
    )
    long = fixed(bank, 5).model_copy(
        update={"policy": PolicyInfo(name=LONG_POLICY, backend="openai")}
    )
    path = tmp_path / "data" / "sessions.db"
    path.parent.mkdir()
    with Store(path) as store:
        store.put_episodes(
            [
                tagged(weather, "r1", "clean"),
                tagged(direct, "r1", "renamed"),
                tagged(bank, "r2", "clean"),
                calendar,
                tagged(bfcl, "bfcl-1", "clean"),
                long,
            ]
        )
    return path


async def open_browser(app: ToolMasterApp, pilot: Pilot[None], rows: int) -> BrowserScreen:
    await pilot.press("s")
    browser = app.screen
    assert isinstance(browser, BrowserScreen)
    await wait_for(pilot, lambda: len(browser.rows) == rows)
    return browser


async def test_browser_filters_by_run_and_setting(eval_store: Path) -> None:
    app = ToolMasterApp(config(eval_store))
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot, 6)
        runs = browser.run_select
        await wait_for(pilot, lambda: len(runs._options) > 1)  # pyright: ignore[reportPrivateUsage]
        runs.value = "r1"
        await wait_for(pilot, lambda: len(browser.rows) == 2)
        assert browser.total == 2
        browser.setting_select.value = "renamed"
        await wait_for(pilot, lambda: len(browser.rows) == 1)
        assert browser.rows[0].task_id == "weather/test/0001"
        runs.clear()
        await wait_for(pilot, lambda: len(browser.rows) == 1)  # r1/renamed is the only renamed
        browser.setting_select.value = "clean"
        await wait_for(pilot, lambda: len(browser.rows) == 3)
        assert {r.task_id for r in browser.rows} == {
            "weather/test/0000",
            "bank/test/0000",
            "bfcl/multi_turn_long_context_199",
        }
        browser.verdict_select.value = "failed"
        await wait_for(pilot, lambda: browser.total == 0)
        assert browser.rows == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_browser_columns_fit(eval_store: Path, size: tuple[int, int]) -> None:
    app = ToolMasterApp(config(eval_store))
    async with app.run_test(size=size) as pilot:
        browser = await open_browser(app, pilot, 6)
        await pilot.pause()
        table = browser.table
        widths = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert widths <= size[0] - 1  # a scrollbar's width to spare
        text = screen_text(app)
        assert "started" in text
        assert "openai-Qwen" in text


async def test_bfcl_ground_truth_is_not_labelled_trial(eval_store: Path) -> None:
    app = ToolMasterApp(config(eval_store))
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot, 6)
        index = next(i for i, r in enumerate(browser.rows) if r.policy == "bfcl-ground-truth")
        row = browser.table.get_row_at(index)
        assert "trial" not in [str(cell) for cell in row]
        assert "truth" in [str(cell) for cell in row]


async def test_export_dialog_counts_and_defaults_to_the_data_folder(eval_store: Path) -> None:
    app = ToolMasterApp(TuiConfig(store_path=eval_store, discover_interval_s=0.05))
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(app, pilot, 6)
        await pilot.press("space", "x")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        title = str(dialog.query_one(Label).render())
        assert "1 marked episode " in title + " "
        assert "episodes" not in title
        path = Path(dialog.query_one(Input).value)
        assert path.parent == eval_store.parent / "exports"
        await pilot.press("enter")
        await wait_for(pilot, lambda: browser.last_export is not None)
        assert browser.last_export == (path, 1)
        assert await anyio.Path(path).is_file()
        browser.marked.clear()
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert "the 6 filtered episodes" in str(dialog.query_one(Label).render())
        await pilot.press("escape")
