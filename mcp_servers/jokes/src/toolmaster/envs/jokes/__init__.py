"""Bundled environment `jokes`: a joke catalogue whose finder takes undocumented category codes,
beside a familiar-looking web search that never finds catalogue jokes (out of domain).

Run it with `python -m toolmaster.envs.jokes --seed N`.
"""

from toolmaster.envs.jokes._server import open_session
from toolmaster.envs.jokes._tasks import ENV_NAME, generate
from toolmaster.envs.jokes._teacher import solve
from toolmaster.envs.jokes._verify import verify
from toolmaster.envs.kit import KitEnvironment

ENV = KitEnvironment(
    name=ENV_NAME,
    description="Joke catalogue with category codes to discover and a misleading web search.",
    out_of_domain=True,
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The jokes environment (entry point `toolmaster.environments:jokes`)."""

__all__ = ["ENV"]
