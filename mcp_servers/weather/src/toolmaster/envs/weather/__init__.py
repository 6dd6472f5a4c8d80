"""Bundled environment `weather`: forecasts whose units, day argument and city keys are
undocumented, so that a model has to trial the tools to use them right.

`ENV` is the `toolmaster.core.Environment`; `python -m toolmaster.envs.weather --seed N` serves
it over stdio.
"""

from toolmaster.envs.weather._env import WeatherEnvironment

__all__ = ["ENV", "WeatherEnvironment"]

ENV = WeatherEnvironment()
"""The weather environment."""
