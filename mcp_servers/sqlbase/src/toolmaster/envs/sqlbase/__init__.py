"""Bundled environment `sqlbase`: a company database whose schema must be discovered.

`ENV` is the `toolmaster.core.Environment` object; `python -m toolmaster.envs.sqlbase --seed N`
serves one seeded state over stdio.
"""

from toolmaster.envs.kit import KitEnvironment
from toolmaster.envs.sqlbase._server import open_session
from toolmaster.envs.sqlbase._tasks import ENV_NAME, generate
from toolmaster.envs.sqlbase._teacher import solve
from toolmaster.envs.sqlbase._verify import verify

ENV = KitEnvironment(
    name=ENV_NAME,
    description=(
        "A small company database behind list_tables/describe/query/execute: terse column "
        "names, cent amounts, coded statuses and timestamps whose unit varies by seed."
    ),
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The `sqlbase` environment (entry point `toolmaster.environments:sqlbase`)."""

__all__ = ["ENV"]
