"""Why a server could not be connected, in one line: the reasons `toolmaster tools` and
`toolmaster mutate` print."""

from __future__ import annotations

from http import HTTPStatus
from typing import cast
from urllib.parse import urlsplit

import httpx2

__all__ = ["HttpRefusals", "connect_reason"]

_REFUSED = (401, 403)


class HttpRefusals:
    """An httpx response hook that notes a 401 or 403 answer: the SDK's streamable HTTP client
    turns it into a bare "Server returned an error response", so the status is caught on the
    way in (`httpx2.AsyncClient(event_hooks={"response": [refusals]})`)."""

    def __init__(self) -> None:
        self.status: int | None = None
        """The last refusal's status, if there was one."""

    async def __call__(self, response: httpx2.Response) -> None:
        if response.status_code in _REFUSED:
            self.status = response.status_code


def connect_reason(
    exc: BaseException, *, url: str | None = None, refused: int | None = None
) -> str:
    """One line for a failure to connect: a missing command, an authentication failure (`refused`:
    the status `HttpRefusals` noted), else the exception; with a hint when `url` looks like a
    legacy SSE endpoint."""
    while isinstance(exc, BaseExceptionGroup):
        exc = cast("BaseExceptionGroup[BaseException]", exc).exceptions[0]
    if isinstance(exc, FileNotFoundError):
        text = f"command not found: {exc.filename or exc}"
    elif refused is not None:
        text = (
            f"authentication failed: the server answered HTTP {refused} "
            f"{HTTPStatus(refused).phrase} (check the credentials, e.g. the headers, given for it)"
        )
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if url is not None and urlsplit(url).path.rstrip("/").endswith("/sse"):
        text += (
            "; the URL ends in /sse, a legacy SSE endpoint? ToolMaster speaks streamable HTTP "
            "(often at /mcp)"
        )
    return text
