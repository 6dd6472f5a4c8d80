"""Bundled environment `calendar`: a personal calendar whose date format and duration unit are
undocumented, served as v1 or as a drifted v2 (other signatures, output keys and id format).

Run it with `python -m toolmaster.envs.calendar --seed N --version v2`.
"""

from toolmaster.envs.calendar._server import open_session
from toolmaster.envs.calendar._tasks import ENV_NAME, generate
from toolmaster.envs.calendar._teacher import solve
from toolmaster.envs.calendar._verify import verify
from toolmaster.envs.kit import KitEnvironment

ENV = KitEnvironment(
    name=ENV_NAME,
    description="Calendar with hidden date/duration conventions and v1 -> v2 API drift.",
    versions=("v1", "v2"),
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The calendar environment (entry point `toolmaster.environments:calendar`)."""

__all__ = ["ENV"]
