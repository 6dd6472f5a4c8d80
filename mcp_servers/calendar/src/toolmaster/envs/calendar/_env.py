"""The calendar environment object: ties world, server, tasks, verifier and solver together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.calendar._server import build_server
from toolmaster.envs.calendar._solver import solve
from toolmaster.envs.calendar._tasks import ENV_NAME, generate
from toolmaster.envs.calendar._verify import verify
from toolmaster.envs.calendar._world import as_json, build_world
from toolmaster.envs.kit import JsonSession


class CalendarEnvironment:
    """A personal calendar with undocumented date formats and duration units, served in two
    tool-surface versions (v1, and a drifted v2 with other signatures, output keys and ids)."""

    name = ENV_NAME
    description = "Calendar with hidden date/duration conventions and v1 -> v2 API drift."
    out_of_domain = False
    versions: tuple[str, ...] = ("v1", "v2")

    def tasks(self, split: Split) -> list[Task]:
        """All tasks of `split` (train: 160 on v1; test: 80, half on v2, held-out values)."""
        return list(generate(split))

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        """A fresh session on the calendar of `task` (or of `seed`), served at `version` (default:
        the task's version, else v1)."""
        if task is not None:
            seed = task.seed if task.seed is not None else seed
            version = version or str(task.metadata.get("version") or self.versions[0])
        version = version or self.versions[0]
        if version not in self.versions:
            raise ValueError(f"unknown version {version!r} of {self.name}")
        data = as_json(build_world(seed))
        return JsonSession(build_server(data, version), data, version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        """Judge the final calendar and, for questions, the answer."""
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        """The scripted teacher for `task`."""
        return solve(task, rng, mode)


ENV = CalendarEnvironment()
