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
from toolmaster.envs.kit import JsonSession, KitEnvironment


class CalendarEnvironment(KitEnvironment):
    """A personal calendar with undocumented date formats and duration units, served in two
    tool-surface versions (v1, and a drifted v2 with other signatures, output keys and ids)."""

    name = ENV_NAME
    description = "Calendar with hidden date/duration conventions and v1 -> v2 API drift."
    out_of_domain = False
    versions: tuple[str, ...] = ("v1", "v2")

    def generate(self, split: Split) -> tuple[Task, ...]:
        return generate(split)

    def session(self, seed: int, version: str) -> JsonSession:
        data = as_json(build_world(seed))
        return JsonSession(build_server(data, version), data, version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)


ENV = CalendarEnvironment()
