"""The worlds GRPO rollouts happen in, and their prompt rows.

A `BundledWorld` is a bundled environment at one tool-surface version: every rollout gets a fresh
seeded state served in process, sandboxed trials, and the environment's verifier. A
`ServersWorld` is a suite of tasks over any MCP servers (`[[grpo.servers]]`): every rollout
connects to the servers afresh and a user's function judges the answer.

`prompt_rows` turns tasks into trl's conversational prompt rows: `prompt` (the agent's system
prompt for the mode, then the task), `environment` (the world's name, which picks the environment
class and so the tools), and `task` (the `Task` as JSON, which `reset` opens a session for).
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from toolmaster.agent import chat_input, system_prompt
from toolmaster.core import Environment, Message, Mode, Task, UserError, Verdict, get_environment
from toolmaster.mcp import InProcessServerSpec, ServerSpec, servers_from_file
from toolmaster.train._config import GRPOSection, ServerSuite
from toolmaster.train._rollout import OpenWorld, World

__all__ = [
    "BundledWorld",
    "ServersWorld",
    "WorldTasks",
    "load_verifier",
    "prompt_rows",
    "worlds_of",
]

TaskVerifier = Callable[[Task, str | None], Verdict]


@dataclass(frozen=True)
class BundledWorld:
    """A bundled environment at one version."""

    env: Environment
    version: str | None = None
    name: str = ""
    sandboxed: bool = True
    allow_unsafe_trials: bool = False

    def open(self, task: Task) -> OpenWorld:
        session = self.env.open(task, version=self.version)
        return OpenWorld(
            servers=[InProcessServerSpec(name=self.env.name, server=session.server)],
            verify=lambda answer: self.env.verify(task, answer, session.state()),
            sandbox=session,
        )


@dataclass(frozen=True)
class ServersWorld:
    """Tasks over any MCP servers; no sandbox, so unsafe trial calls are refused unless allowed."""

    name: str
    servers: tuple[ServerSpec, ...]
    verifier: TaskVerifier
    allow_unsafe_trials: bool = False
    sandboxed: bool = False

    def open(self, task: Task) -> OpenWorld:
        return OpenWorld(
            servers=list(self.servers), verify=lambda answer: self.verifier(task, answer)
        )


@dataclass(frozen=True)
class WorldTasks:
    """A world and the tasks its rollouts run."""

    world: World
    tasks: list[Task]


def _sample(tasks: list[Task], count: int | None, name: str) -> list[Task]:
    """A seeded sample of `count` tasks (all: None), in their own order. Environments list
    their tasks kind by kind, so the first N would be one kind only."""
    if count is None or count >= len(tasks):
        return tasks
    picked = sorted(random.Random(f"grpo-tasks-{name}").sample(range(len(tasks)), count))
    return [tasks[i] for i in picked]


def worlds_of(config: GRPOSection, environ: Mapping[str, str] | None = None) -> list[WorldTasks]:
    """The worlds and tasks of a `[grpo]` section: each bundled environment (one world per
    version its tasks use) and each server suite. `environ` expands `${VAR}` in the suites'
    server files. Bad names and files are `UserError`s."""
    found: list[WorldTasks] = []
    for name in config.environments:
        env = get_environment(name)
        if env.out_of_domain:
            raise UserError(
                f"environment {name!r} is reserved for out-of-domain evaluation, not training"
            )
        tasks = _sample(list(env.tasks(config.split)), config.tasks_per_env, name)
        versions = sorted({_version(task) for task in tasks}, key=str)
        for version in versions:
            label = name if len(versions) == 1 else f"{name}@{version}"
            world = BundledWorld(env=env, version=version, name=label)
            found.append(WorldTasks(world, [t for t in tasks if _version(t) == version]))
    for suite in config.servers:
        world = _servers_world(suite, environ or {})
        tasks = _sample(load_tasks(suite.tasks, suite.name), config.tasks_per_env, suite.name)
        found.append(WorldTasks(world, tasks))
    names = [w.world.name for w in found]
    if len(set(names)) != len(names):
        raise UserError(f"[grpo]: two worlds share a name among {names}")
    if not found:
        raise UserError("[grpo] names no environments and no server suites")
    return found


def _version(task: Task) -> str | None:
    version = task.metadata.get("version")
    return version if isinstance(version, str) else None


def _servers_world(suite: ServerSuite, environ: Mapping[str, str]) -> ServersWorld:
    servers = tuple(servers_from_file(suite.servers, environ=environ))
    if not servers:
        raise UserError(f"[[grpo.servers]] {suite.name}: {suite.servers} lists no servers")
    return ServersWorld(
        name=suite.name,
        servers=servers,
        verifier=load_verifier(suite.verifier),
        allow_unsafe_trials=suite.allow_unsafe_trials,
    )


def load_tasks(path: Path, suite: str) -> list[Task]:
    """Tasks from a JSONL file of `Task` objects; `env` defaults to the suite's name."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read task file {path}: {exc.strerror or exc}") from None
    tasks: list[Task] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = Task.model_validate_json(line)
        except ValidationError as exc:
            raise UserError(
                f"{path}: line {number}: not a task ({exc.errors()[0]['msg']})"
            ) from None
        tasks.append(task if task.env else task.model_copy(update={"env": suite}))
    if not tasks:
        raise UserError(f"{path}: no tasks")
    return tasks


def load_verifier(spec: str) -> TaskVerifier:
    """The function named by `module:function`."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserError(f"verifier {spec!r}: cannot import {module_name}: {exc}") from exc
    function: Any = getattr(module, attribute, None)
    if not callable(function):
        raise UserError(f"verifier {spec!r}: {module_name} has no function {attribute!r}")
    return cast(TaskVerifier, function)


def prompt_rows(worlds: Sequence[WorldTasks], mode: Mode) -> list[dict[str, Any]]:
    """trl prompt rows, one per task: `prompt`, `environment`, `task`."""
    rows: list[dict[str, Any]] = []
    for entry in worlds:
        system = system_prompt(trial=mode == "trial", sandboxed=entry.world.sandboxed)
        rows.extend(
            {
                "prompt": chat_input(
                    [
                        Message(role="system", content=system),
                        Message(role="user", content=task.prompt),
                    ],
                    [],
                ).messages,
                "environment": entry.world.name,
                "task": task.model_dump_json(),
            }
            for task in entry.tasks
        )
    return rows
