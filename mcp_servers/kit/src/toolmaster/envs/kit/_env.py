"""`KitEnvironment`, a bundled environment composed from its parts: a task generator, a session
factory (the MCP server over seeded state), a verifier and a scripted teacher.

The way verifiers' `ToolEnv(dataset=, rubric=, tools=)` builds an environment from what is its own,
an environment module writes one expression:

    ENV = KitEnvironment(
        name="bank",
        description="...",
        generate=generate,      # split -> tasks
        session=open_session,   # (seed, version) -> JsonSession
        verifier=verify,        # (task, answer, state) -> Verdict
        teacher=solve,          # (task, rng, mode) -> Solver
    )

and `KitEnvironment` supplies the `toolmaster.core.Environment` protocol around them: split and
version checks, task-seeded sessions, task lists.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Split, Task, UserError, Verdict
from toolmaster.envs.kit._session import JsonSession

SPLITS: tuple[Split, ...] = ("train", "test")


class Teacher(Protocol):
    """A scripted teacher, as `Environment.solve` calls it."""

    def __call__(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver: ...


Verifier = Callable[[Task, str | None, dict[str, JsonValue]], Verdict]
"""Judges a final answer and final state, as `Environment.verify` does."""


@dataclass(kw_only=True, eq=False)
class KitEnvironment:
    """A `toolmaster.core.Environment` made of its parts (see the module docstring).

    Not frozen only because the protocol declares its attributes writable; nothing assigns them.
    """

    name: str
    """The environment's name: its entry point and the `env` of its tasks."""
    description: str
    """One line for listings and the server's `--help`."""
    generate: Callable[[Split], Sequence[Task]]
    """Every task of a split, deterministically (cache it: it is called for each `tasks`)."""
    session: Callable[[int, str], JsonSession]
    """A fresh session on the state of a seed, served at a version."""
    verifier: Verifier
    """Judges the final answer and the final state of a task."""
    teacher: Teacher
    """The scripted teacher: trials (in `trial` mode), slips, recovers, executes, answers."""
    out_of_domain: bool = False
    """Reserved for out-of-domain evaluation: never used for training data."""
    versions: tuple[str, ...] = ("v1",)
    """The tool-surface versions the server can serve; the first is the default."""

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

    def verify(self, task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
        return self.verifier(task, answer, state)

    def solve(self, task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
        return self.teacher(task, rng, mode)
