"""The jokes environment: tools, tasks, verifier and reference solver over real MCP."""

from __future__ import annotations

from typing import Any, cast

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import JsonValue
from toolmaster.core import FINISH_TRIAL, Mode, Task
from toolmaster.envs.jokes import ENV
from toolmaster.envs.jokes._catalogue import CATEGORIES

from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio

ALL_TASKS = [*ENV.tasks("train"), *ENV.tasks("test")]


def _jokes(state: dict[str, JsonValue]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], state["jokes"])


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def test_tasks_split_on_held_out_categories() -> None:
    train, test = ENV.tasks("train"), ENV.tasks("test")
    held_out = {c.name for c in CATEGORIES if c.split == "test"}
    train_labels = {t.metadata.get("label") for t in train} - {None}
    test_labels = {t.metadata.get("label") for t in test} - {None}
    assert train_labels.isdisjoint(held_out)
    assert test_labels <= held_out
    assert {t.metadata["kind"] for t in test} == {"jokes", "joke_id", "count", "top"}


def test_topic_keywords_name_exactly_one_joke() -> None:
    texts = [text.lower() for c in CATEGORIES for _, text in c.jokes]
    for category in CATEGORIES:
        for keyword, _ in category.jokes:
            assert sum(keyword in text for text in texts) == 1, keyword


def test_snapshot_and_restore_round_trip() -> None:
    session = ENV.open(seed=3)
    before = session.snapshot()
    session.data["jokes"] = []
    assert session.state()["jokes"] == []
    session.restore(before)
    assert session.state() == before


async def test_tools_hide_their_conventions_until_tried() -> None:
    session = ENV.open(seed=11)
    async with Client(session.server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"web_search", "list_categories", "joke_finder", "get_joke"}
        listed = await client.call_tool("list_categories", {})
        assert listed.structured_content is not None
        assert len(listed.structured_content["categories"]) == len(CATEGORIES)
        assert all(t.annotations and t.annotations.read_only_hint for t in tools.values())
        web = tools["web_search"].annotations
        assert web is not None
        assert web.open_world_hint
        assert "HOLIDAY_" not in (tools["joke_finder"].description or "")

        plain = await client.call_tool("joke_finder", {"category": "halloween"})
        assert plain.is_error
        assert "unknown category 'halloween'" in _text(plain)

        one = await client.call_tool("joke_finder", {"category": "HOLIDAY_HALLOWEEN"})
        assert one.structured_content is not None
        assert len(one.structured_content["jokes"]) == 1
        assert one.structured_content["total"] >= 5

        capped = await client.call_tool(
            "joke_finder", {"category": "HOLIDAY_HALLOWEEN", "count": 11}
        )
        assert capped.is_error


async def test_web_search_never_returns_catalogue_jokes() -> None:
    session = ENV.open(seed=2)
    texts = [j["text"] for j in _jokes(session.state())]
    async with Client(session.server) as client:
        for category in CATEGORIES:
            result = await client.call_tool("web_search", {"query": f"{category.name} jokes"})
            assert not result.is_error
            shown = str(result.structured_content)
            assert not any(text in shown for text in texts)


@pytest.mark.parametrize("mode", ["trial", "direct"])
async def test_trial_mode_trials_and_takes_notes_direct_mode_does_not(mode: Mode) -> None:
    task = next(t for t in ENV.tasks("train") if t.metadata["kind"] == "jokes")
    run = await run_solver(ENV, task, mode=mode, seed=1)
    assert run.verdict.passed
    finish = [c for turn in run.turns for c in turn.tool_calls if c.tool == FINISH_TRIAL]
    if mode == "trial":
        assert run.trial_calls >= 3
        notes = str(finish[0].arguments["notes"])
        assert "count defaults to 1" in notes
        assert "HOLIDAY_" in notes or "_" in notes
        assert run.errors >= 1
    else:
        assert not finish


async def test_solver_recovers_from_its_mistakes_across_seeds() -> None:
    task = next(t for t in ENV.tasks("train") if t.metadata["kind"] == "jokes")
    runs = [await run_solver(ENV, task, mode="direct", seed=s) for s in range(12)]
    assert all(r.verdict.passed for r in runs)
    assert any(r.errors for r in runs)
    assert len({len(r.turns) for r in runs}) > 1


def _task(kind: str) -> Task:
    return next(t for t in ENV.tasks("test") if t.metadata["kind"] == kind)


def test_wrong_answers_fail() -> None:
    jokes_task = _task("jokes")
    state = ENV.open(jokes_task).state()
    code = jokes_task.expected["category"]
    mine = [j["text"] for j in _jokes(state) if j["category"] == code]
    other = [j["text"] for j in _jokes(state) if j["category"] != code]
    wanted = int(str(jokes_task.expected["count"]))
    assert ENV.verify(jokes_task, "\n".join(mine[:wanted]).upper(), state).passed
    assert not ENV.verify(jokes_task, "\n".join(mine[: wanted - 1]), state).passed
    assert not ENV.verify(jokes_task, "\n".join(other[:wanted]), state).passed
    assert not ENV.verify(jokes_task, "\n".join([mine[0]] * wanted), state).passed
    assert not ENV.verify(jokes_task, None, state).passed

    id_task = _task("joke_id")
    state = ENV.open(id_task).state()
    right = str(id_task.expected["joke_id"])
    ids = [j["id"] for j in _jokes(state)]
    wrong = next(i for i in ids if i != right)
    assert ENV.verify(id_task, f"It is {right.lower()}.", state).passed
    assert not ENV.verify(id_task, f"It is {wrong}.", state).passed
    assert not ENV.verify(id_task, f"Either {right} or {wrong}.", state).passed

    count_task = _task("count")
    state = ENV.open(count_task).state()
    total = int(str(count_task.expected["total"]))
    assert ENV.verify(count_task, f"There are {total} of them.", state).passed
    assert not ENV.verify(count_task, f"There are {total + 1} of them.", state).passed

    top_task = _task("top")
    state = ENV.open(top_task).state()
    ranked = sorted(
        (j for j in _jokes(state) if j["category"] == top_task.expected["category"]),
        key=lambda j: j["rating"],
    )
    assert ENV.verify(top_task, f'"{ranked[-1]["text"]}"', state).passed
    assert not ENV.verify(top_task, f'"{ranked[-2]["text"]}"', state).passed
    both = f"{ranked[-1]['text']} {ranked[-2]['text']}"
    assert not ENV.verify(top_task, both, state).passed
