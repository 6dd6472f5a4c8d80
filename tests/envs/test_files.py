"""The files environment: tools, tasks, verifier and reference solver over real MCP."""

from __future__ import annotations

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
from toolmaster.envs.files import ENV
from toolmaster.envs.files._world import TEST_APPS, TEST_SERVICES, TEST_USERS, TRAIN_USERS
from toolmaster.envs.kit import TRIAL_BUDGET

from tests.envs.driver import SolverRun, run_solver

pytestmark = pytest.mark.anyio

ALL_TASKS = [*ENV.tasks("train"), *ENV.tasks("test")]
KINDS = {"find_port", "count_errors", "config_value", "largest", "move_tmp", "delete_backups"}


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _files(state: dict[str, JsonValue]) -> dict[str, Any]:
    return cast(dict[str, Any], state["files"])


def _of_kind(kind: str, split: Split = "train") -> list[Task]:
    return [t for t in ENV.tasks(split) if t.metadata["kind"] == kind]


def _params(task: Task) -> dict[str, Any]:
    return cast(dict[str, Any], task.metadata["params"])


def test_tasks_split_on_held_out_values() -> None:
    train, test = ENV.tasks("train"), ENV.tasks("test")
    assert {t.metadata["kind"] for t in train} == KINDS == {t.metadata["kind"] for t in test}
    for task in test:
        params = _params(task)
        if task.metadata["kind"] == "find_port":
            assert str(task.expected["value"]).split("/")[2] in TEST_SERVICES
        if task.metadata["kind"] == "config_value":
            assert params["path"].split("/")[2] in TEST_SERVICES
        if task.metadata["kind"] == "count_errors":
            assert params["dir"].rsplit("/", 1)[1] in TEST_APPS
        if task.metadata["kind"] in ("largest", "move_tmp"):
            assert params["dir"].rsplit("/", 1)[1] in TEST_USERS
    for task in train:
        if task.metadata["kind"] in ("largest", "move_tmp"):
            assert _params(task)["dir"].rsplit("/", 1)[1] in TRAIN_USERS
    train_cuts = {_params(t)["before"] for t in _of_kind("delete_backups")}
    test_cuts = {_params(t)["before"] for t in _of_kind("delete_backups", "test")}
    assert train_cuts.isdisjoint(test_cuts)


async def test_snapshot_and_restore_round_trip() -> None:
    session = ENV.open(seed=3)
    before = session.snapshot()
    async with Client(session.server) as client:
        gone = await client.call_tool("delete", {"path": "/backups", "recursive": True})
        assert not gone.is_error
        await client.call_tool("write_file", {"path": "/new.txt", "text": "hi\n"})
        assert session.state() != before
        session.restore(before)
        assert session.state() == before
        listing = await client.call_tool("list_dir", {"path": "/"})
        assert not listing.is_error
        assert "etc/" in _text(listing)
        assert "backups/" in _text(listing)
        assert "new.txt" not in _text(listing)


