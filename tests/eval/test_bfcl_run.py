"""BFCL simulators over MCP, entries through the agent, BFCL's checker on the result: the
ground-truth replay passes it, a wrong sequence fails it, trials leave the scored state alone."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils
from pydantic import JsonValue, TypeAdapter
from toolmaster.agent import AssistantTurn, Recorder, ScriptedPolicy
from toolmaster.core import AsyncStore, Episode, Mode, Store, ToolCall
from toolmaster.eval.bfcl import (
    BFCL_KEY,
    BfclConfig,
    BfclEntry,
    BfclSession,
    _upstream,
    bfcl_agent_config,
    call_string,
    ground_truth_calls,
    ground_truth_policy,
    load_entries,
    run_entries,
    run_entry,
    summarize,
)
from toolmaster.mcp import Toolbox

pytestmark = pytest.mark.anyio

DECODED = TypeAdapter(list[list[list[str]]])

SAMPLE = [0, 7, 23, 51, 88, 104, 137, 152, 176, 199]
"""multi_turn_base entries that cover every simulator class."""


def base(*indices: int) -> list[BfclEntry]:
    return load_entries("multi_turn_base", ids=[f"multi_turn_base_{i}" for i in indices])


def config(mode: Mode = "direct") -> BfclConfig:
    return BfclConfig(agent=bfcl_agent_config(mode), run="test", policy="ground-truth")


def kept_instances() -> int:
    return sum(1 for name in vars(multi_turn_utils) if name.endswith("_instance"))


def public_state(instance: object) -> dict[str, object]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


async def replay(entries: list[BfclEntry], mode: Mode, *, wrong: bool = False) -> list[Episode]:
    with anyio.fail_after(60):
        return await run_entries(
            entries, lambda e: ground_truth_policy(e, mode, wrong=wrong), config(mode)
        )


# ------------------------------------------------------------------ the servers


async def test_each_class_is_a_server_that_runs_calls_as_bfcl_does() -> None:
    (entry,) = base(0)  # TwitterAPI and GorillaFileSystem
    with BfclSession(entry) as session:
        async with Toolbox(session.specs()) as toolbox:
            assert [s.name for s in toolbox.servers] == entry.involved_classes
            by_name = {t.name: t for t in toolbox.tools}
            assert by_name["cd"].server == "GorillaFileSystem"
            assert by_name["post_tweet"].server == "TwitterAPI"
            assert by_name["cd"].input_schema["required"] == ["folder"]

            result = await toolbox.call(ToolCall(id="1", tool="cd", arguments={"folder": "doc"}))
            expected = _upstream.execute(
                ["cd(folder='doc')"],
                initial_config=entry.initial_config,
                involved_classes=entry.involved_classes,
                namespace="probe_cd",
                entry_id=entry.id,
            )
            _upstream.release("probe_cd")
            assert result.text == expected[0]
            assert not result.is_error

            # an exception in a simulator method: BFCL's text, as an MCP tool error
            failed = await toolbox.call(ToolCall(id="2", tool="cd", arguments={"nope": 1}))
            assert failed.is_error
            assert failed.text.startswith("Error during execution:")
            assert session.executed == ["cd(folder='doc')", "cd(nope=1)"]


async def test_unsafe_argument_names_never_reach_bfcls_executor() -> None:
    (entry,) = base(0)
    with BfclSession(entry) as session:
        async with Toolbox(session.specs()) as toolbox:
            evil: dict[str, JsonValue] = {"folder='x',y=__import__('os').getpid()": 1}
            result = await toolbox.call(ToolCall(id="1", tool="cd", arguments=evil))
    assert result.is_error
    assert "invalid argument name" in result.text
    assert session.executed == []


async def test_held_out_functions_are_listed_only_from_their_turn() -> None:
    (entry,) = load_entries("multi_turn_miss_func", ids=["multi_turn_miss_func_0"])
    with BfclSession(entry) as session:
        async with Toolbox(session.specs()) as toolbox:
            assert "sort" not in {t.name for t in toolbox.tools}
            early = await toolbox.call(ToolCall(id="1", tool="sort", arguments={"file_name": "a"}))
            assert early.error_kind == "refused"
            assert session.offer(3) == ["sort"]
            await toolbox.refresh()
            assert "sort" in {t.name for t in toolbox.tools}
            assert session.executed == []


def test_trials_run_on_a_throwaway_copy() -> None:
    (entry,) = base(0)
    with BfclSession(entry) as session, BfclSession(entry) as fresh:
        session.call("cd", {"folder": "document"})
        token = session.snapshot()
        # the copy starts at the scored state: "document" is the current directory there too
        probe = session.call("mkdir", {"dir_name": "trial_only"})
        assert not probe.is_error
        session.restore(token)
        fresh.call("cd", {"folder": "document"})
        scored, clean = session.instances(), fresh.instances()
        for name, instance in scored.items():
            assert public_state(instance) == public_state(clean[name])
        assert session.executed == ["cd(folder='document')"]


def test_closing_forgets_every_instance() -> None:
    (entry,) = base(0)
    before = kept_instances()
    with BfclSession(entry) as session:
        session.call("cd", {"folder": "document"})
        session.restore(session.snapshot())
        session.snapshot()
        assert kept_instances() > before
    assert kept_instances() == before


# ------------------------------------------------------------------ the replay


@pytest.mark.parametrize("mode", ["direct", "trial"])
async def test_ground_truth_passes_bfcls_checker_on_a_sample(mode: Mode) -> None:
    entries = base(*SAMPLE)
    before = kept_instances()
    episodes = await replay(entries, mode)
    for entry, episode in zip(entries, episodes, strict=True):
        assert episode.error is None, (entry.id, episode.error)
        assert episode.verdict is not None
        assert episode.verdict.passed, (entry.id, episode.verdict.reasons)
        bfcl = episode.metadata[BFCL_KEY]
        assert isinstance(bfcl, dict)
        # the scored answer is the ground truth, call for call (trial calls left out)
        decoded = DECODED.validate_python(bfcl["decoded"])
        assert len(decoded) == len(entry.ground_truth)
        answer = [[c for step in turn for c in step] for turn in decoded]
        truth = [[call_string(c.tool, c.arguments) for c in t] for t in ground_truth_calls(entry)]
        assert answer == truth
        assert (episode.metadata["trial_calls"] != 0) == (mode == "trial")
    assert kept_instances() == before
    (summary,) = summarize(episodes)
    assert (summary.entries, summary.passed, summary.accuracy) == (len(SAMPLE), len(SAMPLE), 1.0)


async def test_a_wrong_sequence_fails_bfcls_checker() -> None:
    entries = base(*SAMPLE)
    episodes = await replay(entries, "direct", wrong=True)
    for episode in episodes:
        assert episode.verdict is not None
        assert not episode.verdict.passed
        assert episode.verdict.reasons[0].startswith("multi_turn:")
    (summary,) = summarize(episodes)
    assert summary.passed == 0


async def test_miss_func_replay_gets_the_held_out_function_at_its_turn() -> None:
    entries = load_entries("multi_turn_miss_func", ids=["multi_turn_miss_func_0"])
    (episode,) = await replay(entries, "trial")
    assert episode.verdict is not None and episode.verdict.passed, episode.verdict
    assert "sort" in {t.name for t in episode.tools}
    user = [m.content for m in episode.messages if m.role == "user"]
    assert user == entries[0].turns


async def test_an_episode_that_stops_early_fails_as_force_terminated() -> None:
    (entry,) = base(0)
    first = ground_truth_calls(entry)[0]
    script = [AssistantTurn(tool_calls=[call]) for call in first] * 10
    episode = await run_entry(entry, ScriptedPolicy(script), config())
    assert episode.error is not None and episode.error.kind == "budget"
    assert episode.verdict is not None and not episode.verdict.passed
    assert episode.verdict.reasons[0].startswith("multi_turn:force_terminated")


async def test_episodes_are_recorded_with_their_tags(tmp_path: Path) -> None:
    entries = base(7)
    with Store(tmp_path / "sessions.db") as store:
        recorder = Recorder(AsyncStore(store))
        (episode,) = await run_entries(
            entries, lambda e: ground_truth_policy(e, "direct"), config(), recorder=recorder
        )
        stored = store.get_episode(episode.id)
        assert stored == episode
        assert store.events(episode.id)[-1].kind == "episode_finished"
    assert episode.metadata["eval"] == {
        "run": "test",
        "suite": "bfcl",
        "setting": "multi_turn_base",
        "policy": "ground-truth",
        "sample": 0,
        "seed": None,
        "kinds": [],
    }
    bfcl = episode.metadata[BFCL_KEY]
    assert isinstance(bfcl, dict)
    assert (bfcl["id"], bfcl["category"], bfcl["valid"]) == (
        "multi_turn_base_7",
        "multi_turn_base",
        True,
    )
    assert episode.task.env == "bfcl"
    assert episode.policy.name == "bfcl-ground-truth"
