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
from toolmaster.envs.kit import JsonSession


class BankEnvironment:
    """A retail bank with amounts in cents, customers found by last name, paginated statements,
    a daily transfer limit and a currency converter whose pair reads the other way round."""

    name = ENV_NAME
    description = (
        "Bank with hidden units, name lookup, paging, a daily limit and a reversed FX pair."
    )
    out_of_domain = True
    versions: tuple[str, ...] = ("v1",)

    def tasks(self, split: Split) -> list[Task]:
        """All tasks of `split` (train: 160; test: 80 with held-out customers and values)."""
        return list(generate(split))

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        """A fresh session on the bank of `task` (or of `seed`)."""
        if task is not None and task.seed is not None:
            seed = task.seed
        if version not in (None, *self.versions):
            raise ValueError(f"unknown version {version!r} of {self.name}")
        data = as_json(build_world(seed))
        return JsonSession(build_server(data), data, version or self.versions[0])

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        """Judge the final bank state and, for questions and refusals, the answer."""
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        """The scripted teacher for `task`."""
        return solve(task, rng, mode)


ENV = BankEnvironment()
