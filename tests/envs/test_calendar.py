"""The calendar environment: both tool versions, tasks, verifier and reference solver."""

from __future__ import annotations

from typing import Any, cast

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import JsonValue
from toolmaster.core import FINISH_TRIAL, Task
from toolmaster.envs.calendar import ENV
from toolmaster.envs.calendar._dialect import dmy
from toolmaster.envs.calendar._tasks import DURATIONS, NEW_TITLES
from toolmaster.envs.calendar._world import first_free, weekdays

from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio

ALL_TASKS = [*ENV.tasks("train"), *ENV.tasks("test")]


def _events(state: dict[str, JsonValue]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], state["events"])


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _task(kind: str, version: str = "v1") -> Task:
    return next(
        t
        for t in ENV.tasks("test")
        if t.metadata["kind"] == kind and t.metadata["version"] == version
    )


def test_test_split_holds_out_values_and_v2() -> None:
    train, test = ENV.tasks("train"), ENV.tasks("test")
    assert {t.metadata["version"] for t in train} == {"v1"}
    assert {t.metadata["version"] for t in test} == {"v1", "v2"}
    assert set(NEW_TITLES["train"]).isdisjoint(NEW_TITLES["test"])
    assert set(DURATIONS["train"]).isdisjoint(DURATIONS["test"])
    booked_train = {t.metadata.get("title") for t in train if "add" in t.expected}
    booked_test = {t.metadata.get("title") for t in test if "add" in t.expected}
    assert booked_train.isdisjoint(booked_test)


def test_first_free_slot() -> None:
    busy = [(9 * 60, 10 * 60), (10 * 60 + 30, 11 * 60), (14 * 60, 15 * 60)]
    assert first_free(busy, 9 * 60 + 15, 30) == 10 * 60
    assert first_free(busy, 9 * 60 + 15, 45) == 11 * 60
    assert first_free(busy, 13 * 60 + 30, 45) == 15 * 60
    assert first_free(busy, 8 * 60, 60) == 8 * 60


async def test_v1_and_v2_tool_lists_differ() -> None:
    schemas: dict[str, dict[str, Any]] = {}
    for version in ENV.versions:
        async with Client(ENV.open(seed=1, version=version).server) as client:
            tools = (await client.list_tools()).tools
        schemas[version] = {t.name: t.input_schema["properties"] for t in tools}
    assert (
        set(schemas["v1"])
        == set(schemas["v2"])
        == {
            "list_events",
            "create_event",
            "delete_event",
            "move_event",
        }
    )
    assert set(schemas["v1"]["create_event"]) == {"title", "date", "time", "duration"}
    assert set(schemas["v2"]["create_event"]) == {"title", "start", "end"}
    assert schemas["v1"]["list_events"] != schemas["v2"]["list_events"]


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_annotations_are_truthful(version: str) -> None:
    async with Client(ENV.open(seed=1, version=version).server) as client:
        hints = {t.name: t.annotations for t in (await client.list_tools()).tools}
    flags = {
        name: (h.read_only_hint, h.destructive_hint) for name, h in hints.items() if h is not None
    }
    assert flags == {
        "list_events": (True, None),
        "create_event": (False, False),
        "delete_event": (False, True),
        "move_event": (False, True),
    }


async def test_v1_conventions_show_only_when_tried() -> None:
    session = ENV.open(seed=4, version="v1")
    day = weekdays(4)[0]
    async with Client(session.server) as client:
        iso = await client.call_tool("list_events", {"date": day})
        assert iso.is_error
        assert "DD/MM/YYYY" in _text(iso)
        probe = {"title": "p", "date": dmy(day), "time": "07:00", "duration": 1}
        made = await client.call_tool("create_event", probe)
        assert not made.is_error
        assert "07:00-07:01" in _text(made)
        clash = await client.call_tool("create_event", {**probe, "duration": 30})
        assert clash.is_error
        assert "time slot not available" in _text(clash)


async def test_v2_conventions_show_only_when_tried() -> None:
    session = ENV.open(seed=4, version="v2")
    day = weekdays(4)[0]
    async with Client(session.server) as client:
        listing = await client.call_tool("list_events", {"day": day})
        assert listing.structured_content is not None
        first = listing.structured_content["items"][0]
        assert str(first["event_id"]).startswith("evt_")
        assert set(first) == {"event_id", "summary", "start", "end"}
        bare = await client.call_tool(
            "delete_event", {"event_id": str(first["event_id"]).removeprefix("evt_")}
        )
        assert bare.is_error
        zone = await client.call_tool(
            "create_event",
            {"title": "p", "start": f"{day}T07:00:00Z", "end": f"{day}T07:30:00Z"},
        )
        assert zone.is_error
        assert "time zone" in _text(zone)
        done = await client.call_tool("delete_event", {"event_id": first["event_id"]})
        assert not done.is_error


