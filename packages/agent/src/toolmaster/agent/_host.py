"""What the agent loop needs from its surroundings, as small protocols.

The Toolbox of `toolmaster.mcp` is a `ToolHost`, a `ResourceReader` and `ServerEvents`; a bundled
environment's session is a `Sandbox`; `toolmaster.mcp.NamespaceSandbox` is a `TrialSandbox`; the
session store is an `ExperienceStore`. Keeping these narrow lets the loop run against any of them —
and against in-memory stand-ins in tests of the loop itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pydantic import JsonValue
from toolmaster.core import (
    Event,
    Experience,
    ResourceContents,
    ServerIdentity,
    ToolCall,
    ToolKey,
    ToolResult,
    ToolSpec,
)
from toolmaster.mcp import ResourceListing, Subscriber


class ToolHost(Protocol):
    """Tools the agent can see and call. `call` never raises for a tool-level fault."""

    @property
    def tools(self) -> Sequence[ToolSpec]: ...

    @property
    def servers(self) -> Sequence[ServerIdentity]: ...

    def tool(self, name: str) -> ToolSpec | None:
        """The tool a call of `name` reaches, by any name the host accepts for it (the Toolbox
        also accepts `server__tool`), or None: trial safety is decided on this tool."""
        ...

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult: ...


class ResourceReader(Protocol):
    """MCP resources the model can read through the `read_resource` control tool."""

    async def list_resources(self) -> ResourceListing:
        """The resources and resource templates there are (asked once, as an episode starts)."""
        ...

    async def read_resource(
        self, uri: str, *, timeout: float | None = None
    ) -> list[ResourceContents]:
        """The contents at `uri`. Raises `toolmaster.core.UserError` for a URI no server lists
        or matches, `toolmaster.mcp.ServerRequestError` when its server fails to answer."""
        ...


class ServerEvents(Protocol):
    """What the servers tell and ask the client besides call results: log messages, progress,
    sampling and elicitation requests (`toolmaster.mcp.ToolEvent`s, from the Toolbox). The
    agent records them on the episode and in its event stream."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every event from now on; returns the unsubscribe."""
        ...


class Sandbox(Protocol):
    """State that can be put back: trial calls are undone by restoring the snapshot."""

    def snapshot(self) -> JsonValue: ...

    def restore(self, snapshot: JsonValue) -> None: ...


class TrialSandbox(Protocol):
    """Throwaway instances of servers that trial calls run in instead of the real servers; what
    they did is discarded when the trial ends (`toolmaster.mcp.NamespaceSandbox`)."""

    def covers(self, server: str) -> bool:
        """Whether trial calls of `server`'s tools can run here."""
        ...

    async def call(
        self, tool: ToolSpec, call: ToolCall, *, timeout: float | None = None
    ) -> ToolResult:
        """Make `call` of `tool` in the throwaway instance of its server."""
        ...

    async def discard(self) -> None:
        """Stop the instances and drop what they did (the trial is over)."""
        ...


class ExperienceStore(Protocol):
    """Where experience persists across sessions, keyed by tool version (`ToolSpec.key`:
    the server's identity, the tool's own name, its schema hash); read through
    `find_experience`, which also tries the keys of experience saved before keys were
    identities."""

    def get_experience(self, key: ToolKey) -> Experience | None: ...

    def put_experience(self, experience: Experience) -> None: ...


EventSink = Callable[[Event], Awaitable[None]]
"""Receives every event of an episode, in order. It must not raise."""
