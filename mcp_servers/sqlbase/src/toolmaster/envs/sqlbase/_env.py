"""`SqlbaseEnvironment`: the `Environment` object that ties the world, server, tasks, verifier
and reference solver of `sqlbase` together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.kit import JsonSession, KitEnvironment
from toolmaster.envs.sqlbase._server import open_session
from toolmaster.envs.sqlbase._solver import solve
from toolmaster.envs.sqlbase._tasks import generate
from toolmaster.envs.sqlbase._verify import verify


class SqlbaseEnvironment(KitEnvironment):
    """A shop database whose schema, units and codes must be discovered."""

    name = "sqlbase"
    description = (
        "A small company database behind list_tables/describe/query/execute: terse column "
        "names, cent amounts, coded statuses and timestamps whose unit varies by seed."
    )
    out_of_domain = False
    versions: tuple[str, ...] = ("v1",)

    def generate(self, split: Split) -> tuple[Task, ...]:
        return generate(split)

    def session(self, seed: int, version: str) -> JsonSession:
        return open_session(seed, version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)
