"""The `Environment` object of the weather environment."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, UserError, Verdict
from toolmaster.envs.kit import JsonSession
from toolmaster.envs.weather._server import build_server
from toolmaster.envs.weather._solver import solve
from toolmaster.envs.weather._tasks import ENV_NAME, VERSION, tasks
from toolmaster.envs.weather._verify import verify
from toolmaster.envs.weather._world import as_json, build_world, initial_state


class WeatherEnvironment:
    """Forecasts with undocumented units and day offsets, city ids, and favourites."""

    name = ENV_NAME
    description = (
        "Weather forecasts: city lookup, daily forecasts, favourite cities. Units, day offsets "
        "and ids are undocumented."
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
            raise UserError(f"weather serves versions {', '.join(self.versions)}, not {version!r}")
        if task is not None and task.seed is not None:
            seed = task.seed
        world = build_world(seed)
        state = initial_state(world)
        return JsonSession(build_server(world, state, version), as_json(state), version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return solve(task, rng, mode)
