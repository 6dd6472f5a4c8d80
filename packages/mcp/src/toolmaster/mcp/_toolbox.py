"""The Toolbox: many MCP servers behind one list of tools and one `call`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import anyio
import anyio.abc
import mcp_types as types
from toolmaster.core import (
    EnvSession,
    RenderedPrompt,
    ResourceContents,
    ServerIdentity,
    ToolAnnotations,
    ToolCall,
    ToolMasterError,
    ToolResult,
    ToolSpec,
    UserError,
    WithheldTool,
)
from toolmaster.mcp._catalog import Catalog, PromptListing, ResourceListing
from toolmaster.mcp._client_side import DEFAULT_MAX_SAMPLES, ClientSide, Elicitor, Sampler
from toolmaster.mcp._connection import ConnectFailed, Connection
from toolmaster.mcp._events import Subscriber, ToolEvent, ToolEventKind, emit
from toolmaster.mcp._oauth import OAuthOptions
from toolmaster.mcp._secrets import Secrets, remember
from toolmaster.mcp._spec import ServerSpec

from mcp import Client

__all__ = ["PREFIX_SEPARATOR", "TASKS_REQUIRED", "ServerConnectError", "Toolbox"]

logger = logging.getLogger(__name__)

PREFIX_SEPARATOR = "__"
"""Between a server's name and a tool's when two servers offer tools of the same name."""

TASKS_REQUIRED = (
    "it must be called as an MCP task (execution.taskSupport: required), and ToolMaster does "
    "not support MCP tasks"
)
"""Why a tool whose `execution.taskSupport` is `required` is withheld from the model."""


class ServerConnectError(ToolMasterError):
    """Servers could not be connected when the Toolbox opened (with `require_all=True`)."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        lines = "\n".join(f"- {name}: {reason}" for name, reason in failures.items())
        super().__init__(f"could not connect {len(failures)} MCP server(s):\n{lines}")


@dataclass(frozen=True, slots=True)
class _Route:
    connection: Connection
    tool: str
    """The tool's name on its server."""
    spec: ToolSpec


