"""`JsonSession`, an environment instance whose whole mutable state is one JSON object."""

from __future__ import annotations

import copy

from mcp.server.mcpserver import MCPServer
from pydantic import JsonValue


class JsonSession:
    """An environment instance whose whole mutable state is one JSON object, `data`.

    Tools read and change `data` in place; `snapshot` and `restore` copy it whole, which is what
    makes trials on destructive tools safe to sandbox.
    """

    def __init__(self, server: MCPServer, data: dict[str, JsonValue], version: str) -> None:
        self._server = server
        self.data = data
        self.version = version

    @property
    def server(self) -> MCPServer:
        return self._server

    def snapshot(self) -> JsonValue:
        return copy.deepcopy(self.data)

    def restore(self, snapshot: JsonValue) -> None:
        if not isinstance(snapshot, dict):
            raise TypeError("a snapshot of a JsonSession is a JSON object")
        self.data.clear()
        self.data.update(copy.deepcopy(snapshot))

    def state(self) -> dict[str, JsonValue]:
        return copy.deepcopy(self.data)
