"""Servers' elicitations answered at the terminal: the terminal form driven through a real
in-memory server whose tool calls `ctx.elicit`, with scripted stdin (accept, decline, cancel,
answers that do not fit asked again, stdin that ends); `toolmaster run` over a stdio server
asks when stdin and stderr are terminals, declines with the reason otherwise, and records the
elicitation and the server's logs in the episode that `sessions show` lists."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import anyio
import pytest
from toolmaster.cli._elicit import terminal_elicitor
from toolmaster.core import Store, ToolCall
from toolmaster.mcp import UNATTENDED, Toolbox

from tests.cli._exit import run
from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolated_store
from tests.mcp.servers.asking import asking_config, asking_spec

pytestmark = pytest.mark.anyio


class Terminal(io.StringIO):
    """Scripted lines, read as a terminal would give them."""

    def isatty(self) -> bool:
        return True


async def book(script: str) -> tuple[str, str]:
    """Call `book_table` with `script` as stdin: the tool's result and what the terminal showed."""
    out = Terminal()
    elicitor = terminal_elicitor(Terminal(script), out)
    assert elicitor is not None
    with anyio.fail_after(20):
        async with Toolbox([asking_spec()], elicitor=elicitor) as toolbox:
            result = await toolbox.call(ToolCall(id="1", tool="book_table", arguments={}))
    return result.text, out.getvalue()


async def test_accept_fills_in_each_field_with_defaults() -> None:
    text, shown = await book("a\n3\nterrace\n\nby the window\n")
    assert text == (
        "accept: {'guests': 3, 'seating': 'terrace', 'vegetarian': False, 'note': 'by the window'}"
    )
    assert "Server 'asking' asks: Book a table for tonight?" in shown
    assert "Guests — How many people (whole number, 1 to 8, required)" in shown
    assert "Seating (one of, inside / terrace, optional, default inside)" in shown
    assert "Vegetarian (yes/no, optional, default no)" in shown
    assert "Note (text, at most 40 characters, optional)" in shown


async def test_decline_and_cancel() -> None:
    assert (await book("d\n"))[0] == "decline"
    assert (await book("cancel\n"))[0] == "cancel"


async def test_answers_that_do_not_fit_are_asked_again() -> None:
    text, shown = await book("maybe\na\ntwo\n9\n2\ngarden\n\nperhaps\ny\n" + "x" * 41 + "\n\n")
    assert text == "accept: {'guests': 2, 'seating': 'inside', 'vegetarian': True, 'note': None}"
    for said in (
        "answer a (accept), d (decline) or c (cancel)",
        "enter a whole number",
        "enter a number of at most 8",
        "choose one of: inside, terrace",
        "answer yes or no",
        "enter at most 40 characters",
    ):
        assert f"  {said}\n" in shown


async def test_stdin_that_ends_mid_form_cancels() -> None:
    text, shown = await book("a\n3\n")
    assert text == "cancel"
    assert "(no more input: the request is cancelled)" in shown


def test_without_a_terminal_there_is_no_one_to_ask() -> None:
    assert terminal_elicitor(io.StringIO("a\n"), Terminal()) is None
    assert terminal_elicitor(Terminal("a\n"), io.StringIO()) is None


# ------------------------------------------------------------------ toolmaster run


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolated_store(monkeypatch, tmp_path)


def run_calling(tool: str, tmp_path: Path) -> int:
    with scripted_model(tool, "done") as base_url:
        return run(
            "run", "--config", str(asking_config(tmp_path)), "do it", "-m", "direct",
            "--policy", "openai", "--base-url", base_url, "--model", "scripted",
        )  # fmt: skip


def test_an_unattended_run_declines_with_the_reason_and_records_it(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_calling("reserve", tmp_path) == 0
    out = capsys.readouterr().out
    assert f"asked asking: elicitation declined: {UNATTENDED}" in " ".join(out.split())
    with Store(store) as opened:
        (episode,) = opened.episodes()
    (notice,) = episode.notices
    assert (notice.kind, notice.details["action"]) == ("elicitation", "decline")
    assert episode.messages[-2].content == "decline"
    assert run("sessions", "show", episode.id) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "server notices (logs, progress, sampling, elicitation)" in shown
    assert f"elicitation asking: elicitation declined: {UNATTENDED}" in shown


def test_a_run_at_a_terminal_asks_and_records_the_answer(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdin", Terminal("a\n4\n\n\n\n"))
    monkeypatch.setattr(sys, "stderr", terminal)
    assert run_calling("reserve", tmp_path) == 0
    assert "Server 'asking' asks: Book a table for tonight?" in terminal.getvalue()
    with Store(store) as opened:
        (episode,) = opened.episodes()
    (notice,) = episode.notices
    assert notice.details["action"] == "accept"
    assert notice.details["content"] == {"guests": 4, "seating": "inside", "vegetarian": False}
    assert "accept: {'guests': 4" in (episode.messages[-2].content or "")
    assert "asked asking: elicitation accepted" in capsys.readouterr().out


def test_server_logs_and_progress_print_as_they_arrive_and_are_listed(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_calling("chatty", tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    call = next(i for i, line in enumerate(lines) if "execute → chatty" in line)
    assert lines[call + 1 : call + 5] == [
        "  log asking info: starting the work",
        '  log asking warning: {"disk": "almost full"}',
        "  progress asking 1/2 half way",
        "  progress asking 2/2 done",
    ]
    with Store(store) as opened:
        (episode,) = opened.episodes()
    assert run("sessions", "show", episode.id) == 0
    shown = capsys.readouterr().out
    assert "log asking info: starting the work" in shown
    assert "progress asking 1/2 [call_0]: half way" in shown
