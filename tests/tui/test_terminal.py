"""An episode whose task, tool names, tool results and notes hold terminal escape sequences and
Rich markup: every screen that shows it shows text, never obeys it (issue 19, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.core import Episode, Message
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._browser import BrowserScreen
from toolmaster.tui._experience import ExperienceScreen
from toolmaster.tui._replay import ReplayScreen
from toolmaster.tui._widgets import Timeline

from tests.mcp.servers.hostile_server import HOSTILE_RESULT, HOSTILE_TOOL
from tests.tui.conftest import config, seed, wait_for

pytestmark = pytest.mark.anyio

NOTES = "[/] call it \x1b]52;c;aGFja2Vk\x07 \x1b[2J [bold]"


def hostile(episode: Episode) -> Episode:
    """`episode` with every tool called `[/]`, every result `HOSTILE_RESULT`, and markup and
    escape sequences in its task id, answer and notes."""
    messages: list[Message] = []
    for message in episode.messages:
        calls = [c.model_copy(update={"tool": HOSTILE_TOOL}) for c in message.tool_calls]
        update: dict[str, object] = {"tool_calls": calls}
        if message.role == "tool":
            update |= {"name": HOSTILE_TOOL, "content": HOSTILE_RESULT}
        messages.append(message.model_copy(update=update))
    return episode.model_copy(
        update={
            "task": episode.task.model_copy(update={"id": "[/]task\x1b[2J"}),
            "messages": messages,
            "tools": [t.model_copy(update={"name": HOSTILE_TOOL}) for t in episode.tools],
            "notes": NOTES,
            "answer": "answer \x1b]0;title\x07 [/]",
        }
    )


def screen_text(app: ToolMasterApp) -> str:
    """What the screen would write to the terminal, as text."""
    strips = app.screen._compositor.render_strips()  # pyright: ignore[reportPrivateUsage]
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_inert(text: str) -> None:
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x9b" not in text


async def test_every_screen_shows_hostile_episodes_as_text(
    tmp_path: Path, fixed_episodes: list[Episode]
) -> None:
    path = tmp_path / "sessions.db"
    seed(path, [hostile(fixed_episodes[0])])
    app = ToolMasterApp(config(path))
    async with app.run_test(size=(100, 30)) as pilot:
        live = app.live_screen
        await wait_for(pilot, lambda: live.view is not None and live.view.finished)
        assert_inert(screen_text(app))

        await pilot.press("s")
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await wait_for(pilot, lambda: len(browser.rows) == 1)
        await pilot.pause()
        assert "[/]task␛[2J" in screen_text(app)
        assert_inert(screen_text(app))

        await pilot.press("enter")
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await wait_for(pilot, lambda: replay.cursor == 0)
        await pilot.press("end")
        timeline = replay.query_one(Timeline)
        for index, step in enumerate(timeline.steps):
            if step.kind == "result":
                timeline.toggle(index)
        await pilot.pause()
        text = screen_text(app)
        assert "␛]0;pwned title␇" in text
        assert_inert(text)

        await pilot.press("e")
        memory = app.screen
        assert isinstance(memory, ExperienceScreen)
        await wait_for(pilot, lambda: len(memory.items) == 2)
        await pilot.pause()
        text = screen_text(app)
        assert "[/] call it ␛]52;c;aGFja2Vk␇" in text
        assert_inert(text)
