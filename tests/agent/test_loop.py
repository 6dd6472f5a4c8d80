"""The trial-and-execution loop, end to end over real MCP servers with scripted policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import anyio
import httpx
import pytest
from toolmaster.agent import (
    Agent,
    AgentConfig,
    AssistantTurn,
    OpenAIConfig,
    OpenAIPolicy,
    ScriptedPolicy,
)
from toolmaster.agent._runner import Recorder, reference_policy, run_env_task, run_env_tasks
from toolmaster.core import (
    FINISH_TRIAL,
    AsyncStore,
    Event,
    Experience,
    Message,
    PolicyInfo,
    Sampling,
    ServerIdentity,
    Store,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
    get_environment,
)
from toolmaster.mcp import Toolbox

from tests.mcp.servers.memory import calc_server, memory_spec, raw_spec

pytestmark = pytest.mark.anyio

TASK = Task(id="t", prompt="add 2 and 3")


def call(tool: str, call_id: str = "", **arguments: object) -> ToolCall:
    return ToolCall(id=call_id, tool=tool, arguments=arguments)


def finish(notes: str = "add(a, b) adds integers") -> ToolCall:
    return ToolCall(id="", tool=FINISH_TRIAL, arguments={"notes": notes})


class Events:
    def __init__(self) -> None:
        self.seen: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.seen.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.seen]


async def run(turns: Sequence[Turn | AssistantTurn], config: AgentConfig, **kwargs: object):
    events = Events()
    policy = ScriptedPolicy(turns)
    with anyio.fail_after(20):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            agent = Agent(policy, toolbox, config, events=events, **kwargs)
            episode = await agent.run(TASK)
    return episode, events, policy


async def test_trial_then_execute_records_phases_notes_and_events() -> None:
    turns = [
        Turn(tool_calls=[call("add", a=1, b=1)]),
        Turn(tool_calls=[finish()]),
        Turn(tool_calls=[call("add", a=2, b=3)]),
        Turn(content="5"),
    ]
    episode, events, policy = await run(turns, AgentConfig(mode="trial"), sandbox=None)
    assert episode.answer == "5"
    assert [p.phase for p in episode.phases] == ["trial", "execute"]
    assert episode.notes == "add(a, b) adds integers"
    calls = [c for m in episode.messages for c in m.tool_calls]
    assert [(c.tool, c.phase) for c in calls] == [
        ("add", "trial"),
        (FINISH_TRIAL, "trial"),
        ("add", "execute"),
    ]
    trial = episode.phases[0]
    assert all(
        m.role != "tool" or m.tool_call_id != calls[2].id
        for m in episode.messages[trial.start : trial.end]
    )
    assert episode.metadata["trial_calls"] == 1 and episode.metadata["execute_calls"] == 1
    assert events.kinds()[0] == "episode_started" and events.kinds()[-1] == "episode_finished"
    assert "phase" in events.kinds() and events.kinds().count("tool_result") == 3
    assert [e.seq for e in events.seen] == list(range(len(events.seen)))
    # the model was offered finish_trial (on every turn: a call of it after the trial is refused)
    assert any(m.role == "system" and "finish_trial" in (m.content or "") for m in policy.seen[0])


async def test_direct_mode_has_no_trial_phase() -> None:
    turns = [Turn(tool_calls=[call("add", a=2, b=3)]), Turn(content="5")]
    episode, _, _ = await run(turns, AgentConfig(mode="direct"))
    assert [p.phase for p in episode.phases] == ["execute"]
    assert episode.metadata["trial_calls"] == 0
    assert episode.answer == "5"


async def test_trial_budget_forces_the_move_to_execution() -> None:
    turns = [Turn(tool_calls=[call("add", a=i, b=1)]) for i in range(3)] + [Turn(content="done")]
    episode, events, _ = await run(turns, AgentConfig(mode="trial", max_trial_calls=2))
    calls = [c for m in episode.messages for c in m.tool_calls]
    assert [c.phase for c in calls] == ["trial", "trial", "execute"]
    phase_events = [e for e in events.seen if e.kind == "phase"]
    assert phase_events[0].data["forced"] is True
    assert episode.notes is None
    assert any("trial budget is spent" in (m.content or "") for m in episode.messages)


async def test_unsafe_trial_is_refused_without_a_sandbox() -> None:
    turns = [
        Turn(tool_calls=[call("echo", text="hi")]),
        Turn(tool_calls=[finish()]),
        Turn(tool_calls=[call("echo", text="hi")]),
        Turn(content="ok"),
    ]
    episode, _, _ = await run(turns, AgentConfig(mode="trial"))
    tool_messages = [m for m in episode.messages if m.role == "tool"]
    assert "not marked read-only" in (tool_messages[0].content or "")
    assert tool_messages[2].content == "calc:hi"
    assert episode.metadata["refused"] == 1


class Growing:
    """A host that shows only `add` until its first call, then every tool (a server that
    announced new tools mid-episode)."""

    def __init__(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self.called = False

    @property
    def tools(self) -> Sequence[ToolSpec]:
        tools = self.toolbox.tools
        return tools if self.called else [t for t in tools if t.name == "add"]

    @property
    def servers(self) -> Sequence[ServerIdentity]:
        return self.toolbox.servers

    def tool(self, name: str) -> ToolSpec | None:
        return self.toolbox.tool(name)

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        self.called = True
        return await self.toolbox.call(call, timeout=timeout)


async def test_a_tool_gained_mid_trial_is_refused_unless_read_only() -> None:
    turns = [
        Turn(tool_calls=[call("add", a=1, b=1)]),
        Turn(tool_calls=[call("echo", text="hi")]),
        Turn(content="ok"),
    ]
    with anyio.fail_after(20):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            host = Growing(toolbox)
            episode = await Agent(ScriptedPolicy(turns), host, AgentConfig()).run(TASK)
    tool_messages = [m.content or "" for m in episode.messages if m.role == "tool"]
    assert tool_messages[0] == "2"
    assert "not marked read-only" in tool_messages[1]
    assert episode.metadata["refused"] == 1


@pytest.mark.parametrize("name", ["echo", "calc__echo"])
async def test_trial_safety_is_decided_on_the_tool_whatever_its_name(name: str) -> None:
    turns = [Turn(tool_calls=[call(name, text="hi")]), Turn(content="ok")]
    episode, _, _ = await run(turns, AgentConfig(mode="trial"))
    [result] = [m.content or "" for m in episode.messages if m.role == "tool"]
    assert result.startswith(f"Error: Refused: `{name}` is not marked read-only")
    assert episode.metadata["refused"] == 1 and episode.metadata["trial_calls"] == 0


async def test_calls_after_finish_trial_in_the_same_turn_are_execution_calls() -> None:
    turns = [
        Turn(tool_calls=[call("add", a=1, b=1)]),
        Turn(tool_calls=[finish(), call("echo", text="hi"), call("add", a=2, b=3)]),
        Turn(content="5"),
    ]
    episode, events, _ = await run(turns, AgentConfig(mode="trial"))
    calls = [c for m in episode.messages for c in m.tool_calls]
    assert [c.phase for c in calls] == ["trial", "trial", "execute", "execute"]
    assert (episode.metadata["trial_calls"], episode.metadata["execute_calls"]) == (1, 2)
    assert episode.metadata["refused"] == 0  # echo ran: it is an execution call
    results = [e for e in events.seen if e.kind == "tool_result"]
    assert [e.data["phase"] for e in results] == ["trial", "trial", "execute", "execute"]
    trial, execute = episode.phases
    tool_ids = [m.tool_call_id for m in episode.messages[execute.start : execute.end]]
    assert calls[2].id in tool_ids and calls[1].id not in tool_ids
    assert trial.end == execute.start


async def test_feedback_on_invalid_calls_follows_the_results_of_the_valid_ones() -> None:
    turns = [
        AssistantTurn(
            tool_calls=[call("add", "c1", a=1, b=2)], format_errors=["call 2 was not run: bad"]
        ),
        Turn(content="3"),
    ]
    episode, _, _ = await run(turns, AgentConfig(mode="direct"))
    roles = [m.role for m in episode.messages]
    assert roles == ["system", "user", "assistant", "tool", "user", "assistant"]
    assert episode.messages[4].content == "Invalid tool call: call 2 was not run: bad"
    async with OpenAIPolicy(OpenAIConfig(base_url="http://127.0.0.1:9/v1", model="m")) as policy:
        body = policy.request_body(episode.messages, [], Sampling())
    wire = cast(list[dict[str, object]], body["messages"])
    assert [m["role"] for m in wire[2:4]] == ["assistant", "tool"]  # what strict servers demand
    assert episode.metadata["format_errors"] == 1


class Raising(Growing):
    """A host whose calls raise (a buggy server adapter)."""

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        raise KeyError(call.tool)


async def test_a_host_that_raises_fails_the_episode_at_the_server_boundary() -> None:
    turns = [Turn(tool_calls=[call("add", a=1, b=1)]), Turn(content="2")]
    with anyio.fail_after(20):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            host = Raising(toolbox)
            episode = await Agent(ScriptedPolicy(turns), host, AgentConfig()).run(TASK)
    assert episode.error is not None
    assert (episode.error.boundary, episode.error.kind) == ("server", "exception")
    assert "KeyError('add')" in episode.error.message


async def test_a_lone_surrogate_in_a_call_does_not_stop_an_openai_request() -> None:
    turns = [Turn(tool_calls=[call("echo", "c1", text="a\ud800b")]), Turn(content="done")]
    episode, _, _ = await run(turns, AgentConfig(mode="direct"))
    async with OpenAIPolicy(OpenAIConfig(base_url="http://127.0.0.1:9/v1", model="m")) as policy:
        body = policy.request_body(episode.messages, [], Sampling())
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions", json=body)
    assert "\ufffd".encode() in request.content  # the request encodes, the character replaced


async def test_unsafe_trials_allowed_when_the_user_says_so() -> None:
    turns = [Turn(tool_calls=[call("echo", text="hi")]), Turn(content="ok")]
    episode, _, _ = await run(turns, AgentConfig(mode="trial", allow_unsafe_trials=True))
    assert [m.content for m in episode.messages if m.role == "tool"] == ["calc:hi"]


async def test_format_errors_are_shown_to_the_model_and_counted() -> None:
    turns = [
        AssistantTurn(content=None, format_errors=["`<tool_call>` held invalid JSON"]),
        Turn(content="5"),
    ]
    episode, events, policy = await run(turns, AgentConfig(mode="direct"))
    assert episode.metadata["format_errors"] == 1
    assert episode.answer == "5"
    assert any("invalid JSON" in (m.content or "") for m in policy.seen[1] if m.role == "user")
    assert "error" in events.kinds()


async def test_self_correction_after_a_tool_error() -> None:
    turns = [
        Turn(tool_calls=[call("divide", a=1, b=0)]),
        Turn(tool_calls=[call("divide", a=1, b=4)]),
        Turn(content="0.25"),
    ]
    episode, _, _ = await run(turns, AgentConfig(mode="direct"))
    results = [m.content or "" for m in episode.messages if m.role == "tool"]
    assert results[0].startswith("Error") and "zero" in results[0]
    assert results[1] == "0.25"
    assert episode.metadata["tool_errors"] == 1 and episode.error is None


async def test_turn_budget() -> None:
    turns = [Turn(tool_calls=[call("add", a=1, b=1)])] * 10
    episode, _, _ = await run(turns, AgentConfig(mode="direct", max_turns=3))
    assert episode.error is not None and episode.error.boundary == "runtime"
    assert "turn budget" in episode.error.message
    assert len([m for m in episode.messages if m.role == "assistant"]) == 3


async def test_token_budget() -> None:
    turns = [Turn(content="x" * 400, tool_calls=[call("add", a=1, b=1)])] * 10
    episode, _, _ = await run(turns, AgentConfig(mode="direct", max_tokens=250))
    assert episode.error is not None and "token budget" in episode.error.message
    assert episode.usage.total_tokens >= 250


async def test_wall_time_budget() -> None:
    class Stuck:
        info = PolicyInfo(name="stuck", backend="scripted")

        async def complete(
            self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
        ) -> AssistantTurn:
            await anyio.sleep_forever()
            raise AssertionError

    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            episode = await Agent(Stuck(), toolbox, AgentConfig(wall_time_s=0.2)).run(TASK)
    assert episode.error is not None and episode.error.kind == "budget"
    assert "wall-time" in episode.error.message


async def test_server_crash_is_attributed_and_the_batch_finishes() -> None:
    crash_turns = [Turn(tool_calls=[call("crash")]), Turn(content="it crashed")]
    ok_turns = [Turn(tool_calls=[call("echo", text="hi")]), Turn(content="fine")]

    async def one(turns: list[Turn]):
        async with Toolbox([raw_spec("raw")]) as toolbox:
            return await Agent(ScriptedPolicy(turns), toolbox, AgentConfig(mode="direct")).run(TASK)

    results: dict[int, object] = {}

    async def keep(i: int, turns: list[Turn]) -> None:
        results[i] = await one(turns)

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(keep, 0, crash_turns)
            tg.start_soon(keep, 1, ok_turns)
    crashed, fine = results[0], results[1]
    assert crashed.error is not None and crashed.error.boundary == "server"
    assert crashed.answer == "it crashed"
    assert fine.error is None and fine.answer == "fine"


async def test_reference_solver_through_the_loop_passes_and_is_recorded(tmp_path) -> None:
    env = get_environment("weather")
    tasks = env.tasks("test")[:3]
    with Store(tmp_path / "s.db") as store:
        recorder = Recorder(AsyncStore(store))
        with anyio.fail_after(60):
            episodes = await run_env_tasks(
                env,
                tasks,
                reference_policy(env, "trial"),
                AgentConfig(mode="trial"),
                memory=store,
                recorder=recorder,
            )
        assert all(e.verdict is not None and e.verdict.passed for e in episodes), [
            e.verdict for e in episodes
        ]
        assert all([p.phase for p in e.phases] == ["trial", "execute"] for e in episodes)
        assert store.count() == 3
        events = store.events(episodes[0].id)
        assert events[0].kind == "episode_started" and events[-1].kind == "episode_finished"
        assert store.experiences(server="weather")


async def test_experience_skips_trials_for_known_tools_and_redoes_changed_ones(tmp_path) -> None:
    env = get_environment("weather")
    task = env.tasks("train")[0]
    with Store(tmp_path / "s.db") as store:
        first = await run_env_task(
            env, task, reference_policy(env, "trial")(task), AgentConfig(mode="trial"), memory=store
        )
        assert first.metadata["trial"] is True and first.notes
        # every tool the solver trialed is now known; a later run with all tools known skips trial
        known = {e.key for e in store.experiences(server="weather")}
        assert known
        for tool in first.tools:
            if tool.key not in known:
                store.put_experience(first_experience(first, tool))
        second = await run_env_task(
            env,
            task,
            reference_policy(env, "direct")(task),
            AgentConfig(mode="trial"),
            memory=store,
        )
        assert second.metadata["trial"] is False
        assert first.notes in (second.messages[0].content or "")
        # a changed tool (another schema) has another key: its experience does not apply
        changed = first.tools[0].model_copy(update={"description": "v2: changed"})
        assert store.get_experience(changed.key) is None


def first_experience(episode, tool):

    return Experience(key=tool.key, notes=episode.notes or "", episode_id=episode.id)


async def test_a_policy_that_raises_is_recorded_not_fatal() -> None:
    class Broken:
        info = PolicyInfo(name="broken", backend="scripted")

        async def complete(
            self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
        ) -> AssistantTurn:
            raise KeyError("time")

    with anyio.fail_after(10):
        async with Toolbox([memory_spec("calc", calc_server())]) as toolbox:
            episode = await Agent(Broken(), toolbox, AgentConfig()).run(TASK)
    assert episode.error is not None
    assert episode.error.boundary == "policy"
    assert "KeyError" in episode.error.message
