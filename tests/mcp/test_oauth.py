"""OAuth 2.1 for HTTP servers: an MCP server protected by the SDK's server-side auth, and an
authorization server written in the test, both on localhost in this process; the Toolbox signs
in through the SDK's client auth providers and calls tools, and the token never shows."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from toolmaster.core import ToolCall, UserError
from toolmaster.mcp import (
    HttpServerSpec,
    OAuthOptions,
    ServerConnectError,
    Toolbox,
    ToolEvent,
    servers_from_dict,
)

from tests.mcp.servers.oauth import Protected, closed_url, oauth_servers

pytestmark = pytest.mark.anyio

SECRET = "client-secret-5d1e9a"


def config(url: str, **auth: Any) -> HttpServerSpec:
    """The server as an `mcpServers` entry with an `auth` section, `${OAUTH_SECRET}` expanded."""
    entry = {"url": url, "auth": {"type": "oauth", **auth}}
    (spec,) = servers_from_dict({"mcpServers": {"remote": entry}}, environ={"OAUTH_SECRET": SECRET})
    assert isinstance(spec, HttpServerSpec)
    return spec


def robot(servers: Protected, **extra: Any) -> HttpServerSpec:
    """A client-credentials client registered with the authorization server."""
    servers.auth.clients["robot"] = SECRET
    auth = {
        "client_id": "robot",
        "client_secret": "${OAUTH_SECRET}",
        "issuer": servers.auth.url,
        "scopes": ["tools"],
        **extra,
    }
    return config(servers.mcp_url, **auth)


def issued(servers: Protected) -> list[str]:
    return list(servers.auth.tokens)


def add(a: int, b: int) -> ToolCall:
    return ToolCall(id=f"{a}+{b}", tool="add", arguments={"a": a, "b": b})


def _free_port() -> int:
    return int(closed_url().rsplit(":", 1)[1])


async def test_client_credentials_sign_in_and_the_token_stays_out_of_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[ToolEvent] = []
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            spec = robot(servers)
            assert SECRET not in repr(spec) and SECRET not in spec.model_dump_json()
            toolbox = Toolbox([spec], timeout=10)
            toolbox.subscribe(events.append)
            async with toolbox:
                (server,) = toolbox.servers
                assert (server.server_name, server.transport) == ("oauth-fixture", "http")
                assert (await toolbox.call(add(2, 3))).text == "5"
                # A leaky server echoes the bearer token: what is recorded reads a marker.
                echoed = await toolbox.call(ToolCall(id="2", tool="whoami"))
                assert echoed.text == "client robot with token [secret:oauth access token]"
            assert servers.auth.grants == ["client_credentials"]
            (token,) = issued(servers)
            # A second Toolbox of the process (an episode each) reuses the token.
            async with Toolbox([robot(servers)]) as again:
                assert (await again.call(add(1, 1))).text == "2"
            assert servers.auth.grants == ["client_credentials"]
    recorded = repr(events) + json.dumps([event.data() for event in events], default=str)
    logs = caplog.text + repr([record.__dict__ for record in caplog.records])
    for text in (recorded, logs):
        assert token not in text
        assert SECRET not in text
    assert "oauth access token" in recorded


async def test_a_token_the_server_no_longer_accepts_is_replaced() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            spec = robot(servers)
            async with Toolbox([spec]) as toolbox:
                assert (await toolbox.call(add(1, 2))).text == "3"
            servers.auth.tokens.clear()  # revoked (or expired) at the authorization server
            async with Toolbox([spec]) as toolbox:
                assert (await toolbox.call(add(1, 2))).text == "3"
            assert servers.auth.grants == ["client_credentials", "client_credentials"]


async def browse(server: str, url: str) -> None:
    """The person at the browser: follows the authorization URL, consents (the authorization
    server here always does), and is redirected to the loopback callback."""
    assert server == "remote"
    async with httpx2.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(url)
    assert page.status_code == 200, page.text
    assert "Signed in to remote" in page.text


async def test_browser_sign_in_with_pkce_and_dynamic_registration(tmp_path: Path) -> None:
    shown: list[str] = []

    async def sign_in(server: str, url: str) -> None:
        shown.append(url)
        await browse(server, url)

    options = OAuthOptions(sign_in=sign_in, token_folder=tmp_path / "tokens")
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            spec = config(servers.mcp_url, store="file")
            async with Toolbox([spec], oauth=options) as toolbox:
                echoed = await toolbox.call(ToolCall(id="1", tool="whoami"))
                assert echoed.text.startswith("client dyn-")
                assert echoed.text.endswith("with token [secret:oauth access token]")
            (url,) = shown
            assert "code_challenge_method=S256" in url
            assert servers.auth.grants == ["authorization_code"]
            (token,) = issued(servers)
            (stored,) = (tmp_path / "tokens").iterdir()
            assert stat.S_IMODE(stored.stat().st_mode) == 0o600
            assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
            assert token in stored.read_text()
            # The next run finds the token in the file: no second sign-in.
            fresh = OAuthOptions(sign_in=sign_in, token_folder=tmp_path / "tokens")
            async with Toolbox([spec], oauth=fresh) as toolbox:
                assert (await toolbox.call(add(1, 1))).text == "2"
            assert len(shown) == 1


async def test_browser_sign_in_with_a_registered_client() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            spec = config(servers.mcp_url, client_id="desktop", callback_port=_free_port())
            assert spec.auth is not None and spec.auth.grant == "authorization_code"
            servers.auth.clients["desktop"] = None
            servers.auth.redirects["desktop"] = [
                f"http://127.0.0.1:{spec.auth.callback_port}/callback"
            ]
            async with Toolbox([spec], oauth=OAuthOptions(sign_in=browse)) as toolbox:
                echoed = await toolbox.call(ToolCall(id="1", tool="whoami"))
                assert echoed.text.startswith("client desktop ")


async def refused(spec: HttpServerSpec, **options: Any) -> str:
    with pytest.raises(ServerConnectError) as info:
        async with Toolbox([spec], connect_timeout=10, **options):
            pass
    return info.value.failures["remote"]


async def test_bad_client_credentials_say_which_fields_to_check() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            spec = robot(servers)
            servers.auth.clients["robot"] = "another-secret-value"
            reason = await refused(spec)
    assert reason == (
        "OAuth sign-in failed: the authorization server refused the client credentials "
        "(invalid_client: client authentication failed); check auth.client_id and "
        "auth.client_secret"
    )


async def test_an_unreachable_authorization_server_is_named() -> None:
    nowhere = closed_url()
    with anyio.fail_after(20):
        async with oauth_servers(issuer=nowhere) as servers:
            spec = robot(servers, issuer=nowhere)
            reason = await refused(spec)
    assert reason.startswith(
        f"OAuth sign-in failed: could not reach the authorization server at {nowhere} ("
    )


async def test_another_authorization_server_than_the_configured_issuer_is_refused() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            reason = await refused(robot(servers, issuer="https://auth.example.com"))
    assert reason.startswith("OAuth sign-in failed: ")
    assert reason.endswith("check auth.issuer")
    assert servers.auth.grants == []  # the secret went nowhere


async def test_a_server_that_wants_oauth_without_an_auth_section_says_what_to_add() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            (spec,) = servers_from_dict({"mcpServers": {"remote": {"url": servers.mcp_url}}})
            assert isinstance(spec, HttpServerSpec)
            reason = await refused(spec)
    assert reason.startswith(
        "authentication failed: the server answered HTTP 401 Unauthorized with"
    )
    assert '"auth": {"type": "oauth"}' in reason
    assert '"client_secret": "${SECRET}"' in reason


async def test_a_browser_sign_in_in_an_unattended_run_says_how_to_get_one() -> None:
    with anyio.fail_after(20):
        async with oauth_servers() as servers:
            reason = await refused(config(servers.mcp_url))
    assert reason.startswith("it needs a browser sign-in (the authorization-code grant)")
    assert "client-credentials" in reason


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        (
            {"client_id": "x", "client_secret": "long-secret-1"},
            "field 'auth': the client_credentials grant needs issuer",
        ),
        ({"grant": "client_credentials"}, "needs client_id, client_secret, issuer"),
        ({"type": "basic"}, "auth.type': must be 'oauth'"),
        ({"password": "x"}, "auth.password': is not a known field of auth"),
        ({"scopes": 3}, "auth.scopes': must be a list of scopes"),
        ({"callback_port": "80"}, "auth.callback_port': must be a port number"),
        ({"callback_port": 70000}, "auth.callback_port'"),
        ({"issuer": "auth.example.com"}, "issuer must be an http(s) URL"),
        ({"store": "keychain"}, "auth.store'"),
    ],
)
def test_bad_auth_sections_name_the_field(auth: dict[str, Any], problem: str) -> None:
    with pytest.raises(UserError) as info:
        config("http://127.0.0.1:9/mcp", **auth)
    assert problem in str(info.value)


def test_auth_sections_in_the_shapes_users_write() -> None:
    spec = config(
        "http://127.0.0.1:9/mcp",
        clientId="robot",
        clientSecret="${OAUTH_SECRET}",
        scope="read write",
        issuer="https://auth.example.com",
    )
    assert spec.auth is not None
    assert (spec.auth.grant, spec.auth.client_id, spec.auth.scopes) == (
        "client_credentials",
        "robot",
        ("read", "write"),
    )
    assert spec.secrets()["auth.client_secret"] == SECRET
    with pytest.raises(UserError, match="not both"):
        servers_from_dict(
            {
                "mcpServers": {
                    "remote": {
                        "url": "http://127.0.0.1:9/mcp",
                        "headers": {"Authorization": "Bearer abcdefgh"},
                        "auth": {"type": "oauth"},
                    }
                }
            }
        )
