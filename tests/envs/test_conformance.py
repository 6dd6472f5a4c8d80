"""What every registered environment satisfies: the `Environment` protocol and entry point, task
splits, determinism, the server's tools and annotations, sandboxing, stdio, the verifier's
refusals, and the reference teacher passing its tasks in both modes through the real agent loop
over the real MCP protocol in memory. Environment-specific conventions stay in test_<name>.py.
"""

from __future__ import annotations

import json
import random
import sys
from importlib.metadata import entry_points
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from toolmaster.agent import AgentConfig, reference_policy, run_env_task
from toolmaster.core import (
    ENTRY_POINT_GROUP,
    FINISH_TRIAL,
    Environment,
    Mode,
    Split,
    Task,
    UserError,
    environments,
)

from tests.envs.driver import SolverRun, run_solver

pytestmark = pytest.mark.anyio

ENVS = environments()
NAMES = sorted(ENVS)
DEFAULTS = AgentConfig()
TRIAL_BUDGET = DEFAULTS.max_trial_calls - 1
"""A script ends its own trial: it stays under the agent's default trial budget."""

FLAGS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "bank": (True, ("v1",)),
    "calendar": (False, ("v1", "v2")),
    "files": (False, ("v1",)),
    "jokes": (True, ("v1",)),
    "shop": (False, ("v1",)),
    "sqlbase": (False, ("v1",)),
    "weather": (False, ("v1",)),
}
"""Each bundled environment's `out_of_domain` and `versions`."""

MIN_ERRORS: dict[str, dict[Mode, int]] = {
    "shop": {"trial": 10, "direct": 3},
    "weather": {"trial": 10, "direct": 3},
}
"""Tool errors the teacher meets (and recovers from) on the 30-task sample, where an environment
promises more than one: realistic slips."""

MIN_TEST_TASKS = {"shop": 50, "weather": 50}
"""Test tasks an environment promises beyond a non-empty split."""

MODES: tuple[Mode, ...] = ("trial", "direct")


@pytest.fixture(params=NAMES)
def env(request: pytest.FixtureRequest) -> Environment:
    return ENVS[request.param]


def _every(env: Environment) -> list[Task]:
    return [*env.tasks("train"), *env.tasks("test")]


def _sample(env: Environment, k: int = 30) -> list[Task]:
    return random.Random(7).sample(_every(env), k)


def _calls(run: SolverRun) -> list[Any]:
    return [call for turn in run.turns for call in turn.tool_calls]


def test_every_bundled_environment_is_registered_with_its_flags() -> None:
    assert set(ENVS) >= set(FLAGS)
    assert {name: (ENVS[name].out_of_domain, ENVS[name].versions) for name in FLAGS} == FLAGS


# ---------------------------------------------------------------- the object


def test_satisfies_the_protocol_and_is_its_entry_point(env: Environment) -> None:
    assert isinstance(env, Environment)
    (entry,) = entry_points(group=ENTRY_POINT_GROUP, name=env.name)
    assert entry.load() is env
    assert env.description
    assert isinstance(env.out_of_domain, bool)
    assert env.versions
    assert len(set(env.versions)) == len(env.versions)


def test_unknown_split_and_version_are_user_errors(env: Environment) -> None:
    with pytest.raises(UserError, match="split"):
        env.tasks("validation")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="v9"):
        env.open(seed=1, version="v9")


# ---------------------------------------------------------------- tasks


def test_splits_are_many_distinct_seeded_and_disjoint(env: Environment) -> None:
    train, test = env.tasks("train"), env.tasks("test")
    assert train
    assert len(test) >= MIN_TEST_TASKS.get(env.name, 1)
    every = [*train, *test]
    assert len(every) >= 150
    assert len({t.id for t in every}) == len(every)
    assert len({(t.prompt, t.seed) for t in every}) == len(every)
    assert {t.seed for t in train}.isdisjoint({t.seed for t in test})
    splits: tuple[tuple[Split, list[Task]], ...] = (("train", train), ("test", test))
    for split, tasks in splits:
        for task in tasks:
            assert task.env == env.name
            assert task.split == split
            assert task.seed is not None
            assert task.id.startswith(f"{env.name}/{split}/")
            assert str(task.metadata.get("version", env.versions[0])) in env.versions


def test_tasks_and_states_are_deterministic(env: Environment) -> None:
    assert env.tasks("train") == env.tasks("train")
    assert env.tasks("test") == env.tasks("test")
    task = env.tasks("test")[3]
    assert env.open(task).state() == env.open(task).state()
    assert env.open(seed=5).state() == env.open(seed=5).state()
    assert env.open(seed=5).state() != env.open(seed=6).state()


# ---------------------------------------------------------------- the server


async def test_every_version_lists_annotated_tools(env: Environment) -> None:
    for version in env.versions:
        async with Client(env.open(seed=1, version=version).server) as client:
            tools = (await client.list_tools()).tools
        assert tools, version
        for tool in tools:
            assert tool.description, (version, tool.name)
            assert tool.input_schema["type"] == "object"
            hints = tool.annotations
            assert hints is not None, (version, tool.name)
            assert hints.read_only_hint is not None, (version, tool.name)
            if hints.read_only_hint:
                assert not hints.destructive_hint, (version, tool.name)
            else:
                assert hints.destructive_hint is not None, (version, tool.name)


