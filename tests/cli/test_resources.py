"""`toolmaster resources`, `toolmaster prompts`, the tools `toolmaster tools` withholds, and
`read_resource` in `toolmaster run`, against real stdio servers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from toolmaster.agent._resource_tool import NO_URI
from toolmaster.core import READ_RESOURCE, Store

from tests.cli._exit import run
from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolate
from tests.mcp.servers.library_server import LOGO
from tests.mcp.servers.memory import HERE, RAW_SERVER

LIBRARY_SERVER = HERE / "library_server.py"


def config(tmp_path: Path, **servers: object) -> Path:
    servers = servers or {"library": {"command": sys.executable, "args": [str(LIBRARY_SERVER)]}}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def test_resources_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(config(tmp_path))
    assert run("resources", "--config", path) == 0
    out = capsys.readouterr().out
    for word in ("docs://readme", "text/markdown", "How to use the library.", "books://{isbn}"):
        assert word in out
    assert run("resources", "-c", path, "--server", "library", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["uri"] for r in document["resources"]] == ["docs://readme", "docs://logo.png"]
    assert document["resources"][1]["mime_type"] == "image/png"
    assert [t["uri_template"] for t in document["templates"]] == ["books://{isbn}"]
    assert document["errors"] == {}


def test_read_text_binary_and_templated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(config(tmp_path))
    assert run("resources", "-c", path, "--read", "docs://readme") == 0
    assert capsys.readouterr().out == "# Library\nBooks are lent for 21 days.\n"
    assert run("resources", "-c", path, "--read", "docs://logo.png") == 0
    assert capsys.readouterr().out == "[binary resource docs://logo.png: image/png, 100 bytes]\n"
    assert run("resources", "-c", path, "--read", "docs://logo.png", "--json") == 0
    [part] = json.loads(capsys.readouterr().out)
    assert (part["mime_type"], part["size"], part["text"]) == ("image/png", len(LOGO), None)
    assert run("resources", "-c", path, "--read", "books://42", "--server", "library") == 0
    assert capsys.readouterr().out == "book 42: on shelf 4\n"


def test_read_unknown_uri_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("resources", "-c", str(config(tmp_path)), "--read", "docs://nope") == 2
    assert capsys.readouterr().err == (
        "error: unknown resource 'docs://nope'; the resources are: docs://readme, "
        "docs://logo.png; the templates are: books://{isbn}\n"
    )


def test_a_server_without_resources_or_prompts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(config(tmp_path, raw={"command": sys.executable, "args": [str(RAW_SERVER)]}))
    assert run("resources", "-c", path) == 0
    assert capsys.readouterr().err == "no resources\n"
    assert run("resources", "-c", path, "--read", "docs://readme") == 2
    assert capsys.readouterr().err == (
        "error: unknown resource 'docs://readme': no connected server offers resources\n"
    )
    assert run("prompts", "-c", path, "--get", "review") == 2
    assert capsys.readouterr().err == (
        "error: unknown prompt 'review': no connected server offers prompts\n"
    )


def test_prompts_table_json_and_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(config(tmp_path))
    assert run("prompts", "-c", path) == 0
    out = capsys.readouterr().out
    for word in ("review", "title*", "tone", "Ask for a book review.", "hello"):
        assert word in out
    assert run("prompts", "-c", path, "--json") == 0
    [review, _] = json.loads(capsys.readouterr().out)["prompts"]
    assert review["arguments"][0] == {"name": "title", "description": "", "required": True}
    argv = ("prompts", "-c", path, "--get", "review", "--arg", "title=Dune", "--arg", "tone=warm")
    assert run(*argv) == 0
    assert capsys.readouterr().out == "[user]\nWrite a warm review of Dune.\n"
    assert run(*argv, "--json") == 0
    rendered = json.loads(capsys.readouterr().out)
    assert rendered["messages"][0]["content"] == "Write a warm review of Dune."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--get", "summary"), "unknown prompt 'summary'; the prompts are: review, hello"),
        (("--get", "review"), "prompt 'review' needs the argument(s) 'title'"),
        (
            ("--get", "review", "--arg", "title=Dune", "--arg", "mood=x"),
            "prompt 'review' has no argument 'mood' (its arguments: title, tone)",
        ),
        (("--get", "review", "--arg", "title"), "--arg takes NAME=VALUE, not 'title'"),
        (("--arg", "title=Dune"), "--arg goes with --get NAME"),
    ],
)
def test_prompt_mistakes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert run("prompts", "-c", str(config(tmp_path)), *argv) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_tools_lists_task_only_tools_as_not_offered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = {"command": sys.executable, "args": [str(RAW_SERVER), "--tasks"]}
    path = str(config(tmp_path, raw=raw))
    assert run("tools", "-c", path, "--json") == 0
    document = json.loads(capsys.readouterr().out)
    names = [t["name"] for t in document["tools"]]
    assert "summarize" in names
    assert "render_video" not in names
    [withheld] = document["withheld"]
    assert withheld["tool"]["name"] == "render_video"
    assert "execution.taskSupport: required" in withheld["reason"]
    assert run("tools", "-c", path) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not offered: render_video (raw): it must be called as an MCP task" in out


def test_run_offers_read_resource_to_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    store = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(store))
    requests: list[dict[str, Any]] = []
    with scripted_model(READ_RESOURCE, "done", requests) as base_url:
        code = run(
            "run", "--config", str(config(tmp_path)), "read the readme", "-m", "direct",
            "--policy", "openai", "--base-url", base_url, "--model", "scripted",
        )  # fmt: skip
    assert code == 0, capsys.readouterr()
    offered = [tool["function"]["name"] for tool in requests[0]["tools"]]
    assert offered == ["lend", READ_RESOURCE]
    with Store(store) as opened:
        (episode,) = opened.episodes()
    [result] = [m for m in episode.messages if m.role == "tool"]
    assert (result.name, result.content) == (READ_RESOURCE, f"Error: {NO_URI}")
    assert episode.answer == "done"