async def test_tools_are_annotated_truthfully() -> None:
    session = ENV.open(seed=11)
    async with Client(session.server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {
            "list_dir", "read_file", "search", "write_file", "make_dir", "move", "delete",
        }  # fmt: skip
        for name, tool in tools.items():
            annotations = tool.annotations
            assert annotations is not None
            assert annotations.read_only_hint is (name in ("list_dir", "read_file", "search"))
            if name in ("write_file", "move", "delete"):
                assert annotations.destructive_hint is True
        assert tools["make_dir"].annotations is not None
        assert tools["make_dir"].annotations.destructive_hint is False
        descriptions = " ".join(t.description or "" for t in tools.values()).lower()
        for secret in ("hidden", "regex", "glob", "recursive", "truncat"):
            assert secret not in descriptions


async def test_tools_hide_their_conventions_until_tried() -> None:
    session = ENV.open(seed=4)
    limit = cast(int, session.state()["read_limit"])
    async with Client(session.server) as client:
        plain = _text(await client.call_tool("list_dir", {"path": "/home"}))
        user = f"/home/{plain.split('/')[0]}"
        home = _text(await client.call_tool("list_dir", {"path": user}))
        every = _text(await client.call_tool("list_dir", {"path": user, "a": True}))
        assert ".bashrc" not in home
        assert ".bashrc" in every
        assert "no matches" in _text(
            await client.call_tool("search", {"pattern": "bashrc", "path": user})
        )
        glob = await client.call_tool("search", {"pattern": "*.tmp"})
        assert glob.is_error
        assert "nothing to repeat" in _text(glob)
        loose = _text(await client.call_tool("search", {"pattern": ".tmp", "path": user}))
        assert f"{user}/tmp/cache.bin" in loose
        assert f"{user}/notes.tmpl" in loose
        longest = max(
            (p for p in _files(session.state()) if p.startswith("/var/log/")),
            key=lambda p: str(_files(session.state())[p]["content"]).count("\n"),
        )
        head = _text(await client.call_tool("read_file", {"path": longest}))
        assert head.count("\n") == limit
        rest = _text(
            await client.call_tool("read_file", {"path": longest, "offset": limit, "limit": 200})
        )
        assert head + rest == _files(session.state())[longest]["content"]
        assert (await client.call_tool("read_file", {"path": longest, "limit": 500})).is_error
        refused = await client.call_tool("delete", {"path": f"{user}/tmp"})
        assert refused.is_error
        assert "ENOTEMPTY" in _text(refused)
        missing = await client.call_tool("move", {"src": f"{user}/todo.md", "dst": "/nope/todo.md"})
        assert missing.is_error
        assert "ENOENT: /nope" in _text(missing)
        for bad in (
            ("read_file", {"path": "relative.txt"}),
            ("read_file", {"path": "/etc"}),
            ("list_dir", {"path": "/nowhere"}),
            ("delete", {"path": "/"}),
            ("move", {"src": "/etc", "dst": "/etc/x"}),
        ):
            assert (await client.call_tool(*bad)).is_error, bad


def _calls_before_finish(run: SolverRun) -> list[Any]:
    calls: list[Any] = []
    for turn in run.turns:
        for call in turn.tool_calls:
            if call.tool == FINISH_TRIAL:
                return calls
            calls.append(call)
    return calls


async def test_trial_mode_trials_makes_mistakes_and_writes_notes() -> None:
    runs = [
        await run_solver(ENV, task, mode="trial", seed=i) for i, task in enumerate(ALL_TASKS[:18])
    ]
    assert all(run.verdict.passed for run in runs)
    assert all(5 <= run.trial_calls <= TRIAL_BUDGET for run in runs)
    assert sum(run.errors for run in runs) >= 6
    every_note = ""
    for run in runs:
        (finish,) = [c for t in run.turns for c in t.tool_calls if c.tool == FINISH_TRIAL]
        notes = str(finish.arguments["notes"])
        every_note += notes
        assert "a=true" in notes
        assert any(f"{tool}:" in notes for tool in ("read_file", "search", "delete", "move"))
        assert all(c.phase == "trial" for c in _calls_before_finish(run))
    for lesson in ("regex", "NOT a glob", "silently returns only", "ENOTEMPTY", "ENOENT"):
        assert lesson in every_note, lesson
    direct = [await run_solver(ENV, task, mode="direct") for task in ALL_TASKS[:12]]
    assert all(run.trial_calls == 0 and run.verdict.passed for run in direct)
    assert sum(run.errors for run in direct) >= 2


async def test_wrong_answers_fail_the_verifier() -> None:
    for kind in ("find_port", "count_errors", "config_value", "largest"):
        task = _of_kind(kind)[1]
        run = await run_solver(ENV, task, mode="direct")
        assert run.verdict.passed, run.verdict.reasons
        state = ENV.open(task).state()
        assert not ENV.verify(task, None, state).passed
        assert not ENV.verify(task, "I could not find it.", state).passed
        expected = str(task.expected["value"])
        if kind in ("find_port", "largest"):
            wrong = [f"{expected}.bak", "/etc/other.conf", f"{expected} or /etc/x.conf"]
        elif kind == "count_errors":
            wrong = [f"{int(expected) + 1} lines", f"{int(expected) - 1}"]
        else:
            wrong = [f"{expected}0", "unset"]
        for answer in wrong:
            assert not ENV.verify(task, answer, state).passed, (kind, answer)
        assert ENV.verify(task, f"It is `{expected}`.", state).passed


async def test_a_question_answered_after_changing_files_fails() -> None:
    task = _of_kind("largest", "test")[0]
    session = ENV.open(task)
    async with Client(session.server) as client:
        await client.call_tool("delete", {"path": "/backups", "recursive": True})
    answer = f"It is {task.expected['value']}."
    assert ENV.verify(task, answer, ENV.open(task).state()).passed
    verdict = ENV.verify(task, answer, session.state())
    assert not verdict.passed
    assert "changed the files" in verdict.reasons[0]


async def test_wrong_final_states_fail_the_verifier() -> None:
    for kind in ("move_tmp", "delete_backups"):
        task = _of_kind(kind, "test")[0]
        assert not ENV.verify(task, "done", ENV.open(task).state()).passed
        run = await run_solver(ENV, task, mode="direct")
        assert run.verdict.passed, run.verdict.reasons
        careless = ENV.open(task)
        async with Client(careless.server) as client:
            # the wrong move: everything that merely contains "tmp" / the whole backup folder
            if kind == "move_tmp":
                await client.call_tool("make_dir", {"path": "/trash"})
                hits = _text(await client.call_tool("search", {"pattern": ".tmp"}))
                for path in hits.splitlines():
                    await client.call_tool("move", {"src": path, "dst": "/trash/"})
            else:
                await client.call_tool("delete", {"path": "/backups", "recursive": True})
        verdict = ENV.verify(task, "done", careless.state())
        assert not verdict.passed
        assert verdict.reasons
