"""Task generation for `files`: six kinds, train and test splits.

Every task has its own state seed (train and test seeds are disjoint); the test split asks only
about held-out services, log directories and users, and uses held-out cut-off months.
`Task.metadata["params"]` repeats the prompt's parameters for the scripted teacher;
`Task.expected` is for the verifier only.
"""

from __future__ import annotations

import calendar
import posixpath
import random
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import Split, Task
from toolmaster.envs.files._world import (
    TEST_APPS,
    TEST_SERVICES,
    TEST_USERS,
    TRAIN_APPS,
    TRAIN_SERVICES,
    TRAIN_USERS,
    World,
    build_world,
)
from toolmaster.envs.kit import task

ENV_NAME = "files"
PER_KIND = {"train": 26, "test": 8}
SEED_BASE = {"train": 2_000, "test": 70_000}

Params = dict[str, JsonValue]
Expected = dict[str, JsonValue]
Made = tuple[str, Params, Expected]


class _DegenerateError(Exception):
    """The drawn parameters make a degenerate task; draw again."""


def _files(world: World) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], world.state["files"])


def _dirs(world: World) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], world.state["dirs"])


def _pick(rng: random.Random, present: tuple[str, ...], pool: tuple[str, ...]) -> str:
    return rng.choice([x for x in present if x in pool])


def _find_port(world: World, rng: random.Random, split: Split) -> Made:
    pool = TRAIN_SERVICES if split == "train" else TEST_SERVICES
    service = _pick(rng, tuple(c.service for c in world.configs), pool)
    config = next(c for c in world.configs if c.service == service)
    prompt = (
        f"One configuration file under /etc sets the port to {config.port} (an active setting, "
        "not a comment). Which file is it? Answer with its absolute path."
    )
    return prompt, {"port": config.port}, {"kind": "path", "value": config.path}


def _count_errors(world: World, rng: random.Random, split: Split) -> Made:
    app = _pick(rng, world.apps, TRAIN_APPS if split == "train" else TEST_APPS)
    prefix = f"/var/log/{app}/"
    n = sum(
        1
        for p, f in _files(world).items()
        if p.startswith(prefix)
        for line in str(f["content"]).splitlines()
        if "ERROR" in line
    )
    prompt = (
        f"How many lines containing ERROR (in capitals) are there in total across the files in "
        f"/var/log/{app}?"
    )
    return prompt, {"dir": f"/var/log/{app}"}, {"kind": "number", "value": n}


def _config_value(world: World, rng: random.Random, split: Split) -> Made:
    pool = TRAIN_SERVICES if split == "train" else TEST_SERVICES
    service = _pick(rng, tuple(c.service for c in world.configs), pool)
    config = next(c for c in world.configs if c.service == service)
    late = [k for k, line in config.key_lines.items() if line >= world.read_limit]
    if not late:
        raise _DegenerateError
    key = rng.choice(late)
    prompt = f"What is the value of the setting {key} in {config.path}?"
    return prompt, {"path": config.path, "key": key}, {"kind": "text", "value": config.values[key]}


def _largest(world: World, rng: random.Random, split: Split) -> Made:
    user = _pick(rng, world.users, TRAIN_USERS if split == "train" else TEST_USERS)
    home = f"/home/{user}"
    sizes = sorted(
        (
            (len(str(f["content"]).encode()), p)
            for p, f in _files(world).items()
            if posixpath.dirname(p) == home
        ),
        reverse=True,
    )
    if sizes[0][0] == sizes[1][0]:
        raise _DegenerateError
    prompt = (
        f"Which file directly inside {home} is the largest, hidden files included? "
        "Answer with its absolute path."
    )
    return prompt, {"dir": home}, {"kind": "path", "value": sizes[0][1]}


def _move_tmp(world: World, rng: random.Random, split: Split) -> Made:
    user = _pick(rng, world.users, TRAIN_USERS if split == "train" else TEST_USERS)
    home = f"/home/{user}/"
    moves = {
        p: f"/trash/{posixpath.basename(p)}"
        for p in _files(world)
        if p.startswith(home) and p.endswith(".tmp")
    }
    prompt = (
        f"Move every file whose name ends in .tmp, anywhere under /home/{user}, into /trash "
        "(keep the file names). Do not touch anything else."
    )
    expected: Expected = {
        "kind": "state",
        "moves": dict(moves),
        "deletes": [],
        "mkdirs": ["/trash"],
    }
    return prompt, {"dir": f"/home/{user}"}, expected


def _delete_backups(world: World, rng: random.Random, split: Split) -> Made:
    month = rng.randint(3, 6) if split == "train" else rng.randint(7, 10)
    cut = int(datetime(2024, month, 1, tzinfo=UTC).timestamp())
    entries = {
        p: int(meta["mtime"])
        for p, meta in (*_files(world).items(), *_dirs(world).items())
        if posixpath.dirname(p) == "/backups"
    }
    old = sorted(p for p, m in entries.items() if m < cut)
    if not old or len(old) == len(entries):
        raise _DegenerateError
    prompt = (
        "Delete every backup in /backups that was last modified before "
        f"{calendar.month_name[month]} 1, 2024 (UTC). Keep the newer ones and touch nothing else."
    )
    params: Params = {"dir": "/backups", "before": cut}
    expected: Expected = {"kind": "state", "moves": {}, "deletes": list(old), "mkdirs": []}
    return prompt, params, expected


KINDS: dict[str, Callable[[World, random.Random, Split], Made]] = {
    "find_port": _find_port,
    "count_errors": _count_errors,
    "config_value": _config_value,
    "largest": _largest,
    "move_tmp": _move_tmp,
    "delete_backups": _delete_backups,
}


def _make(split: Split, index: int) -> Task:
    kind = list(KINDS)[index % len(KINDS)]
    rng = random.Random(f"files-task:{split}:{index}")
    for attempt in range(50):
        seed = SEED_BASE[split] + index * 50 + attempt
        try:
            prompt, params, expected = KINDS[kind](build_world(seed), rng, split)
        except _DegenerateError:
            continue
        return task(
            ENV_NAME,
            split,
            index,
            seed=seed,
            prompt=prompt,
            expected=expected,
            metadata={"kind": kind, "params": params, "version": "v1"},
        )
    raise RuntimeError(f"no {kind} task found for {split}/{index}")


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically, in a fixed order."""
    return tuple(_make(split, i) for i in range(PER_KIND[split] * len(KINDS)))
