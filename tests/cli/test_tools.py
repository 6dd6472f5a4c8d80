"""`toolmaster tools` and `toolmaster call` against a real stdio server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli._exit import run
from tests.mcp.servers.memory import RAW_SERVER


def config(tmp_path: Path, **extra: object) -> Path:
    servers: dict[str, object] = {
        "raw": {
            "command": sys.executable,
            "args": [str(RAW_SERVER)],
            "env": {"RAW_TOKEN": "${RAW_TOKEN:-cli-token-123456}"},
        },
        **extra,
    }
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def test_tools_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("tools", "--config", str(config(tmp_path))) == 0
    out = capsys.readouterr().out
    assert "raw (stdio): raw 1.0.0" in out
    for word in ("echo", "text: string*", "read-only", "The grow tool."):
        assert word in out


def test_tools_json_and_a_broken_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path, broken={"command": "/no/such/server"})
    assert run("tools", "-c", str(path), "--json") == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert [t["name"] for t in document["tools"]][:2] == ["echo", "crash"]
    assert document["tools"][0]["annotations"]["read_only_hint"] is True
    assert document["servers"][0]["server_name"] == "raw"
    assert set(document["errors"]) == {"broken"}
    assert "server 'broken' could not be connected" in captured.err


def test_call_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("call", "-c", str(config(tmp_path)), "echo", '{"text": "hello"}') == 0
    assert capsys.readouterr().out.strip() == "hello"


def test_call_error_exits_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("call", "-c", str(config(tmp_path)), "crash", "--json") == 1
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["error_kind"] == "server_crashed"
    assert "cli-token-123456" not in captured.out + captured.err
    assert "error: the call failed (server_crashed)" in captured.err
    assert run("call", "-c", str(config(tmp_path)), "nope") == 1
    assert "unknown tool 'nope'" in capsys.readouterr().out


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path)
    assert run("call", "-c", str(path), "echo", "[1]") == 2
    assert "must be a JSON object" in capsys.readouterr().err
    assert run("call", "-c", str(path), "echo", "{") == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert run("tools", "-c", str(path), "-s", "other") == 2
    assert "no server named 'other'" in capsys.readouterr().err
    assert run("tools", "-c", str(tmp_path / "missing.json")) == 2
    assert "cannot read server config" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["tools", "call"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(command, "--help") == 0
    assert "--config" in capsys.readouterr().out
