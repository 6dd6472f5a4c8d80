"""A small bundled environment that breaks where it is told to, for the batch-failure tests.

`LookupEnv` is a real `Environment`: each task opens a fresh in-memory MCP server with one
read-only tool, `lookup(key)`, over a seeded table; the task asks for one value, the verifier
checks the answer and the reference solver looks it up (trialing it first in trial mode). A
`Faults` names the tasks where a part breaks with an error that is not ToolMaster's own: the
environment cannot open, its server cannot list its tools, its tool raises, its verifier raises.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from pydantic import JsonValue
from toolmaster.agent import AssistantTurn, PolicyFactory, reference_policy
from toolmaster.core import (
    FINISH_TRIAL,
    Boundary,
    Episode,
    Message,
    Mode,
    PolicyInfo,
    Sampling,
    Solver,
    Split,
    Task,
    ToolCall,
    ToolSpec,
    Turn,
    Verdict,
)

TASKS = 16


@dataclass(frozen=True)
class Faults:
    """Task ids where one part of the environment or the policy breaks."""

    open: frozenset[str] = frozenset()
    """`open` raises KeyError (the environment cannot build its server)."""
    listing: frozenset[str] = frozenset()
    """The server's `tools/list` handler raises TypeError."""
    tool: frozenset[str] = frozenset()
    """The `lookup` tool raises KeyError."""
    verify: frozenset[str] = frozenset()
    """The verifier raises TypeError."""
    build: frozenset[str] = frozenset()
    """Building the policy raises KeyError."""
    complete: frozenset[str] = frozenset()
    """The policy's `complete` raises TypeError."""


def value(seed: int) -> str:
    return f"v{seed * 7 % 13}"


class LookupSession:
    def __init__(self, task: Task | None, seed: int, faults: Faults) -> None:
        self.seed = task.seed if task is not None and task.seed is not None else seed
        broken = task.id if task is not None else ""
        self.lookups = 0
        if broken in faults.listing:
            self.server: Any = _unlistable_server()
        else:
            self.server = self._server(raises=broken in faults.tool)

    def _server(self, *, raises: bool) -> MCPServer:
        app = MCPServer("lookup", version="1.0.0", log_level="WARNING")

        @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
        def lookup(key: str) -> str:  # pyright: ignore[reportUnusedFunction]
            """The value stored under `key`."""
            self.lookups += 1
            if raises:
                table: dict[str, str] = {}
                return table[key]  # a KeyError, not an MCP error
            return value(self.seed) if key == f"k{self.seed}" else "no such key"

        return app

    def snapshot(self) -> JsonValue:
        return self.lookups

    def restore(self, snapshot: JsonValue) -> None:
        assert isinstance(snapshot, int)
        self.lookups = snapshot

    def state(self) -> dict[str, JsonValue]:
        return {"lookups": self.lookups}


def _unlistable_server() -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        raise TypeError("list_tools() got an unexpected keyword argument 'cursor'")

    return Server("lookup", version="1.0.0", on_list_tools=list_tools)


class LookupEnv:
    """Sixteen lookup tasks over a fresh in-memory server each, broken where `faults` says."""

    name: str = "lookup"
    description: str = "Look a value up."
    out_of_domain: bool = False
    versions: tuple[str, ...] = ("v1",)

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()

    def tasks(self, split: Split) -> list[Task]:
        return [
            Task(
                id=f"lookup-{i}",
                prompt=f"What is stored under k{i}?",
                env=self.name,
                split=split,
                seed=i,
                expected={"answer": value(i)},
            )
            for i in range(TASKS)
        ]

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> LookupSession:
        if task is not None and task.id in self.faults.open:
            raise KeyError(f"no table for {task.id}")
        return LookupSession(task, seed, self.faults)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        if task.id in self.faults.verify:
            raise TypeError("verify() takes 3 positional arguments but 4 were given")
        passed = answer is not None and str(task.expected["answer"]) in answer
        return Verdict(score=1.0 if passed else 0.0, passed=passed)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        key: dict[str, JsonValue] = {"key": f"k{task.seed}"}
        if mode == "trial":
            yield Turn(tool_calls=[ToolCall(id="t1", tool="lookup", arguments=key)])
            notes: dict[str, JsonValue] = {"notes": "lookup(key) gives the value under the key"}
            yield Turn(tool_calls=[ToolCall(id="t2", tool=FINISH_TRIAL, arguments=notes)])
        results = yield Turn(tool_calls=[ToolCall(id="e1", tool="lookup", arguments=key)])
        yield Turn(content=f"The value is {results[0].text}.")


class BrokenPolicy:
    """A policy whose backend raises a TypeError on every turn (a bug, not a `PolicyError`)."""

    info = PolicyInfo(name="broken", backend="scripted")

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        raise TypeError("complete() got an unexpected keyword argument 'tool_choice'")


def faulty_policies(env: LookupEnv, mode: Mode, *, seed: int = 0) -> PolicyFactory:
    """The reference solver, except where `env.faults` says building or completing breaks."""
    reference = reference_policy(env, mode, seed=seed)

    def make(task: Task) -> Any:
        if task.id in env.faults.build:
            raise KeyError(f"no adapter for {task.id}")
        if task.id in env.faults.complete:
            return BrokenPolicy()
        return reference(task)

    return make


BAD = "lookup-5"
"""The task that breaks in the batch tests."""

BREAKS: dict[str, tuple[Faults, Boundary, str]] = {
    "policy-build": (Faults(build=frozenset({BAD})), "policy", "KeyError"),
    "policy-complete": (Faults(complete=frozenset({BAD})), "policy", "TypeError"),
    "env-open": (Faults(open=frozenset({BAD})), "server", "KeyError"),
    # the SDK answers a handler's exception with a JSON-RPC internal error
    "server-listing": (Faults(listing=frozenset({BAD})), "server", "Internal server error"),
    "verifier": (Faults(verify=frozenset({BAD})), "verifier", "TypeError"),
}
"""Each way one task of the batch breaks: its faults, the boundary the failure belongs to and
what its message names."""


def broken_among_passed(episodes: Sequence[Episode], bad: str) -> Episode:
    """The episode of task `bad`, once every other episode of the batch is checked passed."""
    others = [e for e in episodes if e.task.id != bad]
    assert len(others) == len(episodes) - 1 == TASKS - 1
    assert all(e.error is None for e in others), [e.error for e in others if e.error]
    assert all(e.verdict is not None and e.verdict.passed for e in others)
    (broken,) = [e for e in episodes if e.task.id == bad]
    return broken
