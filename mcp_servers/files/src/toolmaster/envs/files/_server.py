"""The `files` MCP server: seven tools over the virtual file system of one `JsonSession`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from toolmaster.envs import kit
from toolmaster.envs.files._fs import Fs, FsError
from toolmaster.envs.files._world import build_world
from toolmaster.envs.kit import JsonSession

INSTRUCTIONS = "A Unix-like file system. Paths are absolute."

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
_ADD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)
_DESTROY = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)

T = TypeVar("T")


def _fs_call(action: Callable[[], T]) -> T:
    try:
        return action()
    except FsError as exc:
        raise ToolError(str(exc)) from None


def open_session(seed: int, version: str = "v1") -> JsonSession:
    """A fresh session on the world of `seed`."""
    session = JsonSession(
        kit.server("files", instructions=INSTRUCTIONS, version=version),
        copy.deepcopy(build_world(seed).state),
        version,
    )
    _register(session)
    return session


def _register(session: JsonSession) -> None:
    server = session.server

    def fs() -> Fs:
        return Fs(session.data)

    @server.tool(annotations=_READ)
    def list_dir(path: str, a: bool = False) -> CallToolResult:
        """List the entries of a directory."""
        entries = _fs_call(lambda: fs().list_dir(path, a))
        lines = [
            f"{e.name}/  dir  mtime={e.mtime}"
            if e.type == "dir"
            else f"{e.name}  {e.size} B  mtime={e.mtime}"
            for e in entries
        ]
        return CallToolResult(
            content=[TextContent(type="text", text="\n".join(lines) or "(empty)")],
            structured_content={"entries": [e.__dict__ for e in entries]},
        )

    @server.tool(annotations=_READ, structured_output=False)
    def read_file(path: str, offset: int = 0, limit: int | None = None) -> str:
        """Read a text file. `offset` and `limit` select lines."""
        return _fs_call(lambda: fs().read(path, offset, limit))

    @server.tool(annotations=_READ, structured_output=False)
    def search(pattern: str, path: str = "/", content: bool = False) -> str:
        """Find files by pattern under `path`; with `content`, find matching lines instead."""
        hits = _fs_call(lambda: fs().search(pattern, path, content))
        return "\n".join(hits) if hits else "no matches"

    @server.tool(annotations=_DESTROY, structured_output=False)
    def write_file(path: str, text: str) -> str:
        """Write a text file, replacing any existing content."""
        size = _fs_call(lambda: fs().write(path, text))
        return f"wrote {size} bytes to {path}"

    @server.tool(annotations=_ADD, structured_output=False)
    def make_dir(path: str) -> str:
        """Create a directory."""
        _fs_call(lambda: fs().make_dir(path))
        return f"created {path}"

    @server.tool(annotations=_DESTROY, structured_output=False)
    def move(src: str, dst: str) -> str:
        """Move or rename a file or directory."""
        final = _fs_call(lambda: fs().move(src, dst))
        return f"moved {src} -> {final}"

    @server.tool(annotations=_DESTROY, structured_output=False)
    def delete(path: str, recursive: bool = False) -> str:
        """Delete a file or directory."""
        count = _fs_call(lambda: fs().delete(path, recursive))
        return f"deleted {path} ({count} entr{'y' if count == 1 else 'ies'})"
