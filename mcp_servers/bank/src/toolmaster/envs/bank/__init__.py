"""Bundled environment `bank`: accounts found by last name, amounts in cents, paginated
statements, a daily transfer limit and a currency converter whose pair reads the other way
round (out of domain).

Run it with `python -m toolmaster.envs.bank --seed N`.
"""

from toolmaster.envs.bank._server import open_session
from toolmaster.envs.bank._tasks import ENV_NAME, generate
from toolmaster.envs.bank._teacher import solve
from toolmaster.envs.bank._verify import verify
from toolmaster.envs.kit import KitEnvironment

ENV = KitEnvironment(
    name=ENV_NAME,
    description=(
        "Bank with hidden units, name lookup, paging, a daily limit and a reversed FX pair."
    ),
    out_of_domain=True,
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The bank environment (entry point `toolmaster.environments:bank`)."""

__all__ = ["ENV"]
