"""Bundled environment `sqlbase`: a company database whose schema must be discovered.

`ENV` is the `toolmaster.core.Environment` object; `python -m toolmaster.envs.sqlbase --seed N`
serves one seeded state over stdio.
"""

from toolmaster.envs.sqlbase._env import SqlbaseEnvironment

ENV = SqlbaseEnvironment()
"""The `sqlbase` environment (entry point `toolmaster.environments:sqlbase`)."""

__all__ = ["ENV", "SqlbaseEnvironment"]
