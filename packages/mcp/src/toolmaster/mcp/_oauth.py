"""OAuth 2.1 for HTTP servers, through the MCP SDK's client auth providers.

Two grants, by what the SDK supports:

- `client_credentials` (the SDK's `ClientCredentialsOAuthProvider`): a client id and secret
  registered with the authorization server; no person, no browser. The one for unattended runs
  (evaluations, training rollouts). The issuer must be named: the secret is sent to that
  authorization server only, whatever the MCP server points at.
- `authorization_code` with PKCE (the SDK's `OAuthClientProvider`): a person signs in in a
  browser. ToolMaster shows the authorization URL (`SignIn`, wired by interactive apps) and
  listens on a loopback port for the redirect. Without a client id the client registers itself
  (dynamic client registration) where the authorization server allows it.

The flow starts when the server answers 401: discovery (protected-resource metadata, then the
authorization server's metadata), then the grant; tokens are refreshed or fetched again when
they expire. Tokens stay in the store (`toolmaster.mcp._oauth_store`) and the provider;
everything the Toolbox records is scrubbed of them (`on_tokens`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

import anyio
import httpx2
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from toolmaster.mcp._oauth_callback import LoopbackCallback, free_port
from toolmaster.mcp._oauth_store import FileTokens, default_token_folder, memory_tokens

from mcp.client.auth import (
    AuthorizationCodeResult,
    OAuthClientProvider,
    OAuthFlowError,
    OAuthRegistrationError,
    OAuthTokenError,
    TokenStorage,
)
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

__all__ = [
    "SIGN_IN_TIMEOUT",
    "OAuthGrant",
    "OAuthOptions",
    "OAuthSpec",
    "SignIn",
    "TokenSeen",
    "oauth_provider",
    "oauth_reason",
]

logger = logging.getLogger(__name__)

OAuthGrant = Literal["client_credentials", "authorization_code"]
SIGN_IN_TIMEOUT = 300.0
"""Seconds a person has to finish a browser sign-in."""

SignIn = Callable[[str, str], Awaitable[None]]
"""Shows a person where to sign in: called with the server's name and the authorization URL
(an interactive app prints it and opens the browser). The redirect comes back on its own."""

TokenSeen = Callable[[OAuthToken], None]
"""Told of every token the provider stores or loads (to scrub it from everything recorded)."""


class OAuthSpec(BaseModel):
    """An HTTP server's `"auth": {"type": "oauth", ...}`: how to get its bearer token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grant: OAuthGrant = "authorization_code"
    """`client_credentials` (unattended) or `authorization_code` with PKCE (a browser sign-in);
    the config's default is `client_credentials` when a secret is given."""
    client_id: str | None = None
    """The client registered with the authorization server; None registers one dynamically
    (authorization code only)."""
    client_secret: SecretStr | None = None
    """The client's secret (required for client credentials). Secret: redacted everywhere."""
    scopes: tuple[str, ...] = ()
    """Scopes to ask for; none: what the server's 401 or its metadata names."""
    issuer: str | None = None
    """The authorization server's issuer URL. Required for client credentials: the secret goes
    to that server alone. For a browser sign-in, when given, the discovered one must match."""
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"  # noqa: S105 (a method's name, not a password)
    )
    """How the secret is sent to the token endpoint (HTTP Basic, or in the form)."""
    callback_port: int | None = Field(default=None, ge=1, le=65535)
    """The loopback port of a browser sign-in's redirect (`http://127.0.0.1:PORT/callback`);
    None picks a free one (a pre-registered client usually needs a fixed one)."""
    store: Literal["memory", "file"] = "memory"
    """Where tokens live: this process's memory, or a file readable by the user alone in the
    user's cache folder (a browser sign-in then lasts across runs)."""

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.grant == "client_credentials":
            missing = [
                name
                for name, value in (
                    ("client_id", self.client_id),
                    ("client_secret", self.client_secret),
                    ("issuer", self.issuer),
                )
                if not value
            ]
            if missing:
                raise ValueError(
                    f"the client_credentials grant needs {', '.join(missing)} (the issuer is "
                    "the authorization server's URL: the secret is sent there and nowhere else)"
                )
        if self.issuer is not None and not self.issuer.startswith(("http://", "https://")):
            raise ValueError(f"issuer must be an http(s) URL, not {self.issuer!r}")
        return self

    def secrets(self) -> dict[str, str]:
        secret = self.client_secret.get_secret_value() if self.client_secret else ""
        return {"auth.client_secret": secret} if secret else {}

    def key(self, url: str) -> str:
        """What tells this grant's tokens apart from every other's."""
        return json.dumps([url, self.grant, self.issuer, self.client_id, sorted(self.scopes)])


