"""Bundled environment `bank`: accounts found by last name, amounts in cents, paginated
statements, a daily transfer limit and a currency converter whose pair reads the other way
round (out of domain).

Run it with `python -m toolmaster.envs.bank --seed N`.
"""

from toolmaster.envs.bank._env import ENV, BankEnvironment

__all__ = ["ENV", "BankEnvironment"]
