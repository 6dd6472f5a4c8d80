"""The contract of a bundled environment: an MCP server with seeded state, tasks, a verifier and a
reference solver.

Environments live in `mcp_servers/<name>/` as the modules `toolmaster.envs.<name>`; each exposes
one `Environment` object named `ENV` and registers it under the entry-point group
`toolmaster.environments`. This module only defines the shapes, so that environments depend on
`toolmaster.core` and the MCP SDK alone.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import Field, JsonValue
from toolmaster.core._base import Record
from toolmaster.core._episode import Mode, Task, Verdict
from toolmaster.core._errors import UserError
from toolmaster.core._tools import ToolCall, ToolResult

Split = Literal["train", "test"]

FINISH_TRIAL = "finish_trial"
"""The control tool that ends the trial phase; its `notes` argument is the experience."""

READ_RESOURCE = "read_resource"
"""The control tool that reads an MCP resource by its `uri` (offered where a server has any)."""


class Turn(Record):
    """One assistant turn of a scripted policy: text, tool calls, or both.

    A turn without tool calls ends the episode; its content is the answer. A call of
    `finish_trial` ends the trial phase.
    """

    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list[ToolCall])


Solver = Generator[Turn, list[ToolResult], None]
"""A reference solver: yields assistant turns and is sent the results of each turn's tool calls
(in call order; an empty list after a turn without calls is never sent: that turn ends it)."""


@runtime_checkable
class EnvSession(Protocol):
    """One live instance of an environment's state, served by one MCP server object."""

    @property
    def server(self) -> Any:
        """The `mcp.server.mcpserver.MCPServer` serving this state (use it in process with
        `mcp.Client(server)`)."""
        ...

    def snapshot(self) -> JsonValue:
        """The whole mutable state, as JSON; `restore` takes it back."""
        ...

    def restore(self, snapshot: JsonValue) -> None:
        """Put the state back as it was when `snapshot` was taken (trial sandboxing)."""
        ...

    def state(self) -> dict[str, JsonValue]:
        """What the verifier needs to judge the final state."""
        ...


@runtime_checkable
class Environment(Protocol):
    """A bundled environment. Everything is deterministic given the task (its seed)."""

    name: str
    description: str
    out_of_domain: bool
    """Reserved for out-of-domain evaluation: never used for training data."""
    versions: tuple[str, ...]
    """The tool-surface versions the server can serve (`("v1",)`, or `("v1", "v2")` for drift)."""

    def tasks(self, split: Split) -> list[Task]:
        """All task instances of a split; test uses held-out values."""
        ...

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> EnvSession:
        """A fresh state for `task` (or for `seed` when no task is given), served at `version`
        (default: the task's `metadata["version"]`, else the first version)."""
        ...

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        """Judge the final answer and the final state."""
        ...

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        """The scripted teacher: in `trial` mode it trials the tools, makes realistic mistakes and
        corrects them; in `direct` mode it executes straight away (still recovering from
        errors). Randomised by `rng`."""
        ...


ENTRY_POINT_GROUP = "toolmaster.environments"


def environments() -> dict[str, Environment]:
    """Every installed environment, by name."""
    return {entry.name: _load(entry) for entry in _entries()}


def get_environment(name: str) -> Environment:
    """The installed environment called `name`, or a `UserError` that lists the known ones.
    Only that environment's module is imported: a broken one elsewhere does not matter."""
    entries = {entry.name: entry for entry in _entries()}
    if name not in entries:
        known = ", ".join(entries) or "none installed"
        raise UserError(f"unknown environment {name!r} (known: {known})")
    return _load(entries[name])


def _entries() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)


def _load(entry: EntryPoint) -> Environment:
    env = entry.load()
    if not isinstance(env, Environment) or env.name != entry.name:
        raise UserError(
            f"entry point {entry.name} = {entry.value!r} is not a toolmaster Environment "
            "of that name"
        )
    return env
