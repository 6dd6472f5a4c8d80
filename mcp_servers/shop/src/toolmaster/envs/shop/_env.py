"""The `Environment` object of the shop environment."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.kit import JsonSession, KitEnvironment
from toolmaster.envs.shop._server import build_server
from toolmaster.envs.shop._solver import solve
from toolmaster.envs.shop._tasks import ENV_NAME, VERSION, generate
from toolmaster.envs.shop._verify import verify
from toolmaster.envs.shop._world import as_json, build_state


class ShopEnvironment(KitEnvironment):
    """A web shop with paginated search, cents, opaque ids, a cart and destructive orders."""

    name = ENV_NAME
    description = (
        "A web shop: paginated catalog search, product details, a cart, orders that charge the "
        "account and can be cancelled. Prices, pages and ids are undocumented."
    )
    out_of_domain = False
    versions: tuple[str, ...] = (VERSION,)

    def generate(self, split: Split) -> tuple[Task, ...]:
        return generate(split)

    def session(self, seed: int, version: str) -> JsonSession:
        state = build_state(seed)
        return JsonSession(build_server(state, version), as_json(state), version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)
