"""Bundled environment `shop`: a web shop whose prices, pagination, ids and cart are
undocumented, and whose ordering tools are destructive — trials belong in the sandbox.

`ENV` is the `toolmaster.core.Environment`; `python -m toolmaster.envs.shop --seed N` serves it
over stdio.
"""

from toolmaster.envs.kit import KitEnvironment
from toolmaster.envs.shop._server import open_session
from toolmaster.envs.shop._tasks import ENV_NAME, VERSION, generate
from toolmaster.envs.shop._teacher import solve
from toolmaster.envs.shop._verify import verify

ENV = KitEnvironment(
    name=ENV_NAME,
    description=(
        "A web shop: paginated catalog search, product details, a cart, orders that charge the "
        "account and can be cancelled. Prices, pages and ids are undocumented."
    ),
    versions=(VERSION,),
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The shop environment (entry point `toolmaster.environments:shop`)."""

__all__ = ["ENV"]
