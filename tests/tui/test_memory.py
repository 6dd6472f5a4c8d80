"""The memory view shows each tool's own note, not the episode's combined notes on every row
(issue 21, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._experience import ExperienceScreen
from toolmaster.tui._model import tool_note
from toolmaster.tui._widgets import Pane

from tests.tui.conftest import config, wait_for

pytestmark = pytest.mark.anyio

NOTES = """What I learnt about the calendar tools:
- list_events: dates are DD/MM/YYYY.
  Each event has an integer id.
- create_event: duration is in minutes.
* move_event: keeps the length."""


def test_tool_note_picks_the_tools_own_lines() -> None:
    assert tool_note(NOTES, "list_events") == (
        "- list_events: dates are DD/MM/YYYY.\n  Each event has an integer id."
    )
    assert tool_note(NOTES, "create_event") == "- create_event: duration is in minutes."
    assert tool_note(NOTES, "move_event") == "* move_event: keeps the length."
    assert tool_note(NOTES, "delete_event") is None
    assert tool_note("units: metric\nfind_city: ids", "find_city") == "find_city: ids"
    assert tool_note("free text about list_events", "list_events") is None
    # a tool whose name starts another's is not confused with it
    assert tool_note("get: a\nget_all: b", "get") == "get: a"


async def test_memory_view_shows_each_tools_own_note(seeded: Path) -> None:
    app = ToolMasterApp(config(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        memory = app.screen
        assert isinstance(memory, ExperienceScreen)
        await wait_for(pilot, lambda: len(memory.items) == 6)
        pane = memory.query_one("#notes", Pane)
        shown: dict[str, str] = {}
        for row, item in enumerate(memory.items):
            memory.table.move_cursor(row=row)
            await pilot.pause()
            shown[item.key.tool] = str(pane.render())
        assert "find_city: Several cities" in shown["find_city"]
        assert "get_forecast:" not in shown["find_city"]
        assert shown["get_forecast"].splitlines()[1].startswith("get_forecast: `city`")
        assert "find_city: Several" not in shown["get_forecast"]
        assert shown["find_city"] != shown["get_forecast"]
        assert "- create_event:" in shown["create_event"]
        assert "- list_events:" not in shown["create_event"]
        assert "- transfer:" not in shown["find_account"]
        # get_balance was not trialed on its own: the episode's notes, said so
        assert "no note of its own" in shown["get_balance"]
        rows = [memory.table.get_row_at(i) for i in range(6)]
        cells = {str(row[1]): row[4] for row in rows}
        assert str(cells["find_city"]).startswith("find_city: Several")
        assert str(cells["get_forecast"]).startswith("get_forecast: `city`")
