"""Why a server could not be connected, in one line: the reasons `toolmaster tools` and
`toolmaster mutate` print."""

from __future__ import annotations

from http import HTTPStatus
from typing import cast
from urllib.parse import urlsplit

import httpx2

__all__ = ["NEEDS_OAUTH", "HttpRefusals", "connect_reason"]

_REFUSED = (401, 403)

NEEDS_OAUTH = (
    "the server answered HTTP 401 Unauthorized with a Bearer challenge: it wants OAuth. Add "
    'an "auth" section to its entry in the config: "auth": {"type": "oauth"} to sign in in a '
    'browser (toolmaster run in a terminal), or "auth": {"type": "oauth", "client_id": "...", '
    '"client_secret": "${SECRET}", "issuer": "https://auth.example.com"} for a client '
    "registered for the client-credentials grant (unattended runs)"
)


class HttpRefusals:
    """An httpx response hook that notes a 401 or 403 answer: the SDK's streamable HTTP client
    turns it into a bare "Server returned an error response", so the status is caught on the
    way in (`httpx2.AsyncClient(event_hooks={"response": [refusals]})`)."""

    def __init__(self) -> None:
        self.status: int | None = None
        """The last refusal's status, if there was one."""
        self.bearer = False
        """Whether the last refusal challenged for a bearer token (`WWW-Authenticate: Bearer`):
        the server wants OAuth."""

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code in _REFUSED:
            self.status = response.status_code
            challenge = response.headers.get("www-authenticate", "")
            self.bearer = challenge.lower().startswith("bearer")


def connect_reason(
    exc: BaseException,
    *,
    url: str | None = None,
    refused: int | None = None,
    sse: bool = False,
    bearer: bool = False,
    oauth: bool = False,
) -> str:
    """One line for a failure to connect: a missing command, an authentication failure (`refused`:
    the status `HttpRefusals` noted; `bearer`: it asked for OAuth; `oauth`: the server has an
    OAuth `auth` section), else the exception. With `url`, a hint about the other
    HTTP transport: when it was reached as streamable HTTP but looks like a legacy SSE endpoint,
    or as legacy SSE (`sse`) without being one."""
    while isinstance(exc, BaseExceptionGroup):
        exc = cast("BaseExceptionGroup[BaseException]", exc).exceptions[0]
    if isinstance(exc, FileNotFoundError):
        text = f"command not found: {exc.filename or exc}"
    elif refused is not None and oauth:
        text = (
            f"authentication failed: the server answered HTTP {refused} "
            f"{HTTPStatus(refused).phrase} to the OAuth token (check auth.scopes, and that "
            "the authorization server issues tokens for this server)"
        )
    elif refused == 401 and bearer:
        text = f"authentication failed: {NEEDS_OAUTH}"
    elif refused is not None:
        text = (
            f"authentication failed: the server answered HTTP {refused} "
            f"{HTTPStatus(refused).phrase} (check the credentials, e.g. the headers, given for it)"
        )
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if url is None or refused is not None:
        return text
    if sse:
        return text + (
            "; it was reached as a legacy SSE endpoint; if the server speaks streamable HTTP "
            '(often at /mcp), set "type": "http"'
        )
    if urlsplit(url).path.rstrip("/").endswith("/sse"):
        text += (
            "; the URL ends in /sse, a legacy SSE endpoint? It was reached as streamable "
            'HTTP: set "type": "sse" (or leave "type" out)'
        )
    return text
