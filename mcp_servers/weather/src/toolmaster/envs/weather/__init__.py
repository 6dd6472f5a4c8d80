"""Bundled environment `weather`: forecasts whose units, day argument and city keys are
undocumented, so that a model has to trial the tools to use them right.

`ENV` is the `toolmaster.core.Environment`; `python -m toolmaster.envs.weather --seed N` serves
it over stdio.
"""

from toolmaster.envs.kit import KitEnvironment
from toolmaster.envs.weather._server import open_session
from toolmaster.envs.weather._tasks import ENV_NAME, VERSION, generate
from toolmaster.envs.weather._teacher import solve
from toolmaster.envs.weather._verify import verify

ENV = KitEnvironment(
    name=ENV_NAME,
    description=(
        "Weather forecasts: city lookup, daily forecasts, favourite cities. Units, day offsets "
        "and ids are undocumented."
    ),
    versions=(VERSION,),
    generate=generate,
    session=open_session,
    verifier=verify,
    teacher=solve,
)
"""The weather environment (entry point `toolmaster.environments:weather`)."""

__all__ = ["ENV"]
