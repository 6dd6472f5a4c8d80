"""Suites: which tasks an evaluation runs, over which servers.

- A **bundled suite** takes the test (or train) split of bundled environments. Built in:
  `in-domain` (every environment used for training: weather, shop, sqlbase, files, calendar),
  `out-of-domain` (the reserved ones: jokes, bank), and one suite per environment, named after it.
- A **task-file suite** is any user's servers (an `mcpServers` JSON file) plus a task file
  (JSONL, see `toolmaster.eval._taskfile`).

Every suite runs in each of the run's settings (`toolmaster.eval._settings`). Tasks are chosen
once per suite, the same for every setting, mode, policy and sample, so comparisons are paired:
`tasks_per_env` takes a seeded sample of each environment's tasks (a task file counts as one
environment), then `limit` a seeded sample of the suite's; both keep the tasks' own order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from toolmaster.core import Environment, Split, Task, UserError, environments, get_environment
from toolmaster.eval._episodes import served_task
from toolmaster.eval._settings import Setting
from toolmaster.eval._taskfile import load_tasks
from toolmaster.mcp import ServerSpec, servers_from_file


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BundledSuite(_Config):
    """Tasks of bundled environments."""

    kind: Literal["bundled"] = "bundled"
    name: str = Field(min_length=1)
    envs: list[str] = Field(min_length=1)
    """Environment names (`toolmaster.core.environments()`)."""
    split: Split = "test"


class TaskFileSuite(_Config):
    """A user's servers and tasks."""

    kind: Literal["tasks"] = "tasks"
    name: str = Field(min_length=1)
    servers: Path
    """An `mcpServers` JSON file (Claude Desktop, Cursor or VS Code format)."""
    tasks: Path
    """A task file: JSON lines with `prompt` and `expect`."""


Suite = Annotated[BundledSuite | TaskFileSuite, Field(discriminator="kind")]
"""One suite of an evaluation."""


class Selection(_Config):
    """How many of a suite's tasks to run, chosen how."""

    tasks_per_env: int | None = Field(default=None, ge=1)
    """A seeded sample of this many tasks of each environment (all: `None`)."""
    limit: int | None = Field(default=None, ge=1)
    """Then a seeded sample of this many tasks of the suite (all: `None`)."""
    seed: int = 0


IN_DOMAIN = "in-domain"
OUT_OF_DOMAIN = "out-of-domain"


def builtin_suites() -> dict[str, BundledSuite]:
    """The built-in suites: `in-domain`, `out-of-domain`, and one per environment."""
    envs = environments()
    suites = {
        IN_DOMAIN: BundledSuite(
            name=IN_DOMAIN, envs=[n for n, e in envs.items() if not e.out_of_domain]
        ),
        OUT_OF_DOMAIN: BundledSuite(
            name=OUT_OF_DOMAIN, envs=[n for n, e in envs.items() if e.out_of_domain]
        ),
    }
    suites.update({name: BundledSuite(name=name, envs=[name]) for name in envs})
    return suites


def builtin_suite(name: str) -> BundledSuite:
    """A built-in suite by name, or a `UserError` that lists them."""
    suites = builtin_suites()
    if name not in suites:
        raise UserError(f"unknown suite {name!r}; built-in suites: {', '.join(suites)}")
    return suites[name]


@dataclass(frozen=True)
class Case:
    """One task of a suite in one setting, ready to run in any mode, policy and sample."""

    suite: str
    setting: Setting
    task: Task
    """The task as the setting serves it (`served_task`)."""
    env: Environment | None = None
    """The bundled environment, or None for a task-file suite."""
    servers: tuple[ServerSpec, ...] = ()
    """The suite's servers, for a task-file suite."""


def select(groups: Mapping[str, Sequence[Task]], suite: str, selection: Selection) -> list[Task]:
    """The tasks `selection` picks from `groups` (the tasks of each environment)."""
    chosen: list[Task] = []
    for group, tasks in groups.items():
        chosen += _sample(tasks, selection.tasks_per_env, f"{selection.seed}/{suite}/{group}")
    return _sample(chosen, selection.limit, f"{selection.seed}/{suite}")


def _sample(tasks: Sequence[Task], count: int | None, seed: str) -> list[Task]:
    if count is None or count >= len(tasks):
        return list(tasks)
    picked = sorted(random.Random(seed).sample(range(len(tasks)), count))
    return [tasks[i] for i in picked]


def suite_cases(
    suite: BundledSuite | TaskFileSuite,
    settings: Sequence[Setting],
    selection: Selection,
    *,
    environ: Mapping[str, str] | None = None,
) -> list[Case]:
    """Every (task, setting) of `suite`. `environ` expands `${VAR}` in a server file."""
    if isinstance(suite, BundledSuite):
        envs = [get_environment(name) for name in suite.envs]
        groups = {env.name: env.tasks(suite.split) for env in envs}
        by_name = {env.name: env for env in envs}
        tasks = select(groups, suite.name, selection)
        return [
            Case(
                suite.name,
                setting,
                served_task(by_name[str(t.env)], t, setting),
                by_name[str(t.env)],
            )
            for setting in settings
            for t in tasks
        ]
    servers = tuple(servers_from_file(suite.servers, environ=environ))
    if not servers:
        raise UserError(f"{suite.servers}: no servers (all disabled?)")
    tasks = select({suite.name: load_tasks(suite.tasks, suite.name)}, suite.name, selection)
    return [Case(suite.name, s, t, servers=servers) for s in settings for t in tasks]
