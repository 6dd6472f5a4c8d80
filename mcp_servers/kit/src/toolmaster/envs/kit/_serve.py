"""`server`, the factory of every environment's MCP server, with `bind` (tools built once, bound
to a session) and `reply` (a tool's JSON answer); and `serve`, the entry point that runs an
environment's server over stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from toolmaster.core import Environment, Task

LOG_LEVEL = "WARNING"
"""The SDK logs every failed tool call at INFO on stderr: noise in rollouts, where failing calls
are the point of a trial."""


def server(name: str, *, version: str, instructions: str | None = None, **kwargs: Any) -> MCPServer:
    """The MCP server of environment `name`, logging at WARNING (`kwargs` go to `MCPServer`)."""
    return MCPServer(
        name, instructions=instructions, version=version, log_level=LOG_LEVEL, **kwargs
    )


def reply(data: dict[str, Any]) -> CallToolResult:
    """Compact JSON text for the model, the same object as structured content. No output schema
    is published: clients would compile and check one in every session."""
    text = json.dumps(data, ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def bind(templates: Iterable[Tool], tools: object) -> list[Tool]:
    """`templates` with each one's function replaced by the method of `tools` of its name.

    Building a `Tool` inspects the signature and generates pydantic models and JSON schemas
    (milliseconds each), so an environment builds its tools once, on a blank instance, and binds
    copies to each session's instance: one fresh server per rollout stays cheap."""
    return [t.model_copy(update={"fn": getattr(tools, t.name)}) for t in templates]


def serve(env: Environment, argv: Sequence[str] | None = None) -> None:
    """Run `env`'s server: `python -m toolmaster.envs.<name> [--seed N | --task ID] [--version V]
    [--transport stdio|streamable-http] [--host H] [--port P]`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m toolmaster.envs.{env.name}", description=env.description
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the state (default 0)")
    parser.add_argument("--task", help="serve the state of this task id instead of --seed")
    parser.add_argument("--version", choices=env.versions, help="tool-surface version")
    parser.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    task: Task | None = None
    if args.task:
        tasks = {t.id: t for split in ("train", "test") for t in env.tasks(split)}
        if args.task not in tasks:
            parser.error(f"unknown task id {args.task!r}")
        task = tasks[args.task]
    session = env.open(task, seed=args.seed, version=args.version)
    server: MCPServer = session.server
    if args.transport == "stdio":
        server.run()
    else:
        server.run(transport="streamable-http", host=args.host, port=args.port)
