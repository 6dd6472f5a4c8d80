"""Servers' questions and notices in the TUI: an elicitation of a run started here is answered
in a modal form (accept, decline, cancel; what does not fit is said and the form stays), driven
through a real in-memory server whose tool calls `ctx.elicit`; a run over a servers file shows
the server's log messages and progress in the live timeline as they arrive and records them,
and answers its sampling requests with the run's policy."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select
from toolmaster.core import ToolCall
from toolmaster.mcp import Elicitor, Toolbox
from toolmaster.tui import ToolMasterApp
from toolmaster.tui._data import Endpoint
from toolmaster.tui._elicit import ElicitScreen
from toolmaster.tui._runs import RunRequest, Source
from toolmaster.tui._widgets import Timeline

from tests.cli._http_servers import scripted_model
from tests.mcp.servers.asking import ASKING_SERVER, asking_spec
from tests.tui.conftest import config, screen_text, wait_for

pytestmark = pytest.mark.anyio


class Booking:
    """`book_table` called from another thread with its own event loop, as a run started from
    the app is: its result once the form is answered."""

    def __init__(self, elicitor: Elicitor) -> None:
        self.elicitor = elicitor
        self.result: str | None = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        async def call() -> str:
            with anyio.fail_after(30):
                async with Toolbox([asking_spec()], elicitor=self.elicitor) as toolbox:
                    result = await toolbox.call(ToolCall(id="1", tool="book_table", arguments={}))
            return result.text

        self.result = anyio.run(call)


async def form_of(app: ToolMasterApp, pilot: Pilot[None]) -> ElicitScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, ElicitScreen))
    screen = app.screen
    assert isinstance(screen, ElicitScreen)
    return screen


async def answered(booking: Booking, pilot: Pilot[None]) -> str | None:
    await wait_for(pilot, lambda: booking.result is not None)
    booking.thread.join(timeout=5)
    return booking.result


async def test_the_form_shows_each_field_and_accepts(tmp_path: Path) -> None:
    app = ToolMasterApp(config(tmp_path / "s.db"))
    async with app.run_test(size=(100, 40)) as pilot:
        booking = Booking(app.elicitor)
        form = await form_of(app, pilot)
        text = screen_text(app)
        assert "Server 'asking' asks" in text
        assert "Book a table for tonight?" in text
        assert "How many people" in text
        seating: object = form.query_one("#field-seating", Select).value  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        assert seating == "inside"  # the default
        form.query_one("#field-guests", Input).value = "3"
        form.query_one("#field-vegetarian", Select).value = True
        await pilot.press("ctrl+s")
        result = await answered(booking, pilot)
        assert app.screen is app.live_screen
    assert result == "accept: {'guests': 3, 'seating': 'inside', 'vegetarian': True, 'note': None}"


async def test_what_does_not_fit_is_said_and_the_form_stays(tmp_path: Path) -> None:
    app = ToolMasterApp(config(tmp_path / "s.db"))
    async with app.run_test(size=(100, 40)) as pilot:
        booking = Booking(app.elicitor)
        form = await form_of(app, pilot)
        await pilot.press("ctrl+s")
        problem = form.query_one("#problem", Label)
        assert str(problem.render()) == "Guests: an answer is required"
        form.query_one("#field-guests", Input).value = "12"
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert str(problem.render()) == "Guests: enter a number of at most 8"
        assert app.screen is form
        form.query_one("#field-guests", Input).value = "8"
        await pilot.pause()
        await pilot.click("#accept")
        result = await answered(booking, pilot)
    assert result is not None and result.startswith("accept: {'guests': 8")


@pytest.mark.parametrize(("how", "action"), [("#decline", "decline"), ("escape", "cancel")])
async def test_decline_and_cancel(tmp_path: Path, how: str, action: str) -> None:
    app = ToolMasterApp(config(tmp_path / "s.db"))
    async with app.run_test(size=(100, 40)) as pilot:
        booking = Booking(app.elicitor)
        await form_of(app, pilot)
        if how.startswith("#"):
            await pilot.click(how)
        else:
            await pilot.press(how)
        assert await answered(booking, pilot) == action


# ------------------------------------------------------------------ runs over a servers file


def servers(folder: Path) -> Path:
    path = folder / "mcp.json"
    entry = {"command": sys.executable, "args": [str(ASKING_SERVER)]}
    path.write_text(json.dumps({"mcpServers": {"asking": entry}}))
    return path


def request(path: Path, base_url: str) -> RunRequest:
    return RunRequest(
        Source("mcp.json", path),
        "do it",
        "openai",
        "direct",
        endpoint=Endpoint(base_url, "scripted"),
    )


async def test_a_runs_logs_and_progress_show_live_and_are_recorded(tmp_path: Path) -> None:
    path = servers(tmp_path)
    app = ToolMasterApp(replace(config(tmp_path / "s.db"), server_dirs=(tmp_path,)))
    async with app.run_test(size=(100, 40)) as pilot:
        with scripted_model("chatty", "done") as base_url:
            app.start_run(request(path, base_url))
            await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
        timeline = app.live_screen.query_one(Timeline)
        await wait_for(pilot, lambda: any(s.kind == "notice" for s in timeline.steps))
        await wait_for(pilot, lambda: app.live_screen.view and app.live_screen.view.finished)
        notices = [s.summary for s in timeline.steps if s.kind == "notice"]
    assert notices == [
        "log asking info: starting the work",
        'log asking warning: {"disk": "almost full"}',
        "progress asking 1/2 half way",
        "progress asking 2/2 done",
    ]
    kinds = [s.kind for s in timeline.steps]
    assert kinds.index("call") < kinds.index("notice") < kinds.index("result")
    (episode,) = app.runs
    assert [n.kind for n in episode.notices] == ["server_log"] * 2 + ["progress"] * 2


async def test_a_run_started_here_asks_in_the_form(tmp_path: Path) -> None:
    path = servers(tmp_path)
    app = ToolMasterApp(replace(config(tmp_path / "s.db"), server_dirs=(tmp_path,)))
    async with app.run_test(size=(100, 40)) as pilot:
        with scripted_model("reserve", "done") as base_url:
            app.start_run(request(path, base_url))
            form = await form_of(app, pilot)
            form.query_one("#field-guests", Input).value = "2"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
    (episode,) = app.runs
    (notice,) = episode.notices
    assert notice.details["action"] == "accept"
    assert notice.details["content"] == {"guests": 2, "seating": "inside", "vegetarian": False}
    assert (episode.messages[-2].content or "").startswith("accept: {'guests': 2")


async def test_a_runs_policy_answers_a_servers_sampling_request(tmp_path: Path) -> None:
    path = servers(tmp_path)
    app = ToolMasterApp(replace(config(tmp_path / "s.db"), server_dirs=(tmp_path,)))
    async with app.run_test(size=(100, 40)) as pilot:
        with scripted_model("headline", "done", sampled="Sun shines") as base_url:
            app.start_run(request(path, base_url))
            await wait_for(pilot, lambda: len(app.runs) == 1, timeout=60)
        timeline = app.live_screen.query_one(Timeline)
        await wait_for(pilot, lambda: app.live_screen.view and app.live_screen.view.finished)
        notices = [s.summary for s in timeline.steps if s.kind == "notice"]
    assert notices == ["sampling asking: answered sampling request 1 of 8"]
    (episode,) = app.runs
    (notice,) = episode.notices
    assert (notice.kind, notice.details["outcome"]) == ("sampling", "answered")
    assert episode.messages[-2].content == "scripted: Sun shines"
