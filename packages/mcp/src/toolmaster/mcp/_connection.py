"""One server's connection: a task that owns the `mcp.Client`, its tool list, restarts, and the
translation of every way a call can fail into a `ToolResult`."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.abc
import mcp_types as types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError
from toolmaster.core import (
    EnvSession,
    ErrorKind,
    ServerIdentity,
    ToolCall,
    ToolResult,
    encodable_json,
)
from toolmaster.mcp._client_side import ClientSide
from toolmaster.mcp._events import ToolEvent
from toolmaster.mcp._failures import HttpRefusals, connect_reason
from toolmaster.mcp._listing import list_all_tools
from toolmaster.mcp._oauth import OAuthOptions, oauth_provider, oauth_reason
from toolmaster.mcp._results import to_tool_result
from toolmaster.mcp._secrets import Secrets, remember
from toolmaster.mcp._spec import HttpServerSpec, ServerSpec, StdioServerSpec
from toolmaster.mcp._stdio import MessageTooLarge, StderrTail
from toolmaster.mcp._targets import make_target, transport_of

from mcp import Client, MCPError
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import IncomingMessage
from mcp.client.subscriptions import ListenNotSupportedError, SubscriptionLost
from mcp.shared.auth import OAuthToken

__all__ = ["ConnectFailed", "Connection"]

logger = logging.getLogger(__name__)

_CLIENT_INFO = types.Implementation(name="toolmaster", version="0.1.0")
_PROTOCOL_CODES = (types.PARSE_ERROR, types.INVALID_REQUEST, types.METHOD_NOT_FOUND)


Notify = Callable[
    ["Connection", Literal["server_up", "server_down", "tools_changed"], str | None],
    Awaitable[None],
]
"""How a connection reports to its Toolbox: servers up and down, tool lists changed."""


class ConnectFailed(Exception):  # noqa: N818 (internal signal, message is the reason)
    """A server could not be connected; the message says why (secrets scrubbed)."""


@dataclass(slots=True, eq=False)
class _Inflight:
    scope: anyio.CancelScope
    fault: tuple[ErrorKind, str, int | None] | None = None


class Connection:
    """The live connection to one server, restarted on the next use after it dies.

    A runner task in the Toolbox's task group enters the `mcp.Client` and stays inside it
    until asked to stop or until the transport dies; calls come from any task.
    """

    def __init__(
        self,
        spec: ServerSpec,
        *,
        connect_timeout: float,
        max_message_bytes: int,
        notify: Notify,
        secrets: Secrets | None = None,
        side: ClientSide | None = None,
        oauth: OAuthOptions | None = None,
    ) -> None:
        """`secrets`: what to scrub from messages (default: the spec's own); `side`: how the
        client answers the server's requests and reports its notifications (default: roots,
        elicitations declined, sampling refused, no events); `oauth`: how to sign in to a
        server with an OAuth `auth` section (default: unattended, tokens in memory)."""
        self.spec = spec
        self.name = spec.name
        self.client: Client | None = None
        self.tools: list[types.Tool] = []
        self.identity = ServerIdentity(name=spec.name, transport=transport_of(spec))
        self.error: str | None = None
        self.env_session: EnvSession | None = None
        self.restarts = 0
        self._connect_timeout = connect_timeout
        self._max_message_bytes = max_message_bytes
        self._notify = notify
        self._secrets = Secrets(spec.secrets()) if secrets is None else secrets
        self._in_process = self.identity.transport == "memory"
        if side is None:
            side = ClientSide(emit=_no_events, scrub=self._secrets.scrub)
        cwd = spec.cwd if isinstance(spec, StdioServerSpec) else None
        self._handlers = side.handlers(spec.name, spec.roots, cwd)
        self._log_level: types.LoggingLevel | None = side.log_level
        self._tail = StderrTail(spec.name, scrub=self._secrets.scrub)
        self._refusals = HttpRefusals()
        self._oauth = oauth or OAuthOptions()
        self._tg: anyio.abc.TaskGroup | None = None
        self._lock = anyio.Lock()
        self._stop = anyio.Event()
        self._stopped = anyio.Event()
        self._stopped.set()
        self._inflight: set[_Inflight] = set()
        self._changes: MemoryObjectSendStream[None] | None = None
        self._died: Callable[[], None] = lambda: None
        """Set by each runner: mark its connection dead so that the next call reconnects."""

    # ------------------------------------------------------------------ lifecycle

    def scrub(self, text: str) -> str:
        """`text` with the secrets replaced by `[secret:NAME]`."""
        return self._secrets.scrub(text)

    async def connect(self, tg: anyio.abc.TaskGroup) -> None:
        """Start the runner in `tg` and wait until it is connected. Raises `ConnectFailed`."""
        self._tg = tg
        ready = anyio.Event()
        self._stop = anyio.Event()
        self._stopped = anyio.Event()
        self.error = None
        self._tail.clear()
        self._refusals = HttpRefusals()
        tg.start_soon(self._run, ready, self._stop, self._stopped)
        await ready.wait()
        if self.client is None:
            raise ConnectFailed(self.error or "the connection ended before it was ready")

    async def ensure(self) -> Client:
        """The connected client, reconnecting first if the server died. Raises `ConnectFailed`."""
        async with self._lock:
            client = self.client
            if client is not None:
                return client
            if self._tg is None:
                raise ConnectFailed("the Toolbox is not open")
            await self.close()
            before = self.tools
            try:
                await self.connect(self._tg)
            except ConnectFailed as exc:
                await self._notify(self, "server_down", f"restart failed: {exc}")
                raise
            self.restarts += 1
            await self._notify(self, "server_up", f"restarted (restart {self.restarts})")
            if self.tools != before:
                await self._notify(self, "tools_changed", None)
            assert self.client is not None
            return self.client

    def request_stop(self) -> None:
        """Ask the runner to leave the client (shutting the server down); see `close`."""
        self._stop.set()

    async def close(self) -> None:
        """Ask the runner to leave the client and wait until it has."""
        self._stop.set()
        await self._stopped.wait()

    async def _run(self, ready: anyio.Event, stop: anyio.Event, stopped: anyio.Event) -> None:
        lost: list[str] = []
        connected = False

        def died() -> None:  # the transport ended: leave the client; the next call reconnects
            self.client = None
            if not stop.is_set():
                lost.append("the server exited")
                stop.set()

        self._died = died
        scope = anyio.CancelScope(deadline=anyio.current_time() + self._connect_timeout)
        try:
            target = make_target(
                self.spec,
                tail=self._tail,
                max_message_bytes=self._max_message_bytes,
                on_exit=died,
                env_session=self.env_session,
                refusals=self._refusals,
                auth=self._auth(scope),
            )
            self.env_session = target.env_session
            handlers = self._handlers
            client = Client(
                target.server,
                message_handler=self._on_message,
                client_info=_CLIENT_INFO,
                cache=None,
                list_roots_callback=handlers.list_roots,
                sampling_callback=handlers.sample,
                elicitation_callback=handlers.elicit,
                logging_callback=handlers.log,
                log_level=self._log_level,
                mode=target.mode,
            )
            with scope:
                async with client:
                    self.tools = await list_all_tools(client)
                    scope.deadline = math.inf
                    self._connected(client)
                    connected = True
                    ready.set()
                    changes, changed = anyio.create_memory_object_stream[None](1)
                    async with changes, changed, anyio.create_task_group() as tg:
                        self._changes = changes
                        tg.start_soon(self._refresher, client, changed)
                        if _listens(client):
                            tg.start_soon(self._listen, client)
                        await stop.wait()
                        tg.cancel_scope.cancel()
            if scope.cancelled_caught and not connected:
                self.error = f"no answer within {self._connect_timeout:g}s of starting"
        except Exception as exc:  # noqa: BLE001 (every failure to connect or stay connected is recorded)
            reason = self._describe(exc)
            if not connected:
                self.error = reason
                logger.info("MCP server %r: could not connect: %s", self.name, reason)
            elif not lost:
                lost.append(reason)
        finally:
            self.client = None
            self._changes = None
            ready.set()
            stopped.set()
        if lost and connected:
            logger.warning("MCP server %r: connection lost: %s", self.name, lost[0])
            await self._notify(self, "server_down", lost[0])

    def _auth(self, scope: anyio.CancelScope) -> OAuthClientProvider | None:
        """The OAuth provider of an HTTP server with an `auth` section, for one attempt."""
        spec = self.spec
        if not isinstance(spec, HttpServerSpec) or spec.auth is None:
            return None

        @contextmanager
        def untimed() -> Generator[None]:  # a person signing in takes the time it takes
            scope.deadline = math.inf
            try:
                yield
            finally:
                scope.deadline = anyio.current_time() + self._connect_timeout

        return oauth_provider(
            spec.name, spec.url, spec.auth, self._oauth, on_tokens=self._token_seen, untimed=untimed
        )

    def _token_seen(self, token: OAuthToken) -> None:
        """Scrub the token from everything recorded from now on, like the config's secrets."""
        found = {"oauth access token": token.access_token}
        if token.refresh_token:
            found["oauth refresh token"] = token.refresh_token
        self._secrets.add(found)
        remember(Secrets(found))

    def _connected(self, client: Client) -> None:
        info = client.server_info
        self.identity = ServerIdentity(
            name=self.name,
            transport=self.identity.transport,
            server_name=info.name if info else None,
            server_version=(info.version or None) if info else None,
        )
        self.client = client

    def _describe(self, exc: BaseException) -> str:
        http = self.spec if isinstance(self.spec, HttpServerSpec) else None
        auth = None if http is None else http.auth
        text = None if http is None else oauth_reason(exc, url=http.url, auth=auth)
        if text is None:
            text = connect_reason(
                exc,
                url=None if http is None else http.url,
                refused=self._refusals.status,
                sse=http is not None and http.transport == "sse",
                bearer=self._refusals.bearer,
                oauth=auth is not None,
            )
        if stderr := self._tail.text():
            text += f"\n--- server stderr (last lines) ---\n{stderr}"
        return self.scrub(text)

    # ------------------------------------------------------------------ tools

    async def refresh(self) -> bool:
        """List the tools again; whether the list changed."""
        client = self.client
        if client is None:
            return False
        try:
            with anyio.fail_after(self._connect_timeout):
                tools = await list_all_tools(client)
        except (
            MCPError,
            ValidationError,
            TimeoutError,
            RuntimeError,
            anyio.BrokenResourceError,
        ) as exc:
            logger.warning(
                "MCP server %r: listing tools failed: %s", self.name, self._describe(exc)
            )
            return False
        changed = tools != self.tools
        self.tools = tools
        return changed

    def _changed(self) -> None:
        if self._changes is not None:
            with suppress(anyio.WouldBlock, anyio.ClosedResourceError):  # already queued; closed
                self._changes.send_nowait(None)

    async def _refresher(self, client: Client, changed: MemoryObjectReceiveStream[None]) -> None:
        async for _ in changed:
            if client is not self.client:
                return
            if await self.refresh():
                await self._notify(self, "tools_changed", None)

    async def _listen(self, client: Client) -> None:
        """On 2026-era connections change notifications come on a `subscriptions/listen` stream."""
        try:
            async with client.listen(tools_list_changed=True) as subscription:
                if not subscription.honored.tools_list_changed:
                    return
                async for _event in subscription:
                    self._changed()
        except (ListenNotSupportedError, SubscriptionLost, MCPError, TimeoutError) as exc:
            logger.debug("MCP server %r: no tools/list_changed stream: %s", self.name, exc)

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._changed()
        elif isinstance(message, Exception):
            self._fault(message)

    def _fault(self, exc: Exception) -> None:
        """The transport delivered something that is not MCP: fail the calls waiting on it."""
        if isinstance(exc, MessageTooLarge):
            fault: tuple[ErrorKind, str, int | None] = ("too_large", str(exc), exc.size)
        else:
            fault = (
                "protocol",
                self.scrub(f"the server sent a message that is not valid MCP: {_first_line(exc)}"),
                None,
            )
        if not self._inflight:
            logger.warning("MCP server %r: %s", self.name, fault[1])
        for slot in list(self._inflight):
            slot.fault = fault
            slot.scope.cancel()

    # ------------------------------------------------------------------ calls

    async def call(self, call: ToolCall, tool: str, *, timeout: float, limit: int) -> ToolResult:
        """Call `tool` on this server for `call`; every outcome is a `ToolResult`."""
        start = time.perf_counter()
        client = self.client
        if client is None:
            try:
                client = await self.ensure()
            except ConnectFailed as exc:
                message = f"server {self.name!r} is down and could not be restarted: {exc}"
                return ToolResult.error(
                    call.id, "server_crashed", message, latency_s=time.perf_counter() - start
                )
        failure: tuple[ErrorKind, str] | None = None
        raw: types.CallToolResult | None = None
        arguments = encodable_json(call.arguments)  # a model may write a lone surrogate
        slot: _Inflight | None = None
        progress = self._handlers.progress(call)
        if self._in_process:
            # No stream, so no fault to cancel on: the SDK's own per-request scope keeps time.
            try:
                raw = await client.call_tool(
                    tool, arguments, read_timeout_seconds=timeout, progress_callback=progress
                )
            except Exception as exc:  # noqa: BLE001 (becomes the result; logged when unexpected)
                failure = await self._classify(exc, client)
        else:
            # Our own deadline: the SDK's clock starts only once the request is written, and a
            # server that stops reading its stdin would block the write forever.
            scope = anyio.CancelScope(deadline=anyio.current_time() + timeout)
            slot = _Inflight(scope)
            with scope:
                self._inflight.add(slot)
                try:
                    raw = await client.call_tool(tool, arguments, progress_callback=progress)
                except Exception as exc:  # noqa: BLE001 (becomes the result; logged when unexpected)
                    failure = await self._classify(exc, client)
                finally:
                    self._inflight.discard(slot)
        latency = time.perf_counter() - start
        if raw is not None:
            return to_tool_result(call.id, raw, latency_s=latency, limit=limit)
        if failure is None and slot is not None and slot.fault is not None:
            kind, message, size = slot.fault
            result = ToolResult.error(call.id, kind, message, latency_s=latency)
            return result.model_copy(update={"original_size": size}) if size is not None else result
        if failure is None or failure[0] == "timeout":
            failure = (
                "timeout",
                f"no result from {tool!r} within {timeout:g}s; the call was cancelled",
            )
        return ToolResult.error(call.id, failure[0], failure[1], latency_s=latency)

    async def _classify(self, exc: Exception, client: Client) -> tuple[ErrorKind, str]:
        """The error kind and message of a call that raised."""
        gone = self.client is not client
        kind: ErrorKind
        if isinstance(exc, MCPError):
            if exc.code == types.CONNECTION_CLOSED or gone:
                return await self._crashed(client)
            if exc.code == types.REQUEST_TIMEOUT:
                kind, message = "timeout", exc.message
            else:
                kind = "protocol" if exc.code in _PROTOCOL_CODES else "tool_error"
                message = f"MCP error {exc.code}: {exc.message}"
        elif isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError) or (
            isinstance(exc, RuntimeError) and gone
        ):
            return await self._crashed(client)
        elif isinstance(exc, ValidationError):
            kind, message = "protocol", f"the server's result is not valid MCP: {_first_line(exc)}"
        elif isinstance(exc, RuntimeError):  # the SDK's own checks: output schema, input requests
            kind, message = "protocol", str(exc)
        else:
            logger.error("MCP server %r: unexpected failure of a call", self.name, exc_info=exc)
            kind, message = "protocol", f"{type(exc).__name__}: {exc}"
        return kind, self.scrub(message)

    async def _crashed(self, client: Client) -> tuple[ErrorKind, str]:
        with anyio.move_on_after(0.5):  # let the transport finish noticing (for the stderr tail)
            await self._stopped.wait()
        if self.client is client:
            self._died()
        message = f"server {self.name!r} closed the connection (it crashed or exited)"
        if stderr := self._tail.text():
            message += f"\n--- server stderr (last lines) ---\n{stderr}"
        return "server_crashed", self.scrub(message)


async def _no_events(event: ToolEvent) -> None:
    del event


def _listens(client: Client) -> bool:
    if client.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    tools = client.server_capabilities.tools
    return bool(tools and tools.list_changed)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
