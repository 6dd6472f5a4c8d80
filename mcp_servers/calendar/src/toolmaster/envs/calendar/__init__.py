"""Bundled environment `calendar`: a personal calendar whose date format and duration unit are
undocumented, served as v1 or as a drifted v2 (other signatures, output keys and id format).

Run it with `python -m toolmaster.envs.calendar --seed N --version v2`.
"""

from toolmaster.envs.calendar._env import ENV, CalendarEnvironment

__all__ = ["ENV", "CalendarEnvironment"]
