"""The runner: resumable by run id, every episode tagged and recorded, failures recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.core import Environment, Mode, Store, Task, UserError
from toolmaster.eval._runner import EvalConfig, EvalPolicy, agent_config, plan_jobs
from toolmaster.eval._suites import Selection, TaskFileSuite, builtin_suite
from toolmaster.eval._tags import EvalTag, known_runs, run_episodes

from tests.eval.common import REFERENCE, CrashingPolicy, reference, run

WEATHER = builtin_suite("weather")


def config(run_id: str = "r", **changes: object) -> EvalConfig:
    base = EvalConfig(
        run=run_id,
        suites=[WEATHER],
        settings=["clean", "renamed"],
        modes=["trial", "direct"],
        selection=Selection(tasks_per_env=2),
        concurrency=4,
    )
    return base.model_copy(update=changes)


def test_every_episode_is_recorded_with_its_tag(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        result = run(config(), [REFERENCE], store)
        assert (result.planned, result.skipped, len(result.episodes)) == (8, 0, 8)
        stored = run_episodes(store, ["r"])
        assert len(stored) == 8
        keys = {(t.setting, e.task.id, e.mode) for t, e in stored}
        assert len(keys) == 8
        renamed = next(t for t, _ in stored if t.setting == "renamed")
        assert renamed == EvalTag(
            run="r", suite="weather", setting="renamed", policy="reference", sample=0,
            seed=0, kinds=["rename_tool", "rename_param"],
        )  # fmt: skip
        assert all(e.verdict is not None and e.verdict.passed for _, e in stored)
        assert known_runs(store) == {"r": 8}


def test_a_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        first = run(config(selection=Selection(tasks_per_env=1)), [REFERENCE], store)
        assert len(first.episodes) == 4
        again = run(config(), [REFERENCE], store)
        assert (again.planned, again.skipped, len(again.episodes)) == (8, 4, 4)
        done = run(config(), [REFERENCE], store)
        assert (done.skipped, done.episodes) == (8, [])
        assert store.count() == 8
        other = run(config("other", samples=2), [REFERENCE], store)
        assert len(other.episodes) == 16
        assert {t.sample for t, _ in run_episodes(store, ["other"])} == {0, 1}


def test_a_crashing_policy_is_recorded_and_the_run_finishes(tmp_path: Path) -> None:
    def crashing(env: Environment | None, mode: Mode, sample: int):
        return lambda task: CrashingPolicy()

    def unbuildable(env: Environment | None, mode: Mode, sample: int):
        def make(task: Task) -> CrashingPolicy:
            raise RuntimeError(f"cannot build a policy for {task.id}")

        return make

    policies = [REFERENCE, EvalPolicy("crashing", crashing), EvalPolicy("broken", unbuildable)]
    with Store(tmp_path / "s.db") as store:
        result = run(config(settings=["clean"]), policies, store)
        assert len(result.episodes) == 12
        by_policy: dict[str, list[str]] = {}
        for tag, episode in run_episodes(store, ["r"]):
            error = episode.error
            by_policy.setdefault(tag.policy, []).append(
                "passed" if error is None else f"{error.boundary}: {error.message}"
            )
        assert by_policy["reference"] == ["passed"] * 4
        assert all("the backend fell over" in e for e in by_policy["crashing"])
        assert all(e.startswith("policy: ") for e in by_policy["crashing"])
        assert all("cannot build a policy" in e for e in by_policy["broken"])
        assert all(e.startswith("policy: ") for e in by_policy["broken"])


def test_a_server_that_cannot_start_is_a_server_failure(tmp_path: Path) -> None:
    servers = tmp_path / "mcp.json"
    servers.write_text('{"mcpServers": {"gone": {"command": "/nonexistent/server"}}}')
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"prompt": "hello", "expect": {"answer": {"contains": "hi"}}}\n')
    suite = TaskFileSuite(name="mine", servers=servers, tasks=tasks)
    crashing = EvalPolicy("crashing", lambda env, mode, sample: lambda task: CrashingPolicy())
    with Store(tmp_path / "s.db") as store:
        result = run(config(suites=[suite], settings=["clean"]), [crashing], store)
        assert len(result.episodes) == 2
        for episode in result.episodes:
            assert episode.error is not None
            assert episode.error.boundary == "server"


def test_usage_mistakes_are_refused_before_anything_runs(tmp_path: Path) -> None:
    servers = tmp_path / "mcp.json"
    servers.write_text('{"mcpServers": {"weather": {"env": "weather"}}}')
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"prompt": "hello", "expect": {"answer": {"contains": "hi"}}}\n')
    suite = TaskFileSuite(name="mine", servers=servers, tasks=tasks)
    with pytest.raises(UserError, match="'reference' is a bundled environment's solver"):
        plan_jobs(config(suites=[suite]), [REFERENCE])
    with pytest.raises(UserError, match="two policies share a label"):
        plan_jobs(config(), [REFERENCE, EvalPolicy("reference", reference)])
    with pytest.raises(UserError, match="no policy"):
        plan_jobs(config(), [])


def test_models_get_the_run_budgets_and_scripted_solvers_the_defaults() -> None:
    base = config().model_copy(update={"budgets": config().budgets.model_copy(
        update={"max_turns": 4, "max_new_tokens": 64})})  # fmt: skip
    model = agent_config(base, "trial", scripted=False, sample=2)
    assert (model.max_turns, model.sampling.max_tokens, model.sampling.seed) == (4, 64, 2)
    scripted = agent_config(base, "direct", scripted=True, sample=0)
    assert (scripted.mode, scripted.max_turns) == ("direct", 32)
