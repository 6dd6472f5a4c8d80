"""The trial sandbox for real: a stdio server whose tools delete and write files and reach the
network, trialed in a throwaway instance in Linux namespaces while execution changes the real
folder. Skipped where mount namespaces with overlayfs are unavailable."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio
import anyio.abc
import pytest
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Task, ToolCall, Turn
from toolmaster.mcp import (
    HttpServerSpec,
    NamespaceSandbox,
    StdioServerSpec,
    Toolbox,
    _sandbox,  # the machine's answer is cached there
    namespace_support,
)

from tests.mcp.servers.memory import HERE

pytestmark = pytest.mark.anyio

FILES_SERVER = HERE / "files_server.py"


def files_spec(work: Path, data: Path) -> StdioServerSpec:
    """The file server, working in `work`, with `data` named for the sandbox in its config."""
    return StdioServerSpec(
        name="files",
        command=sys.executable,
        args=(str(FILES_SERVER),),
        cwd=str(work),
        sandbox_paths=(str(data),),
    )


@pytest.fixture
async def namespaces() -> None:
    reason = await namespace_support()
    if reason is not None:
        pytest.skip(f"no trial sandbox on this machine: {reason}")


async def serve_pong(listener: anyio.abc.SocketListener) -> None:
    async def answer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.send(b"pong")

    await listener.serve(answer)


def call(call_id: str, tool: str, **arguments: object) -> Turn:
    return Turn(tool_calls=[ToolCall(id=call_id, tool=tool, arguments=arguments)])  # type: ignore[arg-type]


@pytest.mark.usefixtures("namespaces")
async def test_trial_calls_change_a_throwaway_copy_and_execution_the_real_folder(
    tmp_path: Path,
) -> None:
    work, data = tmp_path / "work", tmp_path / "data"
    work.mkdir()
    data.mkdir()
    keep = data / "keep.txt"
    keep.write_text("precious")
    (work / "notes.txt").write_text("mine")
    spec = files_spec(work, data)
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        turns = [
            call("t1", "delete", path=str(keep)),  # sandboxed: "deletes" it
            call("t2", "read", path=str(keep)),  # read-only: the real server still has it
            call("t3", "write", path="notes.txt", text="overwritten"),  # in the working folder
            call("t4", "write", path=str(data / "new.txt"), text="trial"),
            call("t5", "fetch", port=port),  # no network in the sandbox
            call("f", FINISH_TRIAL, notes="delete(path) deletes; no network in trials"),
            call("x1", "read", path=str(keep)),  # the trial left it in place
            call("x2", "fetch", port=port),  # the real server reaches the network
            call("x3", "delete", path=str(keep)),  # and really deletes
            Turn(content="done"),
        ]
        with anyio.fail_after(90):
            async with anyio.create_task_group() as tg:
                tg.start_soon(serve_pong, listener)
                async with Toolbox([spec]) as toolbox, NamespaceSandbox([spec]) as sandbox:
                    assert sandbox.covers("files")
                    agent = Agent(
                        ScriptedPolicy(turns), toolbox, AgentConfig(), trial_sandbox=sandbox
                    )
                    episode = await agent.run(Task(id="t", prompt="clean up"))
                tg.cancel_scope.cancel()
    results = {m.tool_call_id: m.content for m in episode.messages if m.role == "tool"}
    assert results["t1"] == f"deleted {keep}"
    assert results["t2"] == "precious"
    assert results["t3"] == "wrote notes.txt"
    assert results["t5"].endswith("no connection: [Errno 101] Network is unreachable")
    assert results["x1"] == "precious"
    assert results["x2"] == "pong"
    assert results["x3"] == f"deleted {keep}"
    assert episode.metadata["trial_runs"] == {
        "t1": "sandbox",
        "t2": "real",
        "t3": "sandbox",
        "t4": "sandbox",
        "t5": "sandbox",
    }
    assert not keep.exists()  # execution's delete was real
    assert (work / "notes.txt").read_text() == "mine"  # the trial's writes are gone
    assert sorted(p.name for p in data.iterdir()) == []
    scratch = anyio.Path(tempfile.gettempdir()).glob("toolmaster-trial-*")
    assert [path async for path in scratch] == []  # the scratch folders are removed


@pytest.mark.usefixtures("namespaces")
async def test_a_discarded_instance_is_started_afresh_from_the_real_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    keep = tmp_path / "data" / "keep.txt"
    keep.write_text("precious")
    spec = files_spec(tmp_path, tmp_path / "data")
    with anyio.fail_after(60):
        async with Toolbox([spec]) as toolbox, NamespaceSandbox([spec]) as sandbox:
            delete = toolbox.tool("delete")
            assert delete is not None
            removal = ToolCall(id="1", tool="delete", arguments={"path": str(keep)})
            assert (await sandbox.call(delete, removal)).text == f"deleted {keep}"
            again = await sandbox.call(delete, removal)  # the same instance: already gone
            assert again.is_error
            await sandbox.discard()
            assert (await sandbox.call(delete, removal)).text == f"deleted {keep}"  # afresh
    assert keep.read_text() == "precious"


async def test_http_servers_are_not_covered_and_say_why() -> None:
    remote = HttpServerSpec(name="remote", url="http://127.0.0.1:9/mcp")
    async with NamespaceSandbox([remote]) as sandbox:
        assert not sandbox.covers("remote")
        assert sandbox.reason("remote") == "an HTTP server runs elsewhere: it cannot be sandboxed"
        assert sandbox.reason("other") == "no server named 'other'"


async def test_a_missing_sandbox_folder_leaves_the_server_uncovered(tmp_path: Path) -> None:
    spec = files_spec(tmp_path, tmp_path / "absent")
    async with NamespaceSandbox([spec]) as sandbox:
        assert not sandbox.covers("files")
        reason = sandbox.reason("files") or ""
        assert "does not exist" in reason or "namespaces" in reason


async def test_without_namespaces_it_says_so_once_and_trials_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_sandbox, "_support", ([], "`unshare` (util-linux) is not installed"))
    monkeypatch.setattr(_sandbox, "_said", set[str]())
    (tmp_path / "data").mkdir()
    keep = tmp_path / "data" / "keep.txt"
    keep.write_text("precious")
    spec = files_spec(tmp_path, tmp_path / "data")
    turns = [call("t1", "delete", path=str(keep)), Turn(content="done")]
    with anyio.fail_after(60), caplog.at_level("WARNING", logger="toolmaster.mcp._sandbox"):
        async with Toolbox([spec]) as toolbox:
            for _ in range(2):
                async with NamespaceSandbox([spec]) as sandbox:
                    assert not sandbox.covers("files")
                    assert sandbox.unavailable == "`unshare` (util-linux) is not installed"
                    agent = Agent(
                        ScriptedPolicy(turns), toolbox, AgentConfig(), trial_sandbox=sandbox
                    )
                    episode = await agent.run(Task(id="t", prompt="clean up"))
                    assert episode.metadata["trial_runs"] == {"t1": "refused"}
    said = [r.getMessage() for r in caplog.records if r.name == "toolmaster.mcp._sandbox"]
    assert said == [
        (
            "trial sandbox: `unshare` (util-linux) is not installed; trials that need a "
            "sandbox are refused"
        )
    ]
    assert keep.read_text() == "precious"
