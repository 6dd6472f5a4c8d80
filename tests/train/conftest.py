"""Shared fixtures of the trainer tests: recorded teacher episodes and the tiny random model.

`reference_store` is a session store on disk filled through the real loop
(`toolmaster.agent.run_env_tasks` with the bundled reference solvers): trial-mode episodes of
weather and shop train tasks, and direct-mode episodes of weather. `tiny_model` is the
`tiny-random` model config with a per-session cache folder (built once, then reloaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import torch
from toolmaster.agent import AgentConfig, Recorder, reference_policy, run_env_tasks
from toolmaster.core import AsyncStore, Episode, Mode, Store, get_environment
from toolmaster.train._config import ModelConfig
from toolmaster.train._models import model_source

TRIAL_ENVS = {"weather": 8, "shop": 6}
"""Train tasks recorded per environment in trial mode."""
DIRECT_ENVS = {"weather": 4}
"""Train tasks recorded per environment in direct mode."""


async def _record(store: Store) -> list[Episode]:
    episodes: list[Episode] = []
    plan: list[tuple[str, int, Mode]] = [
        *((name, n, "trial") for name, n in TRIAL_ENVS.items()),
        *((name, n, "direct") for name, n in DIRECT_ENVS.items()),
    ]
    for name, count, mode in plan:
        env = get_environment(name)
        episodes += await run_env_tasks(
            env,
            env.tasks("train")[:count],
            reference_policy(env, mode),
            AgentConfig(mode=mode),
            recorder=Recorder(AsyncStore(store)),
        )
    return episodes


@pytest.fixture(scope="session")
def reference_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file of reference-solver episodes recorded through the real agent loop."""
    path = tmp_path_factory.mktemp("store") / "sessions.db"
    with Store(path) as store:
        episodes = anyio.run(_record, store)
    assert all(e.verdict is not None and e.verdict.passed for e in episodes), "a teacher failed"
    return path


@pytest.fixture
def reference_store(reference_store_path: Path) -> Iterator[Store]:
    """The recorded store, opened (read it; tests that write copy it first)."""
    with Store(reference_store_path) as store:
        yield store


@pytest.fixture(scope="session")
def reference_episodes(reference_store_path: Path) -> list[Episode]:
    """Every recorded episode, newest first."""
    with Store(reference_store_path) as store:
        return store.episodes()


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Tiny models train much faster on one thread than on two on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> ModelConfig:
    """The `tiny-random` model config, cached in a folder of this session (built once here)."""
    config = ModelConfig(name_or_path="tiny-random", cache_dir=tmp_path_factory.mktemp("models"))
    model_source(config)
    return config