@dataclass(frozen=True, slots=True)
class OAuthOptions:
    """How this program signs in to OAuth-protected servers (the Toolbox's `oauth`)."""

    sign_in: SignIn | None = None
    """Shows a person the browser sign-in (interactive apps); None: servers that need one
    fail to connect, saying so (unattended runs)."""
    token_folder: Path | None = None
    """Where `"store": "file"` keeps tokens; None: the user's cache folder."""


def oauth_provider(
    name: str,
    url: str,
    auth: OAuthSpec,
    options: OAuthOptions,
    *,
    on_tokens: TokenSeen,
    untimed: Callable[[], AbstractContextManager[object]],
) -> OAuthClientProvider:
    """The SDK's auth provider (an `httpx2.Auth`) for the server `name` at `url`.

    `untimed` lifts the connection's own deadline while a person signs in.
    """
    key = auth.key(url)
    if auth.store == "file":
        inner: TokenStorage = FileTokens(options.token_folder or default_token_folder(), key)
    else:
        inner = memory_tokens(key)
    storage = _Watched(inner, on_tokens)
    scope = " ".join(auth.scopes) or None
    if auth.grant == "client_credentials":
        assert auth.client_id is not None  # checked by OAuthSpec, as are the two below
        assert auth.client_secret is not None
        assert auth.issuer is not None
        return ClientCredentialsOAuthProvider(
            server_url=url,
            storage=storage,
            client_id=auth.client_id,
            client_secret=auth.client_secret.get_secret_value(),
            token_endpoint_auth_method=auth.token_endpoint_auth_method,
            scope=scope,
            issuer=auth.issuer,
        )
    callback = LoopbackCallback(auth.callback_port or free_port(), name)
    secret = auth.client_secret.get_secret_value() if auth.client_secret else None
    method = auth.token_endpoint_auth_method if secret else "none"
    metadata = OAuthClientMetadata(
        client_name="ToolMaster",
        redirect_uris=[callback.redirect_uri],  # pyright: ignore[reportArgumentType] (parsed)
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=method,
        scope=scope,
    )
    fixed = (
        None
        if auth.client_id is None
        else OAuthClientInformationFull(
            client_id=auth.client_id,
            client_secret=secret,
            redirect_uris=[callback.redirect_uri],  # pyright: ignore[reportArgumentType]
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method=method,
            scope=scope,
            issuer=auth.issuer,
        )
    )
    browser = _Browser(name, callback, options.sign_in, untimed)
    return _AuthorizationCode(
        url, metadata, storage, browser.redirect, browser.callback, fixed_client=fixed
    )


