"""The MCP server of the jokes environment.

The descriptions say what a careful API author would write and no more: that `joke_finder`
wants a category *code* (or id) rather than a plain name, that `count` defaults to 1 and is
capped, and that `web_search` never finds catalogue jokes is left for trials to reveal.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import JsonValue
from toolmaster.envs import kit
from toolmaster.envs.jokes._catalogue import WEB_PAGES
from toolmaster.envs.jokes._world import MAX_COUNT, JokeRow, as_json, as_world, build_world

_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


class JokeTools:
    """The tools, over one session's JSON state (read at every call, so `restore` is seen)."""

    def __init__(self, data: dict[str, JsonValue]) -> None:
        self._world = as_world(data)

    def web_search(self, query: str, max_results: int = 5) -> CallToolResult:
        """Search the web. Returns matching pages with title, url and a snippet."""
        words = set(re.findall(r"[a-z]+", query.lower()))
        scored = [(len(words & page.words), i, page) for i, page in enumerate(WEB_PAGES)]
        hits = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
        results = [
            {"title": page.title, "url": page.url, "snippet": page.snippet}
            for _, _, page in hits[: max(0, max_results)]
        ]
        return kit.reply({"query": query, "results": results})

    def list_categories(self) -> CallToolResult:
        """List the joke categories of the catalogue."""
        return kit.reply({"categories": [dict(c) for c in self._world["categories"]]})

    def joke_finder(
        self, category: str | None = None, keyword: str | None = None, count: int = 1
    ) -> CallToolResult:
        """Find jokes in the joke catalogue.

        Args:
            category: the category to search in.
            keyword: only jokes whose text contains this.
            count: how many jokes to return.
        """
        if not 1 <= count <= MAX_COUNT:
            raise ToolError(f"count must be between 1 and {MAX_COUNT}")
        jokes = self._world["jokes"]
        code: str | None = None
        if category is not None:
            code = self._resolve(category)
            jokes = [j for j in jokes if j["category"] == code]
        if keyword:
            jokes = [j for j in jokes if keyword.lower() in j["text"].lower()]
        return kit.reply(
            {
                "category": code,
                "total": len(jokes),
                "jokes": [_public(j) for j in jokes[:count]],
            }
        )

    def get_joke(self, joke_id: str) -> CallToolResult:
        """Get one joke by its id."""
        for joke in self._world["jokes"]:
            if joke["id"] == joke_id:
                return kit.reply(_public(joke))
        raise ToolError(f"no joke with id '{joke_id}'")

    def _resolve(self, category: str) -> str:
        for row in self._world["categories"]:
            if category in (row["code"], row["id"]):
                return row["code"]
        raise ToolError(f"unknown category '{category}'")


def _public(joke: JokeRow) -> dict[str, Any]:
    return {
        "id": joke["id"],
        "category": joke["category"],
        "text": joke["text"],
        "rating": joke["rating"],
    }


_TOOLS: tuple[tuple[str, ToolAnnotations], ...] = (
    ("web_search", ToolAnnotations(title="Web search", read_only_hint=True, open_world_hint=True)),
    ("list_categories", _READ_ONLY),
    ("joke_finder", _READ_ONLY),
    ("get_joke", _READ_ONLY),
)


@cache
def _prototypes() -> tuple[Tool, ...]:
    """The tools' schemas, built once: building them is most of the cost of a new server."""
    blank = JokeTools({"categories": [], "jokes": []})
    return tuple(
        Tool.from_function(getattr(blank, name), annotations=annotations)
        for name, annotations in _TOOLS
    )


def build_server(data: dict[str, JsonValue]) -> MCPServer:
    """A server whose tools act on `data` (a session's state)."""
    tools = JokeTools(data)
    return kit.server(
        "jokes",
        instructions="A joke catalogue, and a general web search.",
        version="1.0.0",
        tools=kit.bind(_prototypes(), tools),
    )


def open_session(seed: int, version: str) -> kit.JsonSession:
    """A fresh session on the world of `seed`."""
    data = as_json(build_world(seed))
    return kit.JsonSession(build_server(data), data, version)
