"""Bundled environment `files`: a virtual file system whose tools hide their conventions.

`ENV` is the `toolmaster.core.Environment` object; `python -m toolmaster.envs.files --seed N`
serves one seeded state over stdio.
"""

from toolmaster.envs.files._env import FilesEnvironment

ENV = FilesEnvironment()
"""The `files` environment (entry point `toolmaster.environments:files`)."""

__all__ = ["ENV", "FilesEnvironment"]
