"""The jokes environment object: ties world, server, tasks, verifier and solver together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.jokes._server import build_server
from toolmaster.envs.jokes._solver import solve
from toolmaster.envs.jokes._tasks import ENV_NAME, generate
from toolmaster.envs.jokes._verify import verify
from toolmaster.envs.jokes._world import as_json, build_world
from toolmaster.envs.kit import JsonSession


class JokesEnvironment:
    """A joke catalogue behind a finder with undocumented category codes, beside a web search
    that looks like it should find jokes but never finds catalogue jokes."""

    name = ENV_NAME
    description = "Joke catalogue with category codes to discover and a misleading web search."
    out_of_domain = True
    versions: tuple[str, ...] = ("v1",)

    def tasks(self, split: Split) -> list[Task]:
        """All tasks of `split` (train: 160, test: 80 on held-out categories)."""
        return list(generate(split))

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        """A fresh session on the world of `task` (or of `seed`)."""
        if task is not None and task.seed is not None:
            seed = task.seed
        if version not in (None, *self.versions):
            raise ValueError(f"unknown version {version!r} of {self.name}")
        data = as_json(build_world(seed))
        return JsonSession(build_server(data), data, version or self.versions[0])

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        """Judge the answer against the catalogue in `state`."""
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        """The scripted teacher for `task`."""
        return solve(task, rng, mode)


ENV = JokesEnvironment()
