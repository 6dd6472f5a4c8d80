"""What tools and models say reaches the terminal as text: escape sequences (clear screen,
window title, OSC 52 clipboard writes) and Rich markup in tool names are shown, never obeyed
(issue 19, item 8). A real stdio MCP server and a scripted OpenAI-compatible model drive
`toolmaster run --config`, then `sessions show` prints the recorded episode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from toolmaster.cli._app import app
from toolmaster.core import Store
from typer.testing import CliRunner

from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolated_store
from tests.mcp.servers.hostile_server import HOSTILE_SERVER, HOSTILE_TOOL

runner = CliRunner()

ANSWER = "done \x1b]0;model title\x07 \x1b[2J [bold]not bold[/]"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolated_store(monkeypatch, tmp_path)


@pytest.fixture
def servers(tmp_path: Path) -> Path:
    path = tmp_path / "mcp.json"
    hostile = {"command": sys.executable, "args": [str(HOSTILE_SERVER)]}
    path.write_text(json.dumps({"mcpServers": {"hostile": hostile}}))
    return path


def _assert_inert(output: str) -> None:
    assert "\x1b" not in output
    assert "\x07" not in output
    assert "\x9b" not in output


def test_run_and_sessions_show_print_hostile_tool_output_as_text(
    store: Path, servers: Path
) -> None:
    with scripted_model(HOSTILE_TOOL, ANSWER) as base_url:
        argv = ["run", "--config", str(servers), "use the tool", "--mode", "direct"]
        argv += ["--policy", "openai", "--base-url", base_url, "--model", "scripted"]
        result = runner.invoke(app, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    _assert_inert(result.output)
    assert f"execute → {HOSTILE_TOOL}({{}})" in result.output
    assert "␛]52;c;aGFja2Vk␇" in result.output
    assert "[bold]not bold[/]" in result.output
    with Store(store) as opened:
        (episode,) = opened.episodes()
    assert episode.tools[0].name == HOSTILE_TOOL

    shown = runner.invoke(app, ["sessions", "show", episode.id])
    assert shown.exit_code == 0, shown.output
    _assert_inert(shown.output)
    assert f"-> {HOSTILE_TOOL}" in shown.output
    assert "␛[2Jcleared" in shown.output


def test_tools_and_call_print_hostile_names_and_results_as_text(servers: Path) -> None:
    listed = runner.invoke(app, ["tools", "--config", str(servers)])
    assert listed.exit_code == 0, listed.output
    _assert_inert(listed.output)
    assert HOSTILE_TOOL in listed.output

    called = runner.invoke(app, ["call", "--config", str(servers), HOSTILE_TOOL])
    assert called.exit_code == 0, called.output
    _assert_inert(called.output)
    assert "␛]0;pwned title␇" in called.output
