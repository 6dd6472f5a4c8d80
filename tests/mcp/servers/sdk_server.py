"""A small MCPServer (the SDK's high-level server), served over stdio, streamable HTTP or
legacy SSE.

`python sdk_server.py` serves stdio; `python sdk_server.py --http PORT` serves streamable HTTP on
127.0.0.1 (at /mcp), `--sse PORT` the legacy SSE transport (the event stream at /sse, messages
posted to /messages/); both require the header `X-Api-Key: $SDK_API_KEY` when that variable is
set.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import anyio
import mcp_types as types
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from starlette.responses import PlainTextResponse

app = MCPServer("sdk-fixture", version="2.0.1", log_level="WARNING")


@app.tool(annotations=types.ToolAnnotations(read_only_hint=True, title="Add numbers"))
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@app.tool()
def fail(reason: str) -> str:
    """Always fails with `reason`."""
    raise ToolError(reason)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, metavar="PORT")
    parser.add_argument("--sse", type=int, metavar="PORT")
    args = parser.parse_args()
    sse: int | None = args.sse
    port: int | None = args.http if sse is None else sse
    if port is None:
        app.run()
        return
    key = os.environ.get("SDK_API_KEY", "")
    if sse is not None:
        starlette_app = app.sse_app(host="127.0.0.1")
    else:
        starlette_app = app.streamable_http_app(host="127.0.0.1")

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if (
            key
            and scope["type"] == "http"
            and dict(scope["headers"]).get(b"x-api-key") != key.encode()
        ):
            await PlainTextResponse("bad key", status_code=401)(scope, receive, send)
            return
        await starlette_app(scope, receive, send)

    config = uvicorn.Config(guarded, host="127.0.0.1", port=port, log_level="warning")
    anyio.run(uvicorn.Server(config).serve)


if __name__ == "__main__":
    main()