class Toolbox:
    """Connects to MCP servers concurrently and serves their tools as one set.

    ```python
    async with Toolbox(servers_from_file("mcp.json", environ=os.environ)) as toolbox:
        print([tool.name for tool in toolbox.tools])
        result = await toolbox.call(ToolCall(id="1", tool="add", arguments={"a": 1, "b": 2}))
    ```

    `call` returns a `ToolResult` for every outcome and never raises for a fault of a tool or a
    server: tool errors, timeouts, crashes, invalid responses and oversized output come back as
    results with an `error_kind`. A crashed server is restarted on its next call.

    Secrets of the servers (env and header values, URL passwords, `${VAR}` expansions) are
    scrubbed here, once, from every result, message and tool description before anyone sees
    them: they read `[secret:NAME]` instead. Values under 6 characters are left alone.
    """

    def __init__(
        self,
        servers: Iterable[ServerSpec],
        *,
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
        max_output_bytes: int = 256 * 1024,
        max_message_bytes: int = 256 * 1024 * 1024,
        require_all: bool = True,
        sampler: Sampler | None = None,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        elicitor: Elicitor | None = None,
        server_log_level: types.LoggingLevel | None = "info",
        oauth: OAuthOptions | None = None,
    ) -> None:
        """
        Args:
            servers: The servers to connect, in the order their tools are listed.
            timeout: Seconds a call may take unless `call` is given another timeout.
            connect_timeout: Seconds a server may take to start, answer the handshake and list
                its tools (`npx`/`uvx` servers may download on first start).
            max_output_bytes: Output beyond this is cut (`error_kind="too_large"`).
            max_message_bytes: A stdio message beyond this is not even read into memory; the
                call fails with `too_large`.
            require_all: Raise `ServerConnectError` when any server fails to connect on entry;
                with False the others are served and `errors` says what failed.
            sampler: Answers the servers' `sampling/createMessage` requests (the agent wires
                its policy); without one they are refused with a reason. Each is a
                `sampling` event.
            max_samples: How many sampling requests this Toolbox hands to the sampler, over
                all servers (one Toolbox per episode: a per-episode cap); the rest are
                refused.
            elicitor: Answers the servers' `elicitation/create` requests; by default they
                are declined with a reason (unattended runs). Each is an `elicitation` event.
            server_log_level: The level of server log messages asked for on 2026-era
                connections (None: none); each message is a `server_log` event.
            oauth: How to sign in to HTTP servers with an OAuth `auth` section: the browser
                sign-in of interactive apps, and the folder of `"store": "file"` tokens.
                By default unattended (servers that need a browser sign-in fail to connect,
                saying so), tokens in this process's memory. Tokens are scrubbed like the
                config's secrets.
        """
        specs = list(servers)
        seen: set[str] = set()
        for spec in specs:
            if spec.name in seen:
                raise UserError(f"two servers are named {spec.name!r}")
            seen.add(spec.name)
        self._timeout = timeout
        self._max_output = max_output_bytes
        self._require_all = require_all
        self._secrets = Secrets(*(spec.secrets() for spec in specs))
        remember(self._secrets)  # for log records (SecretFilter) and crash messages (scrub)
        if max_samples < 0:
            raise UserError(f"max_samples must be 0 or more, not {max_samples}")
        self._side = ClientSide(
            emit=self._emit,
            scrub=self._secrets.scrub,
            sampler=sampler,
            max_samples=max_samples,
            elicitor=elicitor,
            log_level=server_log_level,
        )
        self._connections = [
            Connection(
                spec,
                connect_timeout=connect_timeout,
                max_message_bytes=max_message_bytes,
                notify=self._on_connection,
                secrets=self._secrets,
                side=self._side,
                oauth=oauth,
            )
            for spec in specs
        ]
        self._subscribers: tuple[Subscriber, ...] = ()
        self._routes: dict[str, _Route] = {}
        self._aliases: dict[str, _Route] = {}
        self._ambiguous: dict[str, list[str]] = {}
        self._tools: list[ToolSpec] = []
        self._withheld: list[WithheldTool] = []
        self._tg: anyio.abc.TaskGroup | None = None
        self._catalog = Catalog(self._connections, self._secrets, timeout)

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise UserError("this Toolbox is already open")
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        try:
            async with anyio.create_task_group() as connecting:
                for connection in self._connections:
                    connecting.start_soon(self._connect_one, connection)
        except BaseException:
            await self._shutdown(failed=True)
            raise
        failures = {
            c.name: c.error or "unknown error" for c in self._connections if c.client is None
        }
        if failures and self._require_all:
            await self._shutdown(failed=True)
            raise ServerConnectError(failures)
        self._rebuild()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._shutdown(failed=exc is not None)

    async def _connect_one(self, connection: Connection) -> None:
        assert self._tg is not None
        try:
            await connection.connect(self._tg)
        except ConnectFailed as exc:
            await emit(
                self._subscribers, ToolEvent("server_down", connection.name, message=str(exc))
            )
            return
        await emit(self._subscribers, ToolEvent("server_up", connection.name))

    async def _shutdown(self, failed: bool) -> None:
        """Stop every server (at once when `failed`) and leave the task group without wrapping
        the caller's exception in an exception group."""
        tg, self._tg = self._tg, None
        if tg is None:
            return
        for connection in self._connections:
            connection.request_stop()
        if failed:
            tg.cancel_scope.cancel()
        try:
            await tg.__aexit__(None, None, None)
        finally:
            self._routes.clear()
            self._aliases.clear()
            self._tools = []
            self._withheld = []

    async def _on_connection(
        self, connection: Connection, kind: ToolEventKind, message: str | None
    ) -> None:
        if kind == "tools_changed":
            self._rebuild()
        await emit(self._subscribers, ToolEvent(kind, connection.name, message=message))

    # ------------------------------------------------------------------ tools

    def _rebuild(self) -> None:
        """Name every tool: its own name, or `server__tool` where two servers share a name.
        Tools that must be called as MCP tasks are withheld."""
        withheld: list[WithheldTool] = []
        offered: dict[str, list[types.Tool]] = {}
        for connection in self._connections:
            offered[connection.name] = []
            for tool in connection.tools:
                if _needs_tasks(tool):
                    spec = _tool_spec(tool.name, connection, tool, self._secrets)
                    withheld.append(WithheldTool(tool=spec, reason=TASKS_REQUIRED))
                else:
                    offered[connection.name].append(tool)
        counts: dict[str, int] = {}
        for tools in offered.values():
            for name in {tool.name for tool in tools}:
                counts[name] = counts.get(name, 0) + 1
        routes: dict[str, _Route] = {}
        aliases: dict[str, _Route] = {}
        ambiguous: dict[str, list[str]] = {}
        for connection in self._connections:
            for tool in offered[connection.name]:
                prefixed = f"{connection.name}{PREFIX_SEPARATOR}{tool.name}"
                exposed = tool.name if counts[tool.name] == 1 else prefixed
                if exposed in routes:
                    continue  # a server listed the same tool twice: the first one wins
                spec = _tool_spec(exposed, connection, tool, self._secrets)
                route = _Route(connection, tool.name, spec)
                routes[exposed] = route
                aliases.setdefault(prefixed, route)
                if exposed != tool.name:
                    ambiguous.setdefault(tool.name, []).append(exposed)
        self._routes, self._aliases, self._ambiguous = routes, aliases, ambiguous
        self._tools = [route.spec for route in routes.values()]
        self._withheld = withheld

    @property
    def tools(self) -> Sequence[ToolSpec]:
        """Every tool of every connected server, by the names the model calls them by."""
        return self._tools

    @property
    def withheld(self) -> Sequence[WithheldTool]:
        """The tools the servers list that are not offered (nor callable), with the reason:
        those that must be called as MCP tasks, which ToolMaster does not support."""
        return self._withheld

    def tool(self, name: str) -> ToolSpec | None:
        """The tool called `name` (also accepts `server__tool`), or None."""
        route = self._routes.get(name) or self._aliases.get(name)
        return route.spec if route else None

    async def refresh(self) -> Sequence[ToolSpec]:
        """List every server's tools again (servers that announce changes need not)."""
        changed: list[Connection] = []

        async def refresh_one(connection: Connection) -> None:
            if await connection.refresh():
                changed.append(connection)

        async with anyio.create_task_group() as tg:
            for connection in self._connections:
                tg.start_soon(refresh_one, connection)
        for connection in changed:
            await self._on_connection(connection, "tools_changed", None)
        return self._tools

    # ------------------------------------------------------------------ servers

    @property
    def servers(self) -> Sequence[ServerIdentity]:
        """Every configured server as episodes record it (names and versions from the
        handshake once connected)."""
        return [connection.identity for connection in self._connections]

    @property
    def errors(self) -> dict[str, str]:
        """Why each server that is not connected failed (with `require_all=False`)."""
        return {c.name: c.error for c in self._connections if c.client is None and c.error}

    def env_session(self, server: str) -> EnvSession | None:
        """The live state of an in-process bundled environment (for snapshot and restore)."""
        return self._connection(server).env_session

    def client(self, server: str) -> Client:
        """The connected `mcp.Client` of `server`, for what the Toolbox does not wrap."""
        client = self._connection(server).client
        if client is None:
            raise UserError(f"server {server!r} is not connected")
        return client

    def _connection(self, server: str) -> Connection:
        for connection in self._connections:
            if connection.name == server:
                return connection
        raise UserError(f"no server named {server!r}")

    # ------------------------------------------------------------------ resources, prompts

    async def list_resources(self, server: str | None = None) -> ResourceListing:
        """The resources and resource templates of every connected server that has any (or
        of `server` alone); a server whose listing fails is in the listing's `errors`."""
        self._require_open()
        return await self._catalog.list_resources(server)

    async def read_resource(
        self, uri: str, *, server: str | None = None, timeout: float | None = None
    ) -> list[ResourceContents]:
        """Read the resource at `uri` from the server that lists it, or else the first whose
        resource template matches it (or from `server`). A URI no server lists or matches is
        a `UserError` that names the resources there are; a server that fails to answer is
        a `ServerRequestError`."""
        self._require_open()
        return await self._catalog.read_resource(uri, server=server, timeout=timeout)

    async def list_prompts(self, server: str | None = None) -> PromptListing:
        """The prompts of every connected server that has any (or of `server` alone); a
        server whose listing fails is in the listing's `errors`."""
        self._require_open()
        return await self._catalog.list_prompts(server)

    async def get_prompt(
        self,
        name: str,
        arguments: Mapping[str, str] | None = None,
        *,
        server: str | None = None,
        timeout: float | None = None,
    ) -> RenderedPrompt:
        """Render the prompt `name` with `arguments`. An unknown prompt, one two servers
        offer (without `server`), a missing required argument or an undeclared one is a
        `UserError`; a server that fails to answer is a `ServerRequestError`."""
        self._require_open()
        return await self._catalog.get_prompt(name, arguments or {}, server=server, timeout=timeout)

    def _require_open(self) -> None:
        if self._tg is None:
            raise UserError("the Toolbox is not open: use it as `async with Toolbox(...)`")

    # ------------------------------------------------------------------ events

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every `ToolEvent` from now on; returns the unsubscribe."""
        self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    async def _emit(self, event: ToolEvent) -> None:
        await emit(self._subscribers, event)

    @property
    def samples(self) -> int:
        """How many sampling requests this Toolbox has handed to its sampler."""
        return self._side.samples

    # ------------------------------------------------------------------ calls

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        """Call a tool; the result of every outcome, errors included, with its latency.

        `timeout` (seconds) overrides the Toolbox's for this call; on expiry the call is
        cancelled on the server and the result has `error_kind="timeout"`.
        """
        self._require_open()
        route = self._routes.get(call.tool) or self._aliases.get(call.tool)
        server = route.connection.name if route is not None else None
        subscribers = self._subscribers
        if subscribers:
            await emit(subscribers, ToolEvent("tool_call", server, call=call))
        try:
            if route is None:
                result = ToolResult.error(call.id, "refused", self._unknown(call.tool))
            else:
                result = await route.connection.call(
                    call,
                    route.tool,
                    timeout=self._timeout if timeout is None else timeout,
                    limit=self._max_output,
                )
            result = self._secrets.result(result)
        except anyio.get_cancelled_exc_class():
            if subscribers:
                with anyio.CancelScope(shield=True):
                    await emit(subscribers, ToolEvent("tool_cancelled", server, call=call))
            raise
        if subscribers:
            await emit(subscribers, ToolEvent("tool_result", server, call=call, result=result))
        return result

    def _unknown(self, name: str) -> str:
        for item in self._withheld:
            if name in (item.tool.name, f"{item.tool.server}{PREFIX_SEPARATOR}{item.tool.name}"):
                return f"tool {name!r} is not offered: {item.reason}"
        if name in self._ambiguous:
            options = ", ".join(self._ambiguous[name])
            return f"tool {name!r} is offered by more than one server; call one of: {options}"
        names = list(self._routes)
        listed = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
        return f"unknown tool {name!r}; the tools are: {listed or 'none'}"


def _needs_tasks(tool: types.Tool) -> bool:
    """Whether the tool can only be called as an MCP task."""
    return tool.execution is not None and tool.execution.task_support == "required"


def _tool_spec(name: str, connection: Connection, tool: types.Tool, secrets: Secrets) -> ToolSpec:
    """The tool as offered under `name`, keyed for experience by the server's identity."""
    hints = tool.annotations
    annotations = (
        ToolAnnotations(
            title=hints.title,
            read_only_hint=hints.read_only_hint,
            destructive_hint=hints.destructive_hint,
            idempotent_hint=hints.idempotent_hint,
            open_world_hint=hints.open_world_hint,
        )
        if hints is not None
        else ToolAnnotations()
    )
    return ToolSpec(
        name=name,
        server=connection.name,
        server_identity=connection.identity.announced,
        upstream_name=None if name == tool.name else tool.name,
        title=tool.title or annotations.title,
        description=secrets.scrub(tool.description or ""),
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
        annotations=annotations,
    )
