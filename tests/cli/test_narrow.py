"""At 80 columns: every command's --help keeps its option names and the TOML names in its text
(`[lora]`, `[[grpo.servers]]`: help is Rich markup), and `tools` and `sessions list` keep what
a user copies (tool names, episode and task ids) whole."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from toolmaster.cli._app import app
from toolmaster.core import Store
from typer.testing import CliRunner

from tests.cli._isolation import isolate
from tests.core._factories import make_episode

runner = CliRunner()
NARROW = {"COLUMNS": "80", "NO_COLOR": "1"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))
BRACKETED = re.compile(r"\[+[a-z][a-z_.]*\]+")


def _bracketed(text: str | None) -> set[str]:
    """The `[table]` and `[[array]]` names in a help text as written (Rich escapes dropped)."""
    return set(BRACKETED.findall((text or "").replace("\\[", "[")))


def test_the_help_texts_name_toml_tables() -> None:
    """The walk below finds the commands whose help names config tables."""
    names = {n for _, c in COMMANDS for p in [c, *c.params] for n in _bracketed(p.help)}
    assert {"[lora]", "[grpo.trl]", "[[grpo.servers]]"} <= names
    assert len(COMMANDS) > 30


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "-" for p, _ in COMMANDS]
)
def test_help_at_80_columns_loses_nothing(path: tuple[str, ...], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"], env=NARROW)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "…" not in out, out
    assert max(map(len, out.splitlines())) <= 80
    for param in command.params:
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith("--"):
                assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), (name, out)
    texts = [command.help, *(p.help for p in command.params if not getattr(p, "hidden", False))]
    for text in texts:
        for name in _bracketed(text):
            assert name in out, (name, out)


def test_sessions_list_keeps_ids_and_columns_at_80(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "sessions.db"
    tasks = [
        ("weather", "weather/test/0003", "embedded"),
        ("bfcl", "multi_turn_base_12", "qwen/Qwen2.5-7B-Instruct"),
        ("calendar", "calendar/train/0012", "grpo-cpu-smoke"),
    ]
    with Store(store) as opened:
        opened.put_episodes(
            make_episode(i, env=env, task=task, policy=policy)
            for i, (env, task, policy) in enumerate(tasks)
        )
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    result = runner.invoke(app, ["sessions", "list"], env=NARROW)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["id", "started", "task", "env", "policy", "mode", "verdict", "time"]
    rows = [line.split() for line in lines if line.startswith("ep0")]
    assert [row[0] for row in rows] == ["ep00000002", "ep00000001", "ep00000000"]
    assert [row[3] for row in rows] == ["calendar/train/0012", "multi_turn_base_12",
                                        "weather/test/0003"]  # fmt: skip
    assert all(row[-2:] == ["1.00", "2.0s"] for row in rows)  # verdict and time not cropped


def test_tools_keeps_tool_names_whole_at_80(tmp_path: Path) -> None:
    servers = {"shop": {"command": sys.executable, "args": ["-m", "toolmaster.envs.shop"]}}
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcpServers": servers}))
    result = runner.invoke(app, ["tools", "--config", str(config)], env=NARROW)
    assert result.exit_code == 0, result.output
    assert max(map(len, result.output.splitlines())) <= 80
    listed = runner.invoke(app, ["tools", "--config", str(config), "--json"])
    names = [tool["name"] for tool in json.loads(listed.output)["tools"]]
    assert any(len(name) > 14 for name in names)
    for name in names:
        assert re.search(rf"│ {name} +│", result.output), (name, result.output)
