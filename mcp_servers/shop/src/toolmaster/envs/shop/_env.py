"""The `Environment` object of the shop environment."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, UserError, Verdict
from toolmaster.envs.kit import JsonSession
from toolmaster.envs.shop._server import build_server
from toolmaster.envs.shop._solver import solve
from toolmaster.envs.shop._tasks import ENV_NAME, VERSION, tasks
from toolmaster.envs.shop._verify import verify
from toolmaster.envs.shop._world import as_json, build_state


class ShopEnvironment:
    """A web shop with paginated search, cents, opaque ids, a cart and destructive orders."""

    name = ENV_NAME
    description = (
        "A web shop: paginated catalog search, product details, a cart, orders that charge the "
        "account and can be cancelled. Prices, pages and ids are undocumented."
    )
    out_of_domain = False
    versions: tuple[str, ...] = (VERSION,)

    def tasks(self, split: Split) -> list[Task]:
        if split not in ("train", "test"):
            raise UserError(f"unknown split {split!r} (train or test)")
        return tasks(split)

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        if version is None and task is not None:
            version = str(task.metadata.get("version", self.versions[0]))
        version = version or self.versions[0]
        if version not in self.versions:
            raise UserError(f"shop serves versions {', '.join(self.versions)}, not {version!r}")
        if task is not None and task.seed is not None:
            seed = task.seed
        state = build_state(seed)
        return JsonSession(build_server(state, version), as_json(state), version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)
