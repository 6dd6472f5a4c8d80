"""Bundled environment `shop`: a web shop whose prices, pagination, ids and cart are
undocumented, and whose ordering tools are destructive — trials belong in the sandbox.

`ENV` is the `toolmaster.core.Environment`; `python -m toolmaster.envs.shop --seed N` serves it
over stdio.
"""

from toolmaster.envs.shop._env import ShopEnvironment

__all__ = ["ENV", "ShopEnvironment"]

ENV = ShopEnvironment()
"""The shop environment."""
