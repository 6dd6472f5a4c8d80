"""The `files` scripted teacher (reference solver): trial (in `trial` mode), execution, final
answer."""

from __future__ import annotations

import random

from toolmaster.core import Mode, Solver, Task
from toolmaster.envs.files._plans import execute
from toolmaster.envs.files._trial import Teacher
from toolmaster.envs.kit import teach


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """The scripted teacher for `task`: trials the tools first in `trial` mode, then executes,
    recovering from errors, and answers."""
    teacher = Teacher(task, rng, mode)
    return teach(mode, teacher.trial, lambda: execute(teacher))
