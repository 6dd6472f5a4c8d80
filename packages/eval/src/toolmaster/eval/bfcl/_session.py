"""One BFCL entry's simulators served over MCP: one low-level server per simulator class.

Every call is turned into BFCL's call string and run by BFCL's own executor
(`execute_multi_turn_func_call`), which creates the instances from the entry's
`initial_config` exactly as BFCL's inference and checker do and keeps them between calls, so
the state carries over from call to call and from user turn to user turn. The result is the
string BFCL's executor returns (dicts as JSON); an exception inside a simulator method — BFCL's
`Error during execution: ...` — is returned as an MCP tool error with that same text.

Trials are isolated: the session is the agent's `Sandbox`. `snapshot()` moves calls to a
throwaway set of instances (loaded from `initial_config` and brought to the scored state by
replaying the scored calls, BFCL's own notion of state), and `restore()` drops it and moves
back. So trial calls never touch the scored instances, and the scored state is exactly what
the execution-phase calls made of it — what BFCL's checker replays.
"""

from __future__ import annotations

import logging
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from pydantic import JsonValue
from toolmaster.core import new_id
from toolmaster.eval.bfcl import _upstream
from toolmaster.eval.bfcl._calls import call_string, executable, mcp_tool
from toolmaster.eval.bfcl._data import BfclEntry
from toolmaster.mcp import InProcessServerSpec

logger = logging.getLogger(__name__)

_ERROR_PREFIX = "Error during execution"
"""How BFCL's executor reports an exception raised by a simulator method."""


class BfclSession:
    """The simulator instances of one run of one entry, and the MCP servers that serve them.

    Use it as a context manager (or call `close`): BFCL's executor keeps every instance it
    makes in its module globals, and closing forgets this session's.
    """

    def __init__(self, entry: BfclEntry, *, namespace: str | None = None) -> None:
        self.entry = entry
        self.namespace = namespace or f"toolmaster_{new_id()}"
        """The instance name prefix of this session in BFCL's executor."""
        self.executed: list[str] = []
        """Call strings run on the scored instances, in order."""
        self._active = self.namespace
        self._trials = 0
        self._offered: dict[str, types.Tool] = {}
        self.offer(0)
        self.servers: dict[str, Server[Any]] = {
            name: self._server(name) for name in entry.involved_classes
        }
        """One MCP server per involved simulator class, by class name."""

    def __enter__(self) -> BfclSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget every instance this session made (scored, trial and checker ones)."""
        _upstream.release(self.namespace)

    def specs(self) -> list[InProcessServerSpec]:
        """The servers as in-process `ServerSpec`s for a `Toolbox`, named after the classes."""
        return [InProcessServerSpec(name=name, server=s) for name, s in self.servers.items()]

    def offer(self, turn: int) -> list[str]:
        """Offer the functions of `turn` (held-out ones join at their turn); the new names."""
        added: list[str] = []
        for doc in self.entry.functions_at(turn):
            name = str(doc["name"])
            if name not in self._offered:
                self._offered[name] = mcp_tool(doc)
                added.append(name)
        return added

    @property
    def offered(self) -> list[str]:
        """The function names on offer now."""
        return list(self._offered)

    # ------------------------------------------------------------------ sandbox

    def snapshot(self) -> JsonValue:
        """Send calls to a throwaway copy of the scored instances until `restore`."""
        self._trials += 1
        trial = f"{self.namespace}_trial{self._trials}"
        self._run(self.executed, trial)  # brings a fresh copy to the scored state
        self._active = trial
        return trial

    def restore(self, snapshot: JsonValue) -> None:
        """Drop the throwaway copy and send calls to the scored instances again."""
        _upstream.release(str(snapshot))
        self._active = self.namespace

    # ------------------------------------------------------------------ state

    def instances(self) -> dict[str, object]:
        """The scored simulator instances, by class name."""
        return _upstream.instances(
            initial_config=self.entry.initial_config,
            involved_classes=self.entry.involved_classes,
            namespace=self.namespace,
            entry_id=self.entry.id,
        )

    def call(self, name: str, arguments: dict[str, JsonValue]) -> types.CallToolResult:
        """Run one call on the active instances, as BFCL's executor does."""
        if name not in self._offered:
            return _error(f"Unknown tool: {name}")
        if reason := executable(arguments):
            return _error(f"{name}: {reason}")
        text = call_string(name, arguments)
        result = self._run([text], self._active)[0]
        if self._active == self.namespace:
            self.executed.append(text)
        return types.CallToolResult(
            content=[types.TextContent(text=result)], is_error=result.startswith(_ERROR_PREFIX)
        )

    def _run(self, calls: list[str], namespace: str) -> list[str]:
        return _upstream.execute(
            calls,
            initial_config=self.entry.initial_config,
            involved_classes=self.entry.involved_classes,
            namespace=namespace,
            entry_id=self.entry.id,
        )

    # ------------------------------------------------------------------ MCP

    def _server(self, class_name: str) -> Server[Any]:
        classes = self.entry.classes

        async def list_tools(
            ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
        ) -> types.ListToolsResult:
            del ctx, params
            tools = [t for n, t in self._offered.items() if classes.get(n) == class_name]
            return types.ListToolsResult(tools=tools)

        async def call_tool(
            ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
        ) -> types.CallToolResult:
            del ctx
            if classes.get(params.name) != class_name:
                return _error(f"Unknown tool: {params.name}")
            return self.call(params.name, dict(params.arguments or {}))

        return Server(
            class_name,
            version=_upstream.bfcl_version(),
            on_list_tools=list_tools,
            on_call_tool=call_tool,
        )


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
