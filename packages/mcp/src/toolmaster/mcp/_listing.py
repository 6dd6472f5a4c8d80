"""Listing what a server offers through every page of a paginated `*/list` request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import mcp_types as types

from mcp import Client, MCPError

_T = TypeVar("_T")

MAX_PAGES = 1000
"""Pages of a `*/list` request read before a server is taken to be listing forever."""


async def _all_pages(
    method: str, fetch: Callable[[str | None], Awaitable[tuple[list[_T], str | None]]]
) -> list[_T]:
    """Every item of every page `fetch(cursor)` returns, following the cursors. A server that
    repeats a cursor or goes on past `MAX_PAGES` pages is an `MCPError` (invalid request)."""
    items: list[_T] = []
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page, cursor = await fetch(cursor)
        items.extend(page)
        if cursor is None:
            return items
        if cursor in seen:
            raise MCPError(types.INVALID_REQUEST, f"{method} repeated the cursor {cursor!r}")
        seen.add(cursor)
    raise MCPError(types.INVALID_REQUEST, f"{method} went on for over {MAX_PAGES} pages")


async def list_all_tools(client: Client) -> list[types.Tool]:
    """Every tool a connected client's server lists (`tools/list`)."""

    async def fetch(cursor: str | None) -> tuple[list[types.Tool], str | None]:
        page = await client.list_tools(cursor=cursor)
        return page.tools, page.next_cursor

    return await _all_pages("tools/list", fetch)


async def list_all_resources(client: Client) -> list[types.Resource]:
    """Every resource a connected client's server lists (`resources/list`)."""

    async def fetch(cursor: str | None) -> tuple[list[types.Resource], str | None]:
        page = await client.list_resources(cursor=cursor)
        return page.resources, page.next_cursor

    return await _all_pages("resources/list", fetch)


async def list_all_resource_templates(client: Client) -> list[types.ResourceTemplate]:
    """Every resource template a connected client's server lists (`resources/templates/list`)."""

    async def fetch(cursor: str | None) -> tuple[list[types.ResourceTemplate], str | None]:
        page = await client.list_resource_templates(cursor=cursor)
        return page.resource_templates, page.next_cursor

    return await _all_pages("resources/templates/list", fetch)


async def list_all_prompts(client: Client) -> list[types.Prompt]:
    """Every prompt a connected client's server lists (`prompts/list`)."""

    async def fetch(cursor: str | None) -> tuple[list[types.Prompt], str | None]:
        page = await client.list_prompts(cursor=cursor)
        return page.prompts, page.next_cursor

    return await _all_pages("prompts/list", fetch)
