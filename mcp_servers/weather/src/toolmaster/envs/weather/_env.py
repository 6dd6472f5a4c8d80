"""The `Environment` object of the weather environment."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.kit import JsonSession, KitEnvironment
from toolmaster.envs.weather._server import build_server
from toolmaster.envs.weather._solver import solve
from toolmaster.envs.weather._tasks import ENV_NAME, VERSION, generate
from toolmaster.envs.weather._verify import verify
from toolmaster.envs.weather._world import as_json, build_world, initial_state


class WeatherEnvironment(KitEnvironment):
    """Forecasts with undocumented units and day offsets, city ids, and favourites."""

    name = ENV_NAME
    description = (
        "Weather forecasts: city lookup, daily forecasts, favourite cities. Units, day offsets "
        "and ids are undocumented."
    )
    out_of_domain = False
    versions: tuple[str, ...] = (VERSION,)

    def generate(self, split: Split) -> tuple[Task, ...]:
        return generate(split)

    def session(self, seed: int, version: str) -> JsonSession:
        world = build_world(seed)
        state = initial_state(world)
        return JsonSession(build_server(world, state, version), as_json(state), version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)