async def test_snapshot_and_restore_undo_tool_changes() -> None:
    session = ENV.open(seed=9)
    before = session.snapshot()
    day = dmy(weekdays(9)[0])
    async with Client(session.server) as client:
        listing = await client.call_tool("list_events", {"date": day})
        assert listing.structured_content is not None
        victim = listing.structured_content["events"][0]["id"]
        assert not (await client.call_tool("delete_event", {"event_id": victim})).is_error
        assert session.state() != before
        session.restore(before)
        assert session.state() == before
        again = await client.call_tool("list_events", {"date": day})
        assert again.structured_content == listing.structured_content


@pytest.mark.parametrize(("version", "learnt"), [("v1", "minutes"), ("v2", "evt_")])
async def test_trial_notes_state_the_hidden_conventions(version: str, learnt: str) -> None:
    task = _task("book_first_free", version)
    run = await run_solver(ENV, task, mode="trial", seed=3)
    assert run.verdict.passed
    (finish,) = [c for turn in run.turns for c in turn.tool_calls if c.tool == FINISH_TRIAL]
    notes = str(finish.arguments["notes"])
    assert learnt in notes
    assert all(tool in notes for tool in ("list_events", "create_event", "delete_event"))
    assert run.trial_calls >= 4


async def test_direct_mode_recovers_from_mistakes() -> None:
    task = _task("book_at", "v1")
    runs = [await run_solver(ENV, task, mode="direct", seed=s) for s in range(12)]
    assert all(r.verdict.passed for r in runs)
    assert all(r.errors >= 1 for r in runs)  # the ISO date first, always corrected
    assert not any(c.tool == FINISH_TRIAL for r in runs for t in r.turns for c in t.tool_calls)


def _mutated(task: Task, change: Any) -> dict[str, JsonValue]:
    session = ENV.open(task)
    change(_events(session.data))
    return session.state()


def test_wrong_final_states_fail() -> None:
    book = _task("book_first_free")
    add = cast(dict[str, Any], book.expected["add"])
    right = {**add, "id": 999}
    assert ENV.verify(book, "", _mutated(book, lambda ev: ev.append(right))).passed
    late = {**right, "start": add["start"] + 15}
    assert not ENV.verify(book, "", _mutated(book, lambda ev: ev.append(late))).passed
    twice = [right, {**right, "id": 1000}]
    assert not ENV.verify(book, "", _mutated(book, lambda ev: ev.extend(twice))).passed
    assert not ENV.verify(book, "", ENV.open(book).state()).passed
    short = {**right, "duration": add["duration"] // 60 or 1}
    assert not ENV.verify(book, "", _mutated(book, lambda ev: ev.append(short))).passed

    cancel = _task("cancel", "v2")
    gone = cancel.expected["remove"]
    assert ENV.verify(cancel, "", _mutated(cancel, lambda ev: _drop(ev, gone))).passed
    other = next(e["id"] for e in _events(ENV.open(cancel).state()) if e["id"] != gone)
    assert not ENV.verify(cancel, "", _mutated(cancel, lambda ev: _drop(ev, other))).passed
    both = _mutated(cancel, lambda ev: _drop(ev, gone, other))
    assert not ENV.verify(cancel, "", both).passed

    move = _task("move")
    moved_id, start = move.expected["move"], move.expected["start"]
    assert ENV.verify(move, "", _mutated(move, lambda ev: _set(ev, moved_id, start))).passed
    assert not ENV.verify(move, "", _mutated(move, lambda ev: _set(ev, moved_id, 0))).passed


def _drop(events: list[dict[str, Any]], *event_ids: Any) -> None:
    events[:] = [e for e in events if e["id"] not in event_ids]


def _set(events: list[dict[str, Any]], event_id: Any, start: Any) -> None:
    for event in events:
        if event["id"] == event_id:
            event["start"] = start


def test_wrong_answers_fail() -> None:
    count = _task("count")
    state = ENV.open(count).state()
    n = int(str(count.expected["count"]))
    assert ENV.verify(count, f"You have {n} events.", state).passed
    assert not ENV.verify(count, f"You have {n + 1} events.", state).passed
    assert not ENV.verify(count, None, state).passed
    some = _events(state)[0]["id"]
    emptied = _mutated(count, lambda ev: _drop(ev, some))
    assert not ENV.verify(count, f"You have {n} events.", emptied).passed

    end = _task("end_time")
    state = ENV.open(end).state()
    hours, minutes = str(end.expected["time"]).split(":")
    assert ENV.verify(end, f"It ends at {end.expected['time']}.", state).passed
    twelve = f"{int(hours) % 12 or 12}:{minutes} {'pm' if int(hours) >= 12 else 'am'}"
    assert ENV.verify(end, f"It ends at {twelve}.", state).passed
    assert not ENV.verify(end, f"It ends at {(int(hours) + 1) % 24:02d}:{minutes}.", state).passed
    many = " ".join(f"{h:02d}:00" for h in range(8, 19))
    assert not ENV.verify(end, f"{many} {end.expected['time']}", state).passed
