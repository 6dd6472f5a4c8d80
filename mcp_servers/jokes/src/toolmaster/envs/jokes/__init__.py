"""Bundled environment `jokes`: a joke catalogue whose finder takes undocumented category codes,
beside a familiar-looking web search that never finds catalogue jokes (out of domain).

Run it with `python -m toolmaster.envs.jokes --seed N`.
"""

from toolmaster.envs.jokes._env import ENV, JokesEnvironment

__all__ = ["ENV", "JokesEnvironment"]
