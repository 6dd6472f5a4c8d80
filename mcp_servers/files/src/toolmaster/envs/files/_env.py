"""`FilesEnvironment`: the `Environment` object that ties the world, server, tasks, verifier
and reference solver of `files` together."""

from __future__ import annotations

import random

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, UserError, Verdict
from toolmaster.envs.files import _solver, _tasks, _verify
from toolmaster.envs.files._server import open_session
from toolmaster.envs.kit import JsonSession


class FilesEnvironment:
    """A virtual file system with undocumented defaults and destructive tools."""

    name = "files"
    description = (
        "A Unix-like virtual file system: list, read, search, write, move and delete, with "
        "hidden entries, truncated reads, regex search and refusing deletes to discover."
    )
    out_of_domain = False
    versions: tuple[str, ...] = ("v1",)

    def tasks(self, split: Split) -> list[Task]:
        return _tasks.tasks(split)

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        if task is not None and task.seed is not None:
            seed = task.seed
        if version is None and task is not None:
            version = str(task.metadata.get("version", self.versions[0]))
        version = version or self.versions[0]
        if version not in self.versions:
            raise UserError(f"unknown version {version!r} (known: {', '.join(self.versions)})")
        return open_session(seed, version)

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return _verify.verify(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return _solver.solve(task, rng, mode)
