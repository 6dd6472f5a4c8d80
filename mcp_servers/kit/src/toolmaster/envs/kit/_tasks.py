"""`task_id` and `task`: how every bundled environment names and builds a generated task."""

from __future__ import annotations

from collections.abc import Mapping

from toolmaster.core import Split, Task


def task_id(env: str, split: str, index: int) -> str:
    """The id of a generated task: `<env>/<split>/<index>`."""
    return f"{env}/{split}/{index:04d}"


def task(
    env: str,
    split: Split,
    index: int,
    *,
    seed: int,
    prompt: str,
    expected: Mapping[str, object],
    metadata: Mapping[str, object],
) -> Task:
    """Task `index` of `split` in environment `env`, on the state of `seed` (`expected` and
    `metadata` are validated as JSON objects)."""
    return Task.model_validate(
        {
            "id": task_id(env, split, index),
            "prompt": prompt,
            "env": env,
            "split": split,
            "seed": seed,
            "expected": dict(expected),
            "metadata": dict(metadata),
        }
    )
