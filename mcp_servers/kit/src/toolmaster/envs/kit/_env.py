"""`KitEnvironment`, the base of the bundled environments: the `Environment` protocol's
boilerplate (split and version checks, task-seeded sessions, task lists) written once."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, UserError, Verdict
from toolmaster.envs.kit._session import JsonSession

SPLITS: tuple[Split, ...] = ("train", "test")


class KitEnvironment(ABC):
    """An environment whose subclass says what is its own: `name`, `description`,
    `out_of_domain`, `versions`, and `generate` (the tasks of a split, cached), `session` (a fresh
    state for a seed and a version), `verify` and `solve`."""

    name: str
    description: str
    out_of_domain: bool = False
    versions: tuple[str, ...] = ("v1",)

    @abstractmethod
    def generate(self, split: Split) -> Sequence[Task]:
        """See the class docstring."""

    @abstractmethod
    def session(self, seed: int, version: str) -> JsonSession:
        """See the class docstring."""

    @abstractmethod
    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        """See the class docstring."""

    @abstractmethod
    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        """See the class docstring."""

    def tasks(self, split: Split) -> list[Task]:
        if split not in SPLITS:
            raise UserError(f"unknown split {split!r} (train or test)")
        return list(self.generate(split))

    def open(
        self, task: Task | None = None, *, seed: int = 0, version: str | None = None
    ) -> JsonSession:
        """A fresh session on the state of `task` (or of `seed`), served at `version` (default:
        the task's version, else the first)."""
        if version is None and task is not None:
            version = str(task.metadata.get("version") or self.versions[0])
        version = version or self.versions[0]
        if version not in self.versions:
            raise UserError(
                f"{self.name} serves versions {', '.join(self.versions)}, not {version!r}"
            )
        if task is not None and task.seed is not None:
            seed = task.seed
        return self.session(seed, version)
