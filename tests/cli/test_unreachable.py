"""Upstreams that cannot be reached: `toolmaster mutate` says why in the one line `toolmaster
tools` gives (no traceback), a 401 reads as an authentication failure in both, and a URL that
looks like a legacy SSE endpoint gets a hint (issue 19, item 10)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.cli._exit import run
from tests.cli._http_servers import refusing

MISSING = "toolmaster-test-no-such-command"


def closed_port() -> int:
    """A localhost port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The command's stderr, which must be one `error: ...` line."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: server ")
    return lines[0]


def servers(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"remote": {"url": url}}}))
    return path


def test_mutate_with_a_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("mutate", "--show", "--", MISSING) == 1
    line = one_error(capsys)
    assert line == f"error: server {MISSING!r} could not be connected: command not found: {MISSING}"


def test_mutate_and_tools_with_a_closed_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/mcp"
    assert run("mutate", "--show", "--url", url) == 1
    assert "could not be connected: ConnectError" in one_error(capsys)
    assert run("mutate", "--show", "--config", str(servers(tmp_path, url))) == 1
    said = one_error(capsys)
    reason = "ConnectError: All connection attempts failed"
    assert said == f"error: server 'remote' could not be connected: {reason}"
    assert run("tools", "--config", str(servers(tmp_path, url))) == 1
    assert one_error(capsys) == said


@pytest.mark.parametrize("command", ["tools", "mutate"])
def test_a_401_is_an_authentication_failure(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with refusing() as root:
        argv = [command, "--config", str(servers(tmp_path, f"{root}/mcp"))]
        assert run(*argv, *(["--show"] if command == "mutate" else [])) == 1
    err = capsys.readouterr().err
    assert "error: server 'remote' could not be connected: authentication failed" in err
    assert "HTTP 401 Unauthorized" in err
    assert "/sse" not in err


@pytest.mark.parametrize("command", ["tools", "mutate"])
def test_a_legacy_sse_url_gets_a_hint(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/sse"
    argv = [command, "--config", str(servers(tmp_path, url))]
    assert run(*argv, *(["--show"] if command == "mutate" else [])) == 1
    err = capsys.readouterr().err
    assert "could not be connected" in err
    assert "legacy SSE endpoint" in err
    assert "streamable HTTP" in err
