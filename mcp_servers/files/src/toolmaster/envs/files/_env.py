"""`FilesEnvironment`: the `Environment` object that ties the world, server, tasks, verifier
and reference solver of `files` together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, Verdict
from toolmaster.envs.files._server import open_session
from toolmaster.envs.files._solver import solve
from toolmaster.envs.files._tasks import generate
from toolmaster.envs.files._verify import verify
from toolmaster.envs.kit import JsonSession, KitEnvironment


class FilesEnvironment(KitEnvironment):
    """A virtual file system with undocumented defaults and destructive tools."""

    name = "files"
    description = (
        "A Unix-like virtual file system: list, read, search, write, move and delete, with "
        "hidden entries, truncated reads, regex search and refusing deletes to discover."
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
