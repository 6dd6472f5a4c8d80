"""MCP servers that run in the test process, and specs for the subprocess fixtures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from toolmaster.mcp import InProcessServerSpec, StdioServerSpec

HERE = Path(__file__).parent
RAW_SERVER = HERE / "raw_server.py"
SDK_SERVER = HERE / "sdk_server.py"


def raw_spec(name: str, *args: str, env: dict[str, str] | None = None) -> StdioServerSpec:
    """The hand-written stdio server (starts in milliseconds; misbehaves on request)."""
    return StdioServerSpec.model_validate(
        {
            "name": name,
            "command": sys.executable,
            "args": (str(RAW_SERVER), *args),
            "env": env or {},
        }
    )


def sdk_spec(name: str) -> StdioServerSpec:
    """The SDK's MCPServer over stdio (a real server; about two seconds to start)."""
    return StdioServerSpec(name=name, command=sys.executable, args=(str(SDK_SERVER),))


def calc_server(name: str = "calc") -> MCPServer:
    """A well-behaved server with a few ways to fail."""
    app = MCPServer(name, version="1.0.0", log_level="WARNING")

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @app.tool()
    def echo(text: str) -> str:
        """Return the text."""
        return f"{name}:{text}"

    @app.tool()
    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        if b == 0:
            raise ToolError("cannot divide by zero")
        return a / b

    @app.tool()
    async def hang() -> str:
        """Never returns."""
        await anyio.sleep_forever()
        return "unreachable"

    @app.tool()
    def big(mb: int) -> str:
        """Return `mb` MiB of text."""
        return "y" * (mb * 1024 * 1024)

    @app.tool()
    async def grow(ctx: Context) -> str:
        """Add the tool `grown` and announce the change."""
        app.add_tool(lambda: "grown", name="grown", description="Added at run time.")
        await ctx.notify_tools_changed()
        return "grown"

    return app


def paged_server(total: int = 7, page: int = 3) -> Server[Any]:
    """A low-level server whose tools/list is paginated with cursors."""
    names = [f"tool_{i}" for i in range(total)]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        start = int(params.cursor) if params and params.cursor else 0
        chunk = names[start : start + page]
        cursor = str(start + page) if start + page < total else None
        return types.ListToolsResult(
            tools=[types.Tool(name=n, input_schema={"type": "object"}) for n in chunk],
            next_cursor=cursor,
        )

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return types.CallToolResult(content=[types.TextContent(type="text", text=params.name)])

    return Server("paged", version="3.0", on_list_tools=list_tools, on_call_tool=call_tool)


class _Anonymous(Server[Any]):
    """A low-level server that does not identify itself: 2026-era MCP makes the `serverInfo`
    stamp on its results optional, and this one leaves it out."""

    @property
    def server_info_stamp(self) -> Any:
        return None


def anonymous_server() -> Server[Any]:
    """A server with one read-only tool, `add(a, b)`, that sends no `serverInfo`."""

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        schema = {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        }
        hints = types.ToolAnnotations(read_only_hint=True)
        tool = types.Tool(name="add", input_schema=schema, annotations=hints)
        return types.ListToolsResult(tools=[tool])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        args = params.arguments or {}
        total = str(int(args["a"]) + int(args["b"]))
        return types.CallToolResult(content=[types.TextContent(type="text", text=total)])

    return _Anonymous("anonymous", on_list_tools=list_tools, on_call_tool=call_tool)


def memory_spec(name: str, server: Any) -> InProcessServerSpec:
    return InProcessServerSpec(name=name, server=server)
