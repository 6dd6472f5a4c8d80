"""A server whose tools ask the client things: roots, sampling, elicitation; and tell it
things: log messages and progress. In process (`asking_spec`), or over stdio when run as a
script (`python asking.py`)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Literal

import mcp_types as types
from mcp.server.mcpserver import (
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
    Sample,
)
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, Field
from toolmaster.mcp import REASON_META_KEY, InProcessServerSpec

ASKING_SERVER = Path(__file__)
"""This file, to run as a stdio server."""


class Name(BaseModel):
    name: str


class Booking(BaseModel):
    """A form with one field of each kind the specification allows."""

    guests: int = Field(ge=1, le=8, description="How many people")
    seating: Literal["inside", "terrace"] = "inside"
    vegetarian: bool = False
    note: str | None = Field(default=None, max_length=40)


def asking_server() -> MCPServer:
    """Tools that use the client's capabilities (the 2025 server-to-client requests)."""
    app = MCPServer("asking", version="1.0.0", log_level="WARNING")

    @app.tool()
    async def roots(ctx: Context) -> str:
        """The client's roots, one URI a line."""
        with warnings.catch_warnings():  # roots are deprecated at 2026-07-28
            warnings.simplefilter("ignore")
            listed = await ctx.session.list_roots()  # pyright: ignore[reportDeprecated]
        return "\n".join(f"{root.uri} {root.name}" for root in listed.roots)

    @app.tool()
    async def summarize(text: str, ctx: Context) -> str:
        """Ask the client's model to summarize; the error it answers comes back as text."""
        message = types.SamplingMessage(
            role="user", content=types.TextContent(type="text", text=f"Summarize: {text}")
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = await ctx.session.create_message(  # pyright: ignore[reportDeprecated]
                    [message], max_tokens=32, system_prompt="Be brief.", temperature=0.5
                )
        except MCPError as exc:
            return f"refused: {exc.error.message}"
        content = result.content
        text_out = content.text if isinstance(content, types.TextContent) else "?"
        return f"{result.model}: {text_out}"

    @app.tool()
    async def headline(
        sampled: Annotated[types.CreateMessageResult, Resolve(_ask_headline)],
    ) -> str:
        """Ask the client's model for a headline through a resolver, which asks in either
        protocol era; say which model answered what."""
        content = sampled.content
        text_out = content.text if isinstance(content, types.TextContent) else "?"
        return f"{sampled.model}: {text_out}"

    @app.tool()
    async def ask_name(ctx: Context) -> str:
        """Ask the user for a name; say what the client answered and why."""
        result = await ctx.session.elicit(
            "What is your name?", Name.model_json_schema(), related_request_id=ctx.request_id
        )
        reason = (result.meta or {}).get(REASON_META_KEY)
        return f"{result.action}: {result.content} ({reason})"

    @app.tool()
    async def book_table(ctx: Context) -> str:
        """Ask the user for a booking (`ctx.elicit`, validated against the model); say what
        the client answered."""
        result = await ctx.elicit("Book a table for tonight?", Booking)
        if result.action == "accept":
            return f"accept: {result.data.model_dump()}"
        return result.action

    @app.tool()
    async def reserve(
        booking: Annotated[ElicitationResult[Booking], Resolve(_ask_booking)],
    ) -> str:
        """The same form through a resolver, which asks in either protocol era (a stdio
        server negotiates the newest, where `ctx.elicit` cannot send its request)."""
        if booking.action == "accept":
            return f"accept: {booking.data.model_dump()}"
        return booking.action

    @app.tool()
    async def chatty(ctx: Context) -> str:
        """Log and report progress, then finish."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await ctx.info("starting the work")  # pyright: ignore[reportDeprecated]
            await ctx.warning({"disk": "almost full"})  # pyright: ignore[reportDeprecated]
        await ctx.report_progress(1, 2, "half way")
        await ctx.report_progress(2, 2, "done")
        return "ok"

    return app


async def _ask_booking() -> Elicit[Booking]:
    return Elicit("Book a table for tonight?", Booking)


async def _ask_headline() -> Sample:
    message = types.SamplingMessage(
        role="user", content=types.TextContent(type="text", text="A headline for today.")
    )
    return Sample([message], max_tokens=32, system_prompt="Be brief.")


def asking_spec(
    name: str = "asking", *, roots: tuple[str, ...] | None = None
) -> InProcessServerSpec:
    """The server reached with the initialize handshake, where its requests to the client work."""
    return InProcessServerSpec(name=name, server=asking_server(), legacy=True, roots=roots)


def asking_config(folder: Path) -> Path:
    """An `mcpServers` file in `folder` that runs this server over stdio as `asking`."""
    path = folder / "mcp.json"
    server = {"command": sys.executable, "args": [str(ASKING_SERVER)]}
    path.write_text(json.dumps({"mcpServers": {"asking": server}}))
    return path


if __name__ == "__main__":
    asking_server().run()
