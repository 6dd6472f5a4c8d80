"""The loopback end of a browser sign-in (RFC 8252): a one-shot HTTP listener on 127.0.0.1 that
the authorization server redirects the browser to with the authorization code."""

from __future__ import annotations

import html
import socket
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc

from mcp.client.auth import AuthorizationCodeResult, OAuthFlowError

__all__ = ["CALLBACK_PATH", "LoopbackCallback", "free_port"]

CALLBACK_PATH = "/callback"
_MAX_REQUEST = 16 * 1024


def free_port() -> int:
    """A loopback port nothing listens on now (for a redirect URI chosen ahead of listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackCallback:
    """Waits for the browser's redirect to `http://127.0.0.1:PORT/callback?code=...&state=...`.

    `listen()` opens the port (before the user is sent to the authorization server, so the
    redirect cannot arrive first); `wait()` answers requests until one carries a code or an
    error, then closes it.
    """

    def __init__(self, port: int, server: str) -> None:
        self.port = port
        self.redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        self._server = server
        self._listener: anyio.abc.SocketListener | None = None

    async def listen(self) -> None:
        if self._listener is None:
            try:
                listeners = await anyio.create_tcp_listener(
                    local_host="127.0.0.1", local_port=self.port
                )
                (listener,) = listeners.listeners
                assert isinstance(listener, anyio.abc.SocketListener)
                self._listener = listener
            except OSError as exc:
                raise OAuthFlowError(
                    f"cannot listen for the sign-in's redirect on 127.0.0.1:{self.port} "
                    f"({exc.strerror or exc}); set another auth.callback_port"
                ) from None

    async def wait(self) -> AuthorizationCodeResult:
        """The code (with `state` and `iss`) that the redirect brought. Raises `OAuthFlowError`
        when the authorization server redirected with an error."""
        await self.listen()
        assert self._listener is not None
        try:
            while True:
                stream = await self._listener.accept()
                async with stream:
                    outcome = await self._answer(stream)
                if outcome is not None:
                    return outcome
        finally:
            await self.close()

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.aclose()

    async def _answer(self, stream: anyio.abc.SocketStream) -> AuthorizationCodeResult | None:
        head = b""
        with anyio.move_on_after(10):
            while b"\r\n\r\n" not in head and len(head) < _MAX_REQUEST:
                try:
                    head += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        target = urlsplit(parts[1]) if len(parts) >= 2 and parts[0] == "GET" else None
        if target is None or target.path != CALLBACK_PATH:
            await _reply(stream, 404, "Not the sign-in callback.")
            return None
        query = {key: values[0] for key, values in parse_qs(target.query).items()}
        if "error" in query:
            reason = query["error"] + (
                f": {query['error_description']}" if "error_description" in query else ""
            )
            await _reply(stream, 400, f"Sign-in to {self._server} failed: {reason}")
            raise OAuthFlowError(f"the authorization server refused the sign-in ({reason})")
        if "code" not in query:
            await _reply(stream, 400, "The redirect carried no authorization code.")
            return None
        await _reply(
            stream, 200, f"Signed in to {self._server}. You can close this tab and go back."
        )
        return AuthorizationCodeResult(
            code=query["code"], state=query.get("state"), iss=query.get("iss")
        )


async def _reply(stream: anyio.abc.SocketStream, status: int, text: str) -> None:
    body = (
        f"<!doctype html><meta charset=utf-8><title>ToolMaster</title><p>{html.escape(text)}</p>"
    ).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        await stream.send(head + body)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        return
