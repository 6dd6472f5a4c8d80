"""The sqlbase environment: tools, tasks, verifier and reference solver over real MCP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import JsonValue
from toolmaster.core import (
    FINISH_TRIAL,
    Split,
    Task,
)
from toolmaster.envs.kit import TRIAL_BUDGET
from toolmaster.envs.sqlbase import ENV
from toolmaster.envs.sqlbase._world import TEST_CATEGORIES, TEST_CITIES, TRAIN_CITIES

from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio

ALL_TASKS = [*ENV.tasks("train"), *ENV.tasks("test")]
KINDS = {
    "revenue", "count", "order_date", "top_customer", "category_units", "average",
    "refund", "purge", "set_price",
}  # fmt: skip


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _tables(state: dict[str, JsonValue]) -> dict[str, Any]:
    return cast(dict[str, Any], state["tables"])


def _of_kind(kind: str, split: Split = "train") -> list[Task]:
    return [t for t in ENV.tasks(split) if t.metadata["kind"] == kind]


def test_tasks_split_on_held_out_values() -> None:
    train, test = ENV.tasks("train"), ENV.tasks("test")
    assert {t.metadata["kind"] for t in train} == KINDS == {t.metadata["kind"] for t in test}
    params = [(t.split, cast(dict[str, Any], t.metadata["params"])) for t in ALL_TASKS]
    assert {p["city"] for s, p in params if s == "train" and "city" in p} <= set(TRAIN_CITIES)
    assert {p["city"] for s, p in params if s == "test" and "city" in p} <= set(TEST_CITIES)
    assert {p["category"] for s, p in params if s == "test" and "category" in p} <= set(
        TEST_CATEGORIES
    )
    assert all(p["order_id"] > 150 for s, p in params if s == "test" and "order_id" in p)


def test_schemas_vary_between_seeds() -> None:
    names = {tuple(sorted(_tables(ENV.open(seed=s).state()))) for s in range(12)}
    assert len(names) > 4


async def test_snapshot_and_restore_round_trip() -> None:
    session = ENV.open(seed=3)
    before = session.snapshot()
    async with Client(session.server) as client:
        listing = await client.call_tool("list_tables", {})
        assert listing.structured_content is not None
        biggest = max(listing.structured_content["tables"], key=lambda t: t["rows"])["name"]
        desc = await client.call_tool("describe", {"table": biggest})
        assert desc.structured_content is not None
        pk = desc.structured_content["columns"][0]["name"]
        done = await client.call_tool("execute", {"sql": f"DELETE FROM {biggest} WHERE {pk} < 11"})
        assert done.structured_content == {"rows_affected": 10}
        assert session.state() != before
        session.restore(before)
        assert session.state() == before
        count = await client.call_tool("query", {"sql": f"SELECT COUNT(*) FROM {biggest}"})
        assert count.structured_content is not None
        assert count.structured_content["rows"] == [[240]]


async def test_tools_are_annotated_truthfully_and_hide_conventions() -> None:
    session = ENV.open(seed=11)
    async with Client(session.server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"list_tables", "describe", "query", "execute"}
        for name in ("list_tables", "describe", "query"):
            annotations = tools[name].annotations
            assert annotations is not None
            assert annotations.read_only_hint
        execute = tools["execute"].annotations
        assert execute is not None
        assert execute.read_only_hint is False
        assert execute.destructive_hint is True
        descriptions = " ".join(t.description or "" for t in tools.values()).lower()
        assert "cent" not in descriptions
        assert "millisecond" not in descriptions


async def test_sql_errors_and_limits_come_back_as_data() -> None:
    session = ENV.open(seed=2)
    async with Client(session.server) as client:
        bad = await client.call_tool("query", {"sql": "SELECT amount FROM nowhere"})
        assert bad.is_error
        assert "sqlite error: no such table: nowhere" in _text(bad)
        assert (await client.call_tool("describe", {"table": "nowhere"})).is_error
        listing = await client.call_tool("list_tables", {})
        assert listing.structured_content is not None
        assert "(240 rows)" in _text(listing)
        tables = [t["name"] for t in listing.structured_content["tables"]]
        orders = next(t["name"] for t in listing.structured_content["tables"] if t["rows"] == 240)
        write = await client.call_tool("query", {"sql": f"DELETE FROM {orders} WHERE 1"})
        assert write.is_error
        assert "readonly" in _text(write)
        refused = await client.call_tool("execute", {"sql": f"DELETE FROM {orders}"})
        assert refused.is_error
        assert "E_NOWHERE" in _text(refused)
        assert (await client.call_tool("execute", {"sql": f"SELECT * FROM {orders}"})).is_error
        assert (await client.call_tool("execute", {"sql": f"DROP TABLE {orders}"})).is_error
        rows = await client.call_tool("query", {"sql": f"SELECT * FROM {orders}"})
        assert rows.structured_content is not None
        assert rows.structured_content["truncated"] is True
        assert rows.structured_content["row_count"] == 240
        assert len(rows.structured_content["rows"]) == 20
        assert "(240 rows, first 20 shown)" in _text(rows)
        attach = await client.call_tool("query", {"sql": "ATTACH 'x.db' AS x"})
        assert attach.is_error
        assert "not authorized" in _text(attach)
        two = await client.call_tool("execute", {"sql": f"DELETE FROM {orders} WHERE 1; SELECT 1"})
        assert two.is_error
        assert "one statement" in _text(two)
        runaway = " CROSS JOIN ".join(f"{orders} t{i}" for i in range(4))
        slow = await client.call_tool("query", {"sql": f"SELECT COUNT(*) FROM {runaway}"})
        assert slow.is_error
        assert "interrupted" in _text(slow)
        assert sorted(tables) == sorted(_tables(session.state()))


async def test_trial_mode_trials_makes_mistakes_and_writes_notes() -> None:
    runs = [
        await run_solver(ENV, task, mode="trial", seed=i) for i, task in enumerate(ALL_TASKS[:12])
    ]
    assert all(run.verdict.passed for run in runs)
    assert all(6 <= run.trial_calls <= TRIAL_BUDGET for run in runs)
    assert sum(run.errors for run in runs) >= 6
    every_note = ""
    for run in runs:
        (finish,) = [c for t in run.turns for c in t.tool_calls if c.tool == FINISH_TRIAL]
        notes = str(finish.arguments["notes"])
        every_note += notes
        assert "CENTS" in notes
        assert "unix" in notes
        assert all(f"{tool}:" in notes for tool in ("list_tables", "describe", "query"))
        assert all(c.phase == "trial" for c in _calls_before_finish(run.turns))
    for lesson in ("status codes", "E_NOWHERE", "readonly", "no such column: amount"):
        assert lesson in every_note, lesson
    direct = await run_solver(ENV, ALL_TASKS[0], mode="direct")
    assert direct.trial_calls == 0
    assert direct.errors >= 1
    assert all(c.tool != FINISH_TRIAL for t in direct.turns for c in t.tool_calls)


def _calls_before_finish(turns: list[Any]) -> list[Any]:
    calls: list[Any] = []
    for turn in turns:
        for call in turn.tool_calls:
            if call.tool == FINISH_TRIAL:
                return calls
            calls.append(call)
    return calls


async def test_wrong_answers_fail_the_verifier() -> None:
    for kind in ("revenue", "count", "average", "category_units", "order_date", "top_customer"):
        task = _of_kind(kind)[0]
        run = await run_solver(ENV, task, mode="direct")
        assert run.verdict.passed, run.verdict.reasons
        assert run.answer is not None
        state = ENV.open(task).state()
        assert not ENV.verify(task, None, state).passed
        assert not ENV.verify(task, "I don't know", state).passed
        if kind == "order_date":
            day = date.fromisoformat(str(cast(dict[str, Any], task.expected)["value"]))
            wrong = f"It was placed on {day + timedelta(days=1)}."
        elif kind == "top_customer":
            wrong = "Zed Nobody" if "Ada" in run.answer else "Ada Lund"
        else:
            number = cast(dict[str, Any], task.expected)["value"]
            wrong = f"The answer is {float(number) + 1:.2f}"
        assert not ENV.verify(task, wrong, state).passed, (kind, wrong)


def test_verifier_parses_answers_tolerantly() -> None:
    task = _of_kind("revenue")[0]
    value = float(cast(dict[str, Any], task.expected)["value"])
    state = ENV.open(task).state()
    for answer in (
        f"${value:,.2f}",
        f"In March 2024 it was {value:.2f} dollars.",
        f"**{value:.3f}**",
    ):
        assert ENV.verify(task, answer, state).passed, answer
    top = _of_kind("top_customer")[0]
    first, last = (cast(dict[str, Any], top.expected)[k] for k in ("first", "last"))
    top_state = ENV.open(top).state()
    for answer in (f"{first} {last}", f"{last.upper()}, {first}", f"It is **{first} {last}**."):
        assert ENV.verify(top, answer, top_state).passed, answer
    assert not ENV.verify(top, f"{first} {last} or Ada Lund", top_state).passed


async def test_a_question_answered_after_changing_data_fails() -> None:
    task = _of_kind("count", "test")[0]
    session = ENV.open(task)
    async with Client(session.server) as client:
        listing = await client.call_tool("list_tables", {})
        assert listing.structured_content is not None
        name = next(t["name"] for t in listing.structured_content["tables"] if t["rows"] == 240)
        await client.call_tool("execute", {"sql": f"DELETE FROM {name} WHERE 1 = 1"})
    answer = f"{cast(dict[str, Any], task.expected)['value']} orders"
    assert ENV.verify(task, answer, ENV.open(task).state()).passed
    verdict = ENV.verify(task, answer, session.state())
    assert not verdict.passed
    assert "changed the data" in verdict.reasons[0]


async def test_wrong_final_states_fail_the_verifier() -> None:
    for kind in ("refund", "purge", "set_price"):
        task = _of_kind(kind, "test")[0]
        untouched = ENV.open(task)
        assert not ENV.verify(task, "done", untouched.state()).passed
        run = await run_solver(ENV, task, mode="trial")
        assert run.verdict.passed, run.verdict.reasons
        session = ENV.open(task)
        async with Client(session.server) as client:
            listing = await client.call_tool("list_tables", {})
            assert listing.structured_content is not None
            name = next(t["name"] for t in listing.structured_content["tables"] if t["rows"] == 240)
            desc = await client.call_tool("describe", {"table": name})
            assert desc.structured_content is not None
            pk = desc.structured_content["columns"][0]["name"]
            # a careless change: every order touched, not just the right ones
            await client.call_tool("execute", {"sql": f"DELETE FROM {name} WHERE {pk} % 2 = 0"})
        verdict = ENV.verify(task, "done", session.state())
        assert not verdict.passed
        assert verdict.reasons
