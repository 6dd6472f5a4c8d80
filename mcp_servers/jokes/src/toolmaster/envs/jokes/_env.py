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
from toolmaster.envs.kit import JsonSession, KitEnvironment


class JokesEnvironment(KitEnvironment):
    """A joke catalogue behind a finder with undocumented category codes, beside a web search
    that looks like it should find jokes but never finds catalogue jokes."""

    name = ENV_NAME
    description = "Joke catalogue with category codes to discover and a misleading web search."
    out_of_domain = True
    versions: tuple[str, ...] = ("v1",)

    def generate(self, split: Split) -> tuple[Task, ...]:
        return generate(split)

    def session(self, seed: int, version: str) -> JsonSession:
        data = as_json(build_world(seed))
        return JsonSession(build_server(data), data, version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)


ENV = JokesEnvironment()
