"""Listing a server's tools through every page of `tools/list`."""

from __future__ import annotations

import mcp_types as types

from mcp import Client, MCPError

MAX_PAGES = 1000
"""Pages of `tools/list` read before a server is taken to be listing forever."""


async def list_all_tools(client: Client) -> list[types.Tool]:
    """Every tool a connected client's server lists, following its cursors. A server that
    repeats a cursor or goes on past `MAX_PAGES` pages is an `MCPError` (invalid request)."""
    tools: list[types.Tool] = []
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools
        if cursor in seen:
            raise MCPError(types.INVALID_REQUEST, f"tools/list repeated the cursor {cursor!r}")
        seen.add(cursor)
    raise MCPError(types.INVALID_REQUEST, f"tools/list went on for over {MAX_PAGES} pages")
