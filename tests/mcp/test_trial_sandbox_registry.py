"""Sandboxed trials of the reference filesystem and memory servers (npm) and of mcp-server-sqlite
(PyPI): the trial writes, moves, creates and deletes in a throwaway instance; when the trial ends
the real folder, memory file and database are byte-identical to before, while the execution
phase's writes are really there.

They download on first use (the plain server starts first, so the sandboxed instance, which has
no network, finds them cached), so these tests are `e2e`.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from pydantic import JsonValue
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Event, Task, ToolCall, Turn
from toolmaster.mcp import (
    NamespaceSandbox,
    StdioServerSpec,
    Toolbox,
    TrialPolicy,
    namespace_support,
    servers_from_dict,
)

from tests.mcp.test_registry_servers import network_env, require

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

FILESYSTEM_SERVER = "@modelcontextprotocol/server-filesystem@2026.8.31"
MEMORY_SERVER = "@modelcontextprotocol/server-memory@2026.8.31"


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) below `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def call(call_id: str, tool: str, **arguments: object) -> Turn:
    return Turn(tool_calls=[ToolCall(id=call_id, tool=tool, arguments=arguments)])  # type: ignore[arg-type]


async def test_destructive_trials_leave_the_real_folder_and_memory_file_untouched(
    tmp_path: Path,
) -> None:
    npx = require("npx")
    reason = await namespace_support()
    if reason is not None:
        pytest.skip(f"no trial sandbox on this machine: {reason}")
    docs, memory = tmp_path / "docs", tmp_path / "memory"
    (docs / "sub").mkdir(parents=True)
    memory.mkdir()
    (docs / "a.txt").write_text("alpha\n")
    (docs / "sub" / "b.txt").write_text("beta\n")
    memory_file = memory / "memory.jsonl"
    files = StdioServerSpec.model_validate(
        {
            "name": "files",
            "command": npx,
            "args": ["-y", FILESYSTEM_SERVER, str(docs)],
            "cwd": str(docs),
            "env": network_env(),
        }
    )
    graph = StdioServerSpec.model_validate(
        {
            "name": "memory",
            "command": npx,
            "args": ["-y", MEMORY_SERVER],
            "cwd": str(memory),
            "env": {**network_env(), "MEMORY_FILE_PATH": str(memory_file)},
        }
    )
    ada: JsonValue = {"name": "ada", "entityType": "person", "observations": ["writes programs"]}
    bob: JsonValue = {"name": "bob", "entityType": "person", "observations": ["reads them"]}
    turns = [
        call("t1", "write_file", path=str(docs / "a.txt"), content="overwritten"),
        call("t2", "move_file", source=str(docs / "sub" / "b.txt"), destination=str(docs / "c")),
        call("t3", "create_directory", path=str(docs / "new")),
        call("t4", "delete_entities", entityNames=["ada"]),
        call("t5", "read_graph"),  # read-only: the real server, where ada still is
        call("f", FINISH_TRIAL, notes="paths are absolute; delete_entities takes names"),
        call("x1", "write_file", path=str(docs / "d.txt"), content="delta"),
        call("x2", "create_entities", entities=[bob]),
        Turn(content="done"),
    ]
    after_trial: dict[str, object] = {}

    async def on_event(event: Event) -> None:
        if event.kind == "phase":  # the trial has ended: its sandbox is discarded
            after_trial["docs"] = tree(docs)
            after_trial["memory"] = memory_file.read_bytes()

    with anyio.fail_after(600):
        async with Toolbox([files, graph], connect_timeout=300) as toolbox:
            made = await toolbox.call(
                ToolCall(id="s", tool="create_entities", arguments={"entities": [ada]})
            )
            assert not made.is_error, made.text
            before_docs, before_memory = tree(docs), memory_file.read_bytes()
            async with NamespaceSandbox([files, graph], connect_timeout=120) as sandbox:
                assert sandbox.covers("files") and sandbox.covers("memory")
                agent = Agent(
                    ScriptedPolicy(turns),
                    toolbox,
                    AgentConfig(),
                    trial_sandbox=sandbox,
                    events=on_event,
                )
                episode = await agent.run(Task(id="t", prompt="tidy up"))
    results = {m.tool_call_id: m.content or "" for m in episode.messages if m.role == "tool"}
    assert results["t1"].startswith("Successfully wrote to")
    assert results["t2"].startswith("Successfully moved")
    assert results["t3"].startswith("Successfully created directory")
    assert results["t4"] == "Entities deleted successfully"
    assert '"ada"' in results["t5"]
    assert episode.metadata["trial_runs"] == {
        "t1": "sandbox",
        "t2": "sandbox",
        "t3": "sandbox",
        "t4": "sandbox",
        "t5": "real",
    }
    assert after_trial == {"docs": before_docs, "memory": before_memory}  # byte-identical
    assert tree(docs) == {**before_docs, "d.txt": b"delta"}  # execution's write is real
    stored = memory_file.read_text()
    assert '"ada"' in stored and '"bob"' in stored


SQLITE_SERVER = "mcp-server-sqlite==2025.4.25"


async def test_mcp_server_sqlite_reads_for_real_and_writes_in_the_sandbox(tmp_path: Path) -> None:
    """mcp-server-sqlite (PyPI) annotates none of its tools: its config's `"trial"` allows the
    reading ones, and the default sandboxes the others."""
    uvx = require("uvx")
    reason = await namespace_support()
    if reason is not None:
        pytest.skip(f"no trial sandbox on this machine: {reason}")
    database = tmp_path / "db" / "test.db"
    database.parent.mkdir()
    (spec,) = servers_from_dict(
        {
            "mcpServers": {
                "sqlite": {
                    "command": uvx,
                    "args": [
                        "--from",
                        SQLITE_SERVER,
                        "--with",
                        "mcp<2",  # it predates mcp 2
                        "mcp-server-sqlite",
                        "--db-path",
                        str(database),
                    ],
                    "cwd": str(database.parent),
                    "env": network_env(),
                    "trial": {
                        "read_query": "allow",
                        "list_tables": "allow",
                        "describe_table": "allow",
                    },
                }
            }
        }
    )
    turns = [
        call("t1", "write_query", query="DELETE FROM people"),
        call("t2", "read_query", query="SELECT count(*) AS n FROM people"),
        call("t3", "create_table", query="CREATE TABLE scratch (x INTEGER)"),
        call("f", FINISH_TRIAL, notes="write_query runs DELETE/INSERT/UPDATE"),
        call("x1", "write_query", query="INSERT INTO people VALUES ('bob')"),
        Turn(content="done"),
    ]
    with anyio.fail_after(600):
        async with Toolbox([spec], connect_timeout=300) as toolbox:
            created = await toolbox.call(
                ToolCall(
                    id="s1",
                    tool="create_table",
                    arguments={"query": "CREATE TABLE people (name TEXT)"},
                )
            )
            assert not created.is_error, created.text
            await toolbox.call(
                ToolCall(
                    id="s2",
                    tool="write_query",
                    arguments={"query": "INSERT INTO people VALUES ('ada')"},
                )
            )
            before = database.read_bytes()
            after_trial: list[bytes] = []

            async def on_event(event: Event) -> None:
                if event.kind == "phase":  # the trial has ended
                    after_trial.append(database.read_bytes())

            async with NamespaceSandbox([spec], connect_timeout=120) as sandbox:
                config = AgentConfig(trial_policy=TrialPolicy.of([], [spec]))
                policy = ScriptedPolicy(turns)
                agent = Agent(policy, toolbox, config, trial_sandbox=sandbox, events=on_event)
                episode = await agent.run(Task(id="t", prompt="add bob"))
    results = {m.tool_call_id: m.content or "" for m in episode.messages if m.role == "tool"}
    assert "affected_rows" in results["t1"]
    assert "'n': 1" in results["t2"]  # the real database: the trial's DELETE never reached it
    assert episode.metadata["trial_runs"] == {"t1": "sandbox", "t2": "real", "t3": "sandbox"}
    assert after_trial == [before]
    assert "affected_rows" in results["x1"]
    assert database.read_bytes() != before  # execution's INSERT is real
