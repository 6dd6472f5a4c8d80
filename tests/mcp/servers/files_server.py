"""A tiny file server over stdio (the SDK's MCPServer) whose tools change the filesystem and
reach the network: what the trial sandbox must contain. Paths are relative to its working
folder or absolute."""

from __future__ import annotations

import socket
from pathlib import Path

import mcp_types as types
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

app = MCPServer("files-fixture", version="1.0.0", log_level="WARNING")


@app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
def read(path: str) -> str:
    """The text of a file."""
    return Path(path).read_text()


@app.tool()
def write(path: str, text: str) -> str:
    """Write a file."""
    Path(path).write_text(text)
    return f"wrote {path}"


@app.tool()
def delete(path: str) -> str:
    """Delete a file."""
    Path(path).unlink()
    return f"deleted {path}"


@app.tool()
def wipe() -> str:
    """Delete every file in the working folder."""
    names = sorted(path.name for path in Path().iterdir() if path.is_file())
    for name in names:
        Path(name).unlink()
    return f"deleted {', '.join(names) or 'nothing'}"


@app.tool()
def fetch(port: int) -> str:
    """What a server on 127.0.0.1:`port` sends first."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            return conn.recv(100).decode()
    except OSError as exc:
        raise ToolError(f"no connection: {exc}") from exc


if __name__ == "__main__":
    app.run()