class _Watched(TokenStorage):
    """A store that tells `seen` of every token that passes through it."""

    def __init__(self, inner: TokenStorage, seen: TokenSeen) -> None:
        self._inner = inner
        self._seen = seen

    async def get_tokens(self) -> OAuthToken | None:
        tokens = await self._inner.get_tokens()
        if tokens is not None:
            self._seen(tokens)
        return tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self._seen(tokens)
        await self._inner.set_tokens(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return await self._inner.get_client_info()

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        await self._inner.set_client_info(client_info)


class _AuthorizationCode(OAuthClientProvider):
    def __init__(
        self,
        server_url: str,
        client_metadata: OAuthClientMetadata,
        storage: TokenStorage,
        redirect_handler: Callable[[str], Awaitable[None]],
        callback_handler: Callable[[], Awaitable[AuthorizationCodeResult]],
        *,
        fixed_client: OAuthClientInformationFull | None,
    ) -> None:
        super().__init__(server_url, client_metadata, storage, redirect_handler, callback_handler)
        self._fixed_client = fixed_client

    async def _initialize(self) -> None:
        await super()._initialize()
        if self._fixed_client is not None:  # a pre-registered client: no registration
            self.context.client_info = self._fixed_client


class _Browser:
    """The two halves of a browser sign-in for the SDK: show the URL and wait for the redirect
    (both in `redirect`, so that the loopback listens while the person signs in)."""

    def __init__(
        self,
        server: str,
        callback: LoopbackCallback,
        sign_in: SignIn | None,
        untimed: Callable[[], AbstractContextManager[object]],
    ) -> None:
        self._server = server
        self._callback = callback
        self._sign_in = sign_in
        self._untimed = untimed
        self._result: AuthorizationCodeResult | None = None

    async def redirect(self, url: str) -> None:
        sign_in = self._sign_in
        if sign_in is None:
            raise OAuthFlowError(NEEDS_SIGN_IN)

        async def show() -> None:
            await sign_in(self._server, url)

        with self._untimed():
            await self._callback.listen()
            try:
                with anyio.fail_after(SIGN_IN_TIMEOUT):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(show)
                        self._result = await self._callback.wait()
            except TimeoutError:
                raise OAuthFlowError(f"no sign-in came back within {SIGN_IN_TIMEOUT:g}s") from None
            finally:
                await self._callback.close()

    async def callback(self) -> AuthorizationCodeResult:
        result, self._result = self._result, None
        if result is None:
            raise OAuthFlowError("the sign-in's redirect never came")
        return result


NEEDS_SIGN_IN = (
    "it needs a browser sign-in (the authorization-code grant) and this run cannot show one: "
    "run `toolmaster run` in a terminal to sign in, or, for unattended runs, give the server "
    'a client registered for the client-credentials grant: "auth": {"type": "oauth", '
    '"client_id": "...", "client_secret": "${SECRET}", "issuer": "https://auth.example.com"}'
)


def oauth_reason(exc: BaseException, *, url: str, auth: OAuthSpec | None) -> str | None:
    """Why an OAuth sign-in failed, in one line naming the config field to fix; None when the
    failure was not one of OAuth (or the server has no `auth`)."""
    if auth is None:
        return None
    found = _find(exc)
    if found is None:
        return None
    if isinstance(found, OAuthFlowError):
        return _flow_error(found, credentials=auth.grant == "client_credentials")
    request_url = _request_url(found)
    if request_url is not None and _origin(request_url) != _origin(url):
        return (
            f"OAuth sign-in failed: could not reach the authorization server at "
            f"{_origin(request_url)} ({type(found).__name__}: {found})"
        )
    return None


def _flow_error(found: OAuthFlowError, *, credentials: bool) -> str:
    if isinstance(found, OAuthTokenError):
        return _token_error(str(found), credentials)
    if isinstance(found, OAuthRegistrationError):
        return (
            f"OAuth sign-in failed: the authorization server would not register a client "
            f"({found}); register one there and give its auth.client_id"
        )
    text = str(found)
    if text == NEEDS_SIGN_IN:
        return text
    if "issuer" in text.lower():
        return f"OAuth sign-in failed: {text}; check auth.issuer"
    return f"OAuth sign-in failed: {text}"


def _find(exc: BaseException) -> BaseException | None:
    """The OAuth error, or the network error of a request to another host, inside `exc`."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OAuthFlowError | httpx2.TransportError):
            return current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        if current.__cause__ is not None:
            todo.append(current.__cause__)
    return None


def _token_error(text: str, credentials: bool) -> str:
    """A refused token request: the server's `error` and `error_description`, and what to fix."""
    body = text.partition(": ")[2]
    detail = body[:200]
    code = ""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = str(data.get("error", ""))  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
        described = data.get("error_description")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        detail = code + (f": {described}" if described else "")
    what = "client credentials" if credentials else "sign-in"
    hint = (
        "check auth.client_id and auth.client_secret"
        if code in ("invalid_client", "unauthorized_client") or not code
        else "check auth.scopes"
        if code == "invalid_scope"
        else "check the client's registration with the authorization server"
    )
    return f"OAuth sign-in failed: the authorization server refused the {what} ({detail}); {hint}"


def _request_url(exc: BaseException) -> str | None:
    try:
        request = getattr(exc, "request", None)
    except RuntimeError:  # httpx raises when an error has no request
        return None
    return None if request is None else str(request.url)


def _origin(url: str) -> str:
    parsed = httpx2.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"
