"""An OAuth 2.1 authorization server and an MCP server it protects, both served in this process
on ephemeral loopback ports (uvicorn in the test's own event loop).

The authorization server is written here (the SDK's server-side token endpoint knows no
client-credentials grant): authorization-server metadata (RFC 8414), a token endpoint for the
client-credentials, authorization-code (PKCE S256) and refresh-token grants, an authorization
endpoint that consents at once (the "user" always says yes), and dynamic client registration.
The MCP server is the SDK's own resource server: `MCPServer(auth=AuthSettings(...),
token_verifier=...)` answers 401 with `WWW-Authenticate: Bearer resource_metadata=...` and
serves the protected-resource metadata (RFC 9728) that names the authorization server.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import time
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import anyio
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

SCOPE = "tools"


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: list[str]
    resource: str | None


@dataclass
class AuthorizationServer:
    """The authorization server's state: its clients and what it has issued."""

    url: str = ""
    """Its issuer URL, set once it listens."""
    clients: dict[str, str | None] = field(default_factory=dict[str, str | None])
    """Client ids and their secrets (None: a public client, PKCE only)."""
    redirects: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    tokens: dict[str, AccessToken] = field(default_factory=dict[str, AccessToken])
    refresh: dict[str, AccessToken] = field(default_factory=dict[str, AccessToken])
    codes: dict[str, _Code] = field(default_factory=dict[str, _Code])
    grants: list[str] = field(default_factory=list[str])
    """The grant type of each token request, in order."""
    lifetime: int = 3600

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/oauth-authorization-server", self._metadata),
                Route("/token", self._token, methods=["POST"]),
                Route("/authorize", self._authorize),
                Route("/register", self._register, methods=["POST"]),
            ]
        )

    async def verify_token(self, token: str) -> AccessToken | None:
        """The SDK resource server's `TokenVerifier`."""
        found = self.tokens.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def _metadata(self, request: Request) -> Response:
        del request
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "registration_endpoint": f"{self.url}/register",
                "scopes_supported": [SCOPE],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    def _client(self, request: Request, form: dict[str, str]) -> str | None:
        """The authenticated client's id (basic or post), None when it fails."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if client_id not in self.clients:
            return None
        expected = self.clients[client_id]
        if expected is not None and secret != expected:
            return None
        return client_id

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> Response:
        token = f"at-{secrets.token_urlsafe(24)}"
        refresh = f"rt-{secrets.token_urlsafe(24)}"
        issued = AccessToken(
            token=token,
            client_id=client_id,
            scopes=scopes,
            expires_at=int(time.time()) + self.lifetime,
            resource=resource,
        )
        self.tokens[token] = issued
        self.refresh[refresh] = issued
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": " ".join(scopes),
            "refresh_token": refresh,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def _token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        client_id = self._client(request, form)
        if client_id is None:
            return _error("invalid_client", "client authentication failed", 401)
        scopes = form.get("scope", SCOPE).split()
        resource = form.get("resource")
        if grant == "client_credentials":
            return self._issue(client_id, scopes, resource)
        if grant == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code.client_id != client_id:
                return _error("invalid_grant", "unknown authorization code")
            if form.get("redirect_uri") != code.redirect_uri:
                return _error("invalid_grant", "redirect_uri does not match")
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != code.challenge:
                return _error("invalid_grant", "PKCE verification failed")
            return self._issue(client_id, code.scopes, code.resource or resource)
        if grant == "refresh_token":
            old = self.refresh.pop(form.get("refresh_token", ""), None)
            if old is None or old.client_id != client_id:
                return _error("invalid_grant", "unknown refresh token")
            return self._issue(client_id, old.scopes, old.resource)
        return _error("unsupported_grant_type", f"grant {grant!r} is not supported")

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self.clients or redirect_uri not in self.redirects.get(client_id, []):
            return _error("invalid_request", "unknown client or redirect_uri")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return _error("invalid_request", "PKCE (S256) is required")
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Code(
            client_id,
            redirect_uri,
            query["code_challenge"],
            query.get("scope", SCOPE).split(),
            query.get("resource"),
        )
        params = {"code": code, "state": query.get("state", ""), "iss": self.url}
        return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

    async def _register(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        client_id = f"dyn-{secrets.token_hex(6)}"
        self.clients[client_id] = None
        self.redirects[client_id] = [str(uri) for uri in body.get("redirect_uris", [])]
        info = {
            **body,
            "client_id": client_id,
            "token_endpoint_auth_method": "none",
            "client_id_issued_at": int(time.time()),
        }
        return JSONResponse(info, status_code=201)


def _error(code: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def protected_server(issuer: str, resource: str, verifier: AuthorizationServer) -> MCPServer:
    """An MCP server that accepts only the authorization server's tokens for `resource`."""
    server = MCPServer(
        "oauth-fixture",
        version="1.0.0",
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=issuer,  # pyright: ignore[reportArgumentType] (pydantic parses it)
            resource_server_url=resource,  # pyright: ignore[reportArgumentType]
            required_scopes=[SCOPE],
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who the caller is, and the bearer token it came with (which a leaky server might
        well echo)."""
        token = get_access_token()
        assert token is not None
        return f"client {token.client_id} with token {token.token}"

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    return server


def listening() -> tuple[socket.socket, str]:
    """A loopback socket already listening (connections wait in its backlog until uvicorn
    accepts them, so nobody needs to wait for it to start), and its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_url() -> str:
    """A loopback URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serve(app: Any, sock: socket.socket) -> AsyncGenerator[None]:
    """`app` served on `sock` by uvicorn in this event loop until the block ends."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    server.capture_signals = _no_signals  # the test runner keeps its own signal handlers
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        try:
            yield
        finally:
            server.should_exit = True


@contextmanager
def _no_signals() -> Generator[None]:
    yield


@dataclass
class Protected:
    """The two servers of one test."""

    auth: AuthorizationServer
    mcp_url: str
    """The protected MCP endpoint (`/mcp`)."""


@asynccontextmanager
async def oauth_servers(*, issuer: str | None = None) -> AsyncGenerator[Protected]:
    """An authorization server and an MCP server protected by it. `issuer`: what the MCP
    server names as its authorization server instead (a URL nothing listens on, say)."""
    auth = AuthorizationServer()
    as_sock, auth.url = listening()
    mcp_sock, mcp_base = listening()
    mcp_url = f"{mcp_base}/mcp"
    mcp = protected_server(issuer or auth.url, mcp_url, auth)
    with as_sock, mcp_sock:
        async with serve(auth.app(), as_sock), serve(mcp.streamable_http_app(), mcp_sock):
            yield Protected(auth, mcp_url)
