"""The trial policy in the protocol: which trial calls run for real, in a sandbox, or are
refused, and the loop sending sandboxed trial calls to the trial sandbox."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy, TrialProtocol, TrialRules
from toolmaster.core import (
    FINISH_TRIAL,
    Task,
    ToolAnnotations,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
)
from toolmaster.mcp import Toolbox, TrialPolicy, TrialRule

from tests.mcp.servers.memory import calc_server, memory_spec

pytestmark = pytest.mark.anyio


def spec(name: str, server: str = "files", *, read_only: bool = False) -> ToolSpec:
    return ToolSpec(
        name=name,
        server=server,
        input_schema={"type": "object"},
        annotations=ToolAnnotations(read_only_hint=read_only or None),
    )


TOOLS = {
    t.name: t
    for t in (
        spec("read_file", read_only=True),
        spec("delete_file"),
        spec("post", server="remote"),
    )
}


class StandIn:
    """A trial sandbox in memory: covers the `files` server, records what it is asked."""

    def __init__(self, covered: Sequence[str] = ("files",)) -> None:
        self.covered = set(covered)
        self.calls: list[str] = []
        self.discarded = 0

    def covers(self, server: str) -> bool:
        return server in self.covered

    async def call(
        self, tool: ToolSpec, call: ToolCall, *, timeout: float | None = None
    ) -> ToolResult:
        self.calls.append(tool.name)
        return ToolResult(call_id=call.id, content=[{"type": "text", "text": "in the sandbox"}])

    async def discard(self) -> None:
        self.discarded += 1


def protocol(
    policy: TrialPolicy | None = None,
    *,
    sandbox: StandIn | None = None,
    snapshot: bool = False,
    allow_unsafe: bool = False,
) -> TrialProtocol:
    rules = TrialRules(
        max_trial_calls=10,
        sandboxed=snapshot,
        allow_unsafe=allow_unsafe,
        policy=policy or TrialPolicy(),
    )
    return TrialProtocol(rules, TOOLS.get, trial=True, trial_sandbox=sandbox)


def decide(protocol: TrialProtocol, tool: str) -> tuple[str, bool, str | None, str]:
    """What becomes of a trial call of `tool`: the action, whether it goes to the trial
    sandbox, how the record says it ran, and the text of a refusal."""
    call = ToolCall(id=f"c-{tool}", tool=tool)
    assert protocol.phases([call]) == ["trial"]
    move = protocol.step(call)
    text = move.answer.text if move.answer is not None else ""
    return move.action, move.isolated, move.trial_run, text


def test_by_default_read_only_tools_run_and_the_others_go_to_the_sandbox() -> None:
    trial = protocol(sandbox=StandIn())
    assert decide(trial, "read_file")[:3] == ("run", False, "real")
    assert decide(trial, "delete_file")[:3] == ("run", True, "sandbox")
    action, isolated, ran, text = decide(trial, "post")  # `remote` has no sandbox
    assert (action, isolated, ran) == ("refuse", False, "refused")
    assert "is not marked read-only and trials here run without a sandbox" in text
    assert trial.trial_calls == 2 and trial.refused == 1


def test_without_a_sandbox_the_default_is_todays_refusal() -> None:
    trial = protocol()
    assert decide(trial, "read_file")[:3] == ("run", False, "real")
    assert decide(trial, "delete_file")[0] == "refuse"
    assert decide(trial, "unknown_tool")[:3] == ("run", False, "real")  # the tools answer it


def test_the_policy_allows_refuses_and_sandboxes_by_glob() -> None:
    policy = TrialPolicy.of(["read_*=refuse", "files.delete_*=allow", "remote.*=sandbox"])
    trial = protocol(policy, sandbox=StandIn())
    action, _, ran, text = decide(trial, "read_file")
    assert (action, ran) == ("refuse", "refused")
    assert "the trial policy does not let `read_file` be trialed" in text
    assert decide(trial, "delete_file")[:3] == ("run", False, "real")
    assert decide(trial, "post")[0] == "refuse"


def test_a_read_only_tool_the_policy_sandboxes_is_refused_without_a_sandbox() -> None:
    trial = protocol(TrialPolicy.of(["read_file=sandbox"]))
    action, _, _, text = decide(trial, "read_file")
    assert action == "refuse"
    assert "may only be trialed in a sandbox, and there is none for its server" in text
    sandboxed = protocol(TrialPolicy.of(["read_file=sandbox"]), sandbox=StandIn())
    assert decide(sandboxed, "read_file")[:3] == ("run", True, "sandbox")


def test_allow_unsafe_is_star_allow_after_the_command_line_and_before_the_config() -> None:
    policy = TrialPolicy(
        rules=(TrialRule("delete_*", "refuse"),), servers={"remote": (TrialRule("*", "refuse"),)}
    )
    trial = protocol(policy, allow_unsafe=True)
    assert decide(trial, "delete_file")[0] == "refuse"  # the command line's rule first
    assert decide(trial, "post")[:3] == ("run", False, "real")  # over the config's refusal


def test_a_snapshot_sandbox_runs_every_trial_call_but_the_policy_can_still_refuse() -> None:
    trial = protocol(TrialPolicy.of(["post=refuse"]), snapshot=True, sandbox=StandIn())
    assert decide(trial, "delete_file")[:3] == ("run", False, "sandbox")  # undone by restore
    assert decide(trial, "read_file")[:3] == ("run", False, "sandbox")
    assert decide(trial, "post")[0] == "refuse"


async def test_the_loop_sends_sandboxed_trial_calls_to_the_sandbox_and_records_how() -> None:
    standin = StandIn(covered=["calc"])
    turns = [
        Turn(tool_calls=[ToolCall(id="a", tool="add", arguments={"a": 1, "b": 2})]),
        Turn(tool_calls=[ToolCall(id="e", tool="echo", arguments={"text": "hi"})]),
        Turn(tool_calls=[ToolCall(id="d", tool="divide", arguments={"a": 1, "b": 1})]),
        Turn(tool_calls=[ToolCall(id="f", tool=FINISH_TRIAL, arguments={"notes": "n"})]),
        Turn(tool_calls=[ToolCall(id="x", tool="echo", arguments={"text": "real"})]),
        Turn(content="done"),
    ]
    config = AgentConfig(mode="trial", trial_policy=TrialPolicy.of(["divide=refuse"]))
    with anyio.fail_after(20):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            agent = Agent(ScriptedPolicy(turns), toolbox, config, trial_sandbox=standin)
            episode = await agent.run(Task(id="t", prompt="p"))
    assert standin.calls == ["echo"]  # the trial's echo only; execution's reached the server
    assert standin.discarded >= 1
    results = {m.tool_call_id: m.content for m in episode.messages if m.role == "tool"}
    assert results["e"] == "in the sandbox"
    assert results["x"] == "calc:real"
    assert episode.metadata["trial_runs"] == {"a": "real", "e": "sandbox", "d": "refused"}


def test_the_prompt_says_trials_are_undone_when_the_sandbox_takes_every_unsafe_tool() -> None:
    files = [TOOLS["read_file"], TOOLS["delete_file"]]
    everything = [*files, TOOLS["post"]]
    undone = "Trial calls are undone when the trial ends."
    assert undone in protocol(sandbox=StandIn()).system_prompt((), files)
    assert undone not in protocol(sandbox=StandIn()).system_prompt((), everything)  # `remote`
    assert undone not in protocol().system_prompt((), files)
    allowed = protocol(TrialPolicy.of(["delete_file=allow"]), sandbox=StandIn())
    assert undone not in allowed.system_prompt((), files)  # a real trial of an unsafe tool
    assert undone in protocol(snapshot=True).system_prompt((), everything)
