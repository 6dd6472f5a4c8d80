"""Shared pieces of the bundled environments: a session over JSON state, and `serve()`, the
entry point that runs an environment's server over stdio or streamable HTTP."""

from __future__ import annotations

import argparse
import copy
from collections.abc import Sequence

from mcp.server.mcpserver import MCPServer
from pydantic import JsonValue
from toolmaster.core import Environment, Task

__all__ = ["JsonSession", "serve", "task_id"]


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


def task_id(env: str, split: str, index: int) -> str:
    """The id of a generated task: `<env>/<split>/<index>`."""
    return f"{env}/{split}/{index:04d}"


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
