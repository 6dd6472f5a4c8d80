"""The evaluation and BFCL runners record one broken episode of a 16-episode run, attributed to
its boundary, and the other 15 finish and pass (see tests/agent/test_failures.py)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from toolmaster.agent import Policy
from toolmaster.core import Environment, Mode, Store
from toolmaster.eval import _suites
from toolmaster.eval._runner import EvalConfig, EvalPolicy
from toolmaster.eval._suites import BundledSuite, Selection
from toolmaster.eval._tags import run_episodes
from toolmaster.eval.bfcl import (
    BFCL_KEY,
    BfclConfig,
    BfclEntry,
    bfcl_agent_config,
    ground_truth_policy,
    load_entries,
    run_entries,
)

from tests.agent.faulty import (
    BAD,
    BREAKS,
    TASKS,
    BrokenPolicy,
    LookupEnv,
    broken_among_passed,
    faulty_policies,
)
from tests.eval.common import run


@pytest.mark.parametrize("case", list(BREAKS))
def test_eval_records_one_broken_episode_and_the_other_15_pass(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults, boundary, error = BREAKS[case]
    env = LookupEnv(faults)

    def get_environment(name: str) -> Environment:  # the registry, with the lookup env in it
        assert name == env.name
        return env

    monkeypatch.setattr(_suites, "get_environment", get_environment)

    def policies(env: Environment | None, mode: Mode, sample: int):
        assert isinstance(env, LookupEnv)
        return faulty_policies(env, mode, seed=sample)

    config = EvalConfig(
        run="r",
        suites=[BundledSuite(name="lookup", envs=["lookup"])],
        settings=["clean"],
        modes=["trial"],
        selection=Selection(),
        concurrency=TASKS,
    )
    with Store(tmp_path / "s.db") as store:
        result = run(config, [EvalPolicy("faulty", policies, scripted=True)], store)
        assert result.planned == TASKS and len(result.episodes) == TASKS
        recorded = [episode for _, episode in run_episodes(store, ["r"])]
    assert len(recorded) == TASKS
    broken = broken_among_passed(recorded, BAD)
    assert broken.error is not None
    assert broken.error.boundary == boundary
    assert error in broken.error.message
    assert broken.metadata["eval"] is not None  # tagged like every other episode


def bfcl_entries() -> list[BfclEntry]:
    return load_entries("multi_turn_base", ids=[f"multi_turn_base_{i}" for i in range(TASKS)])


BFCL_BAD = "multi_turn_base_5"


def break_entry(entry: BfclEntry, part: str) -> BfclEntry:
    if part == "session":  # a function doc without a name: the session cannot be built
        return entry.model_copy(update={"functions": [{"description": "?"}, *entry.functions]})
    # ground truth that is not call strings: BFCL's checker raises a TypeError
    return entry.model_copy(update={"ground_truth": [[123] for _ in entry.ground_truth]})


BFCL_CASES = {
    "policy-build": ("policy", "KeyError", "not_run"),
    "policy-complete": ("policy", "TypeError", None),
    "session-open": ("server", "KeyError", "not_run"),
    "checker": ("verifier", "TypeError", "not_scored"),
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(BFCL_CASES))
async def test_bfcl_records_one_broken_entry_and_the_other_15_pass(case: str) -> None:
    boundary, error, not_run = BFCL_CASES[case]
    entries = bfcl_entries()
    clean = {e.id: e for e in entries}
    if case in ("session-open", "checker"):
        part = "session" if case == "session-open" else "checker"
        entries = [break_entry(e, part) if e.id == BFCL_BAD else e for e in entries]

    def policy_for(entry: BfclEntry) -> Policy:
        if entry.id == BFCL_BAD and case == "policy-build":
            raise KeyError("no adapter for this entry")
        if entry.id == BFCL_BAD and case == "policy-complete":
            return BrokenPolicy()
        return ground_truth_policy(clean[entry.id], "direct")

    config = BfclConfig(agent=bfcl_agent_config("direct"), concurrency=TASKS)
    with anyio.fail_after(120):
        episodes = await run_entries(entries, policy_for, config)
    assert [e.task.id for e in episodes] == [e.id for e in entries]
    broken = broken_among_passed(episodes, BFCL_BAD)
    assert broken.error is not None
    assert broken.error.boundary == boundary
    assert error in broken.error.message
    assert broken.verdict is not None and not broken.verdict.passed
    bfcl = broken.metadata[BFCL_KEY]
    assert isinstance(bfcl, dict)
    if not_run is not None:
        assert bfcl["error_type"] == f"toolmaster:{not_run}"
    if case == "checker":  # the entry was played: its conversation is kept
        assert broken.messages
