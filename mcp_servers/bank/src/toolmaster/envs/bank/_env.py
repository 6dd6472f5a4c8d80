"""The bank environment object: ties world, server, tasks, verifier and solver together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.bank._server import build_server
from toolmaster.envs.bank._solver import solve
from toolmaster.envs.bank._tasks import ENV_NAME, generate
from toolmaster.envs.bank._verify import verify
from toolmaster.envs.bank._world import as_json, build_world
from toolmaster.envs.kit import JsonSession, KitEnvironment


class BankEnvironment(KitEnvironment):
    """A retail bank with amounts in cents, customers found by last name, paginated statements,
    a daily transfer limit and a currency converter whose pair reads the other way round."""

    name = ENV_NAME
    description = (
        "Bank with hidden units, name lookup, paging, a daily limit and a reversed FX pair."
    )
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


ENV = BankEnvironment()
