"""`toolmaster run` through an OAuth-protected MCP server (client credentials): the call is made,
and neither the access token nor the client secret is in anything the run writes or prints —
the session store, the exported and shown sessions, `toolmaster tools` and `resources`, the
log lines, or what the model was sent — even though the server echoes the token back."""

from __future__ import annotations

import io
import json
import logging
import stat
import sys
import webbrowser
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from toolmaster.core import Store

from tests.cli._exit import run
from tests.cli._http_servers import scripted_model
from tests.cli._isolation import isolate
from tests.mcp.servers.oauth import Protected, oauth_servers

SECRET = "client-secret-7c4f20"


@contextmanager
def protected() -> Generator[Protected]:
    """The authorization server and the MCP server it protects, served from a thread (the CLI
    runs its own event loop)."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(oauth_servers()) as servers,
    ):
        servers.auth.clients["robot"] = SECRET
        yield servers


def config(tmp_path: Path, servers: Protected) -> str:
    auth = {
        "type": "oauth",
        "client_id": "robot",
        "client_secret": "${OAUTH_SECRET}",
        "issuer": servers.auth.url,
        "scopes": ["tools"],
    }
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"remote": {"url": servers.mcp_url, "auth": auth}}}))
    return str(path)


def test_a_run_through_oauth_records_no_token_or_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / "cache"))
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(tmp_path / "sessions.db"))
    monkeypatch.setenv("OAUTH_SECRET", SECRET)
    caplog.set_level(logging.DEBUG)
    requests: list[dict[str, Any]] = []
    export = tmp_path / "export.jsonl"
    with protected() as servers, scripted_model("whoami", "done", requests) as base_url:
        path = config(tmp_path, servers)
        argv = ["-vv", "run", "--config", path, "who am i", "-m", "direct"]
        model = ["--policy", "openai", "--base-url", base_url, "--model", "scripted"]
        assert run(*argv, *model) == 0
        assert run("tools", "--config", path) == 0
        assert run("tools", "--config", path, "--json") == 0
        assert run("resources", "--config", path) == 0
        grants = list(servers.auth.grants)
        tokens = list(servers.auth.tokens)
    with Store(tmp_path / "sessions.db") as store:
        (episode,) = store.episodes()
    assert run("sessions", "export", str(export)) == 0
    assert run("sessions", "show", episode.id) == 0
    out, err = capsys.readouterr()

    assert grants == ["client_credentials"] * len(grants) and tokens
    (result,) = [m for m in episode.messages if m.role == "tool"]
    assert "client robot with token [secret:oauth access token]" in json.dumps(
        result.model_dump(mode="json")
    )
    assert "whoami" in out
    written = b"".join(f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())
    said = out + err + caplog.text + json.dumps(requests)
    assert export.stat().st_size > 0
    for secret in (*tokens, SECRET):
        assert secret not in said
        assert secret.encode() not in written


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_interactive_run_signs_in_in_the_browser_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / "cache"))
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(tmp_path / "sessions.db"))
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    opened: list[str] = []

    def browser(url: str) -> bool:
        """The person at the browser: signs in (this authorization server consents at once)
        and lands on the loopback callback."""
        opened.append(url)
        page = httpx2.get(url, follow_redirects=True)
        assert "Signed in to remote" in page.text
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    with protected() as servers, scripted_model("whoami", "done") as base_url:
        entry = {"url": servers.mcp_url, "auth": {"type": "oauth", "store": "file"}}
        path = tmp_path / "mcp.json"
        path.write_text(json.dumps({"mcpServers": {"remote": entry}}))
        argv = ["run", "--config", str(path), "who am i", "-m", "direct"]
        model = ["--policy", "openai", "--base-url", base_url, "--model", "scripted"]
        assert run(*argv, *model) == 0
        assert run(*argv, *model) == 0  # the token is in the file: no second sign-in
        grants = list(servers.auth.grants)
    _, err = capsys.readouterr()
    (url,) = opened
    assert grants == ["authorization_code"]
    assert "Server 'remote' needs you to sign in. Open this URL in a browser" in err
    assert url in err
    (stored,) = (tmp_path / "home" / "cache" / "toolmaster" / "oauth").iterdir()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_refused_credentials_are_one_error_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("OAUTH_SECRET", "not-the-right-secret")
    with protected() as servers:
        assert run("tools", "--config", config(tmp_path, servers)) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "error: server 'remote' could not be connected: OAuth sign-in failed: the authorization "
        "server refused the client credentials (invalid_client: client authentication failed); "
        "check auth.client_id and auth.client_secret"
    )
    assert "Traceback" not in err + caplog.text
    assert "OAuth flow error" not in err + caplog.text
