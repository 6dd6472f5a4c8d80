"""`toolmaster tui` is registered and hands the TUI its store path; non-bundled streams."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import JsonValue
from toolmaster.cli._app import app
from toolmaster.core import Store
from toolmaster.tui import ToolMasterApp, TuiConfig
from typer.testing import CliRunner

from tests.tui.conftest import config, wait_for

pytestmark = pytest.mark.anyio


def test_tui_command_passes_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[TuiConfig] = []
    monkeypatch.setattr("toolmaster.cli._tui.run_tui", seen.append)
    result = CliRunner().invoke(app, ["tui", "--store", str(tmp_path / "s.db"), "--poll", "0.5"])
    assert result.exit_code == 0, result.output
    assert seen == [TuiConfig(store_path=tmp_path / "s.db", poll_interval_s=0.5)]


async def test_a_stream_of_an_ad_hoc_task_shows_no_tools(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    app_ = ToolMasterApp(config(path))
    async with app_.run_test(size=(80, 24)) as pilot:
        with Store(path) as store:
            data: dict[str, JsonValue] = {
                "task_id": "adhoc/1234",
                "mode": "trial",
                "trial": True,
                "tools": ["x"],
                "prompt": "hello",
            }
            store.append_event("e1", "episode_started", data)
        live = app_.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.task_id == "adhoc/1234")
        await wait_for(pilot, lambda: live.tools_shown == "adhoc")
        assert live.tool_rows == []
        assert live.view is not None and not live.view.finished
