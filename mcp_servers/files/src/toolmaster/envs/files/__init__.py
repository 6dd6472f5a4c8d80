"""Bundled environment `files`: a virtual file system whose tools hide their conventions.

`ENV` is the `toolmaster.core.Environment` object; `python -m toolmaster.envs.files --seed N`
serves one seeded state over stdio.
"""

from toolmaster.envs.files._server import open_session
from toolmaster.envs.files._tasks import ENV_NAME, generate
from toolmaster.envs.files._teacher import solve
from toolmaster.envs.files._verify import verify
from toolmaster.envs.kit import KitEnvironment

ENV = KitEnvironment(
    name=ENV_NAME,
    description=(
        "A Unix-like virtual file system: list, read, search, write, move and delete, with "
        "hidden entries, truncated reads, regex search and refusing deletes to discover."
    ),
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The `files` environment (entry point `toolmaster.environments:files`)."""

__all__ = ["ENV"]
