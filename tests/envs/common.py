"""Helpers the environment-specific test modules share (what every environment must satisfy is
in test_conformance.py)."""

from __future__ import annotations

import random
from typing import Any

from toolmaster.core import Mode, Task


class Blindfolded:
    """An environment with each task's expectations hidden from its solver: a teacher that passes
    through it acts only on what the tools showed."""

    def __init__(self, env: Any) -> None:
        self._env = env
        self.name = env.name

    def open(self, task: Task) -> Any:
        return self._env.open(task)

    def solve(self, task: Task, rng: random.Random, mode: Mode) -> Any:
        return self._env.solve(task.model_copy(update={"expected": {}}), rng, mode)

    def verify(self, task: Task, answer: str | None, state: Any) -> Any:
        return self._env.verify(task, answer, state)