def test_snapshot_and_restore_round_trip(env: Environment) -> None:
    session = env.open(seed=3)
    before = session.state()
    snapshot = session.snapshot()
    json.dumps(snapshot)
    other = env.open(seed=4).snapshot()
    session.restore(other)
    assert session.state() == env.open(seed=4).state() != before
    session.restore(snapshot)
    assert session.state() == before
    assert session.snapshot() == snapshot


async def test_serves_the_task_state_over_stdio(env: Environment) -> None:
    """`python -m toolmaster.envs.<name> --seed N --version V` serves the same tools and the
    same state as the in-memory server of a task on that seed and version: the teacher's first
    calls answer alike. (`--task ID` would do the same after generating every task.)"""
    version = env.versions[-1]
    task = next(t for t in env.tasks("test") if t.metadata.get("version", "v1") == version)
    solver = env.solve(task, random.Random(0), "direct")
    first = next(solver)
    assert first.tool_calls
    args = ["--seed", str(task.seed), "--version", version]
    params = StdioServerParameters(
        command=sys.executable, args=["-m", f"toolmaster.envs.{env.name}", *args]
    )
    answers: list[list[Any]] = []
    with anyio.fail_after(60):
        for client_of in (lambda: Client(params), lambda: Client(env.open(task).server)):
            async with client_of() as client:
                listed = (await client.list_tools()).tools
                results = [await client.call_tool(c.tool, c.arguments) for c in first.tool_calls]
            answers.append(
                [
                    sorted((t.name, json.dumps(t.input_schema, sort_keys=True)) for t in listed),
                    [(r.is_error, r.structured_content, r.content) for r in results],
                ]
            )
    assert answers[0] == answers[1]


# ---------------------------------------------------------------- the verifier


def test_verify_rejects_no_answer_and_a_wrong_one(env: Environment) -> None:
    for task in random.Random(5).sample(_every(env), 10):
        state = env.open(task).state()
        for answer in (None, "", "zzz: 123456789 of nothing at all"):
            verdict = env.verify(task, answer, state)
            assert not verdict.passed, (task.id, answer)
            assert verdict.score < 1.0
            assert verdict.reasons


# ---------------------------------------------------------------- the reference teacher


async def _sweep(env: Environment, tasks: list[Task], mode: Mode) -> list[SolverRun]:
    """The teacher on `tasks` through the agent loop (room to spare), with checks on its shape:
    within the default budgets, a trial phase only in trial mode and its calls all before the
    one `finish_trial`. Fails if more than 1% of the tasks fail."""
    runs: list[SolverRun] = []
    failed: list[str] = []
    for index, task in enumerate(tasks):
        run = await run_solver(env, task, mode=mode, seed=index)
        runs.append(run)
        if not run.verdict.passed:
            failed.append(f"{task.id}: {task.prompt} -> {run.answer!r} {run.verdict.reasons}")
        assert run.trial_calls <= TRIAL_BUDGET, (task.id, run.trial_calls)
        assert len(run.turns) <= DEFAULTS.max_turns, (task.id, len(run.turns))
        calls = _calls(run)
        finishes = [i for i, c in enumerate(calls) if c.tool == FINISH_TRIAL]
        if mode == "trial":
            assert len(finishes) == 1, task.id
            assert all(c.phase == "trial" for c in calls[: finishes[0] + 1]), task.id
            assert all(c.phase == "execute" for c in calls[finishes[0] + 1 :]), task.id
            assert str(calls[finishes[0]].arguments["notes"]).strip(), task.id
        else:
            assert finishes == [], task.id
            assert run.trial_calls == 0
            assert all(c.phase == "execute" for c in calls), task.id
    assert len(failed) <= len(tasks) // 100, failed
    return runs


@pytest.mark.parametrize("mode", MODES)
async def test_teacher_passes_a_seeded_sample(env: Environment, mode: Mode) -> None:
    runs = await _sweep(env, _sample(env), mode)
    errors = sum(run.errors for run in runs)
    assert errors >= MIN_ERRORS.get(env.name, {}).get(mode, 1), errors


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
async def test_teacher_passes_every_task(env: Environment, mode: Mode) -> None:
    await _sweep(env, env.tasks("train"), mode)
    await _sweep(env, env.tasks("test"), mode)


@pytest.mark.parametrize("mode", MODES)
async def test_teacher_fits_the_agent_defaults(env: Environment, mode: Mode) -> None:
    """The teacher passes in the real loop with the default budgets, on test tasks, with a trial
    phase (and notes) only in trial mode."""
    policy_for = reference_policy(env, mode, seed=1)
    for task in random.Random(3).sample(env.tasks("test"), 4):
        with anyio.fail_after(60):
            episode = await run_env_task(env, task, policy_for(task), AgentConfig(mode=mode))
        assert episode.error is None, (task.id, episode.error)
        assert episode.verdict is not None
        assert episode.verdict.passed, (task.id, episode.verdict.reasons)
        assert [p.phase for p in episode.phases] == (
            ["trial", "execute"] if mode == "trial" else ["execute"]
        )
        assert bool(episode.notes) == (mode == "trial")


async def test_teacher_is_deterministic_given_its_rng(env: Environment) -> None:
    task = env.tasks("test")[1]
    first = await run_solver(env, task, mode="trial", seed=3)
    again = await run_solver(env, task, mode="trial", seed=3)
    assert first.turns == again.turns
    assert first.answer == again.answer
    others = [await run_solver(env, task, mode="trial", seed=s) for s in (4, 5)]
    assert any(run.turns != first.turns for run in others)
