"""The `files` scripted teacher (reference solver): trial (in `trial` mode), execution, final
answer."""

from __future__ import annotations

import random

from toolmaster.core import Mode, Solver, Task, Turn
from toolmaster.envs.files._plans import execute
from toolmaster.envs.files._trial import Teacher


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """The scripted teacher for `task`: trials the tools first in `trial` mode, then executes,
    recovering from errors, and answers."""
    teacher = Teacher(task, rng, mode)
    if mode == "trial":
        yield from teacher.trial()
    answer = yield from execute(teacher)
    yield Turn(content=answer)
