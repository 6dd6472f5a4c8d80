"""Runtime overhead of the agent loop.

An episode with a zero-latency scripted policy (trial phase, finish_trial, execution, answer;
events on, to an in-memory sink) against the anchor: the same tool calls made straight through
the same Toolbox, over one MCP server (a bundled environment) opened once. It runs over two
transports: the server in process (the cheapest calls there are, so the strictest test of the
loop) and over stdio (another process, as MCP servers usually run). Both sides build their
inputs once, outside the timing: the anchor its calls, the agent the turns its policy hands over
(a fresh policy per episode, as a policy keeps its place in the script).

    uv run python bench/agent_overhead.py [--episodes 200] [--stdio-episodes 50] [--rounds 5]
        [--breakdown]

Target: overhead <= 10% (ratio <= 1.10). The floor row makes the same calls and builds the same
messages and events as the agent (the records an episode and its event stream hold), in one
flat function with none of the loop's bookkeeping: about the least a loop that records the
episode in these record types pays on that transport. `--breakdown` adds where the agent's
extra time goes, in CPU time of this thread (steadier than wall time on a loaded machine): the
time inside the tool calls on each side (a wrapper times them, on both sides) and the loop's
own time around them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import cast

import anyio
from pydantic import JsonValue
from toolmaster.agent import (
    Agent,
    AgentConfig,
    AssistantTurn,
    EventSink,
    ScriptedPolicy,
    ToolHost,
)
from toolmaster.core import (
    FINISH_TRIAL,
    Event,
    EventKind,
    Message,
    ServerIdentity,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    get_environment,
    utcnow,
)
from toolmaster.mcp import InProcessServerSpec, ServerSpec, StdioServerSpec, Toolbox

CALLS: list[tuple[str, dict[str, JsonValue]]] = [
    ("find_city", {"query": "Lisbon"}),
    ("get_forecast", {"city": "L0", "day": 1}),
    ("get_forecast", {"city": "L0", "day": 1, "units": "metric"}),
    ("find_city", {"query": "Oslo"}),
    ("get_forecast", {"city": "L1", "day": 2, "units": "metric"}),
    ("get_forecast", {"city": "L1", "day": 0, "units": "metric"}),
]
"""Six calls: three in the trial phase, three in execution. The forecasts ask for keys `L0` and
`L1`, which this world does not have (its keys look like `L359415`), so those four come back as
tool errors: the same on both sides, and cheaper for the server than a forecast (MCP checks a
structured result against the tool's output schema); see docs/benchmarks.md."""

LABELS = {
    "anchor": "anchor: the calls via Toolbox.call",
    "floor": "floor: the episode's records, flat",
    "agent": "agent loop, events on",
    "agent, no events": "agent loop, events off",
    "loop alone": "loop alone (zero-cost host)",
}


def script() -> list[AssistantTurn]:
    """The episode's turns as a model returns them: a zero-latency policy hands them over."""
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    usage = Usage(prompt_tokens=100, completion_tokens=16)
    return [
        *(AssistantTurn(tool_calls=[c], usage=usage) for c in calls[:3]),
        AssistantTurn(
            tool_calls=[ToolCall(id="f", tool=FINISH_TRIAL, arguments={"notes": "n"})],
            usage=usage,
        ),
        *(AssistantTurn(tool_calls=[c], usage=usage) for c in calls[3:]),
        AssistantTurn(content="answer", usage=usage),
    ]


async def sink(event: Event) -> None:
    del event


class FreeHost:
    """A host whose calls cost nothing: what is left is the loop's own cost."""

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self.tools = list(tools)
        self.servers: list[ServerIdentity] = []
        self._results: dict[str, ToolResult] = {}

    def tool(self, name: str) -> ToolSpec | None:
        return next((t for t in self.tools if t.name == name), None)

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        result = self._results.get(call.id)
        if result is None:
            result = ToolResult(call_id=call.id, content=[{"type": "text", "text": "ok"}])
            self._results[call.id] = result
        return result


class Timed:
    """A host that sums the CPU time of this thread spent inside its calls."""

    def __init__(self, host: ToolHost) -> None:
        self.host = host
        self.spent = 0.0

    @property
    def tools(self) -> Sequence[ToolSpec]:
        return self.host.tools

    @property
    def servers(self) -> Sequence[ServerIdentity]:
        return self.host.servers

    def tool(self, name: str) -> ToolSpec | None:
        return self.host.tool(name)

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        started = time.thread_time()
        try:
            return await self.host.call(call, timeout=timeout)
        finally:
            self.spent += time.thread_time() - started


Job = Callable[[], Awaitable[None]]


def jobs(toolbox: ToolHost, free: ToolHost, task: Task) -> dict[str, Job]:
    """The four rows, as one episode each: the anchor's calls, or the agent over a host."""
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    turns = script()
    config = AgentConfig(mode="trial", allow_unsafe_trials=True)
    finished = ToolResult(call_id="f", content=[{"type": "text", "text": "Trial phase finished."}])

    async def anchor() -> None:
        for call in calls:
            await toolbox.call(call)

    async def floor() -> None:
        """The least a loop that records this episode pays: the calls, plus the messages and
        events the episode and its stream hold (the same records, the same payloads), made
        flat, with none of the agent's bookkeeping: no prompt, budgets, admission, timings,
        counts or episode record."""
        messages: list[Message] = []
        seq = 0

        async def emit(kind: EventKind, data: dict[str, JsonValue]) -> None:
            nonlocal seq
            await sink(Event.trusted(episode_id="e", seq=seq, kind=kind, ts=utcnow(), data=data))
            seq += 1

        await emit("episode_started", {"task_id": task.id})
        for turn in turns:
            message = Message.trusted(
                role="assistant",
                content=turn.content,
                tool_calls=turn.tool_calls,
                tool_call_id=None,
                name=None,
                usage=turn.usage,
                parts=[],
            )
            messages.append(message)
            data = message.json_data()
            await emit("assistant", {"message": data, "phase": "trial"})
            for call, call_data in zip(
                turn.tool_calls, cast("list[JsonValue]", data["tool_calls"]), strict=True
            ):
                await emit("tool_call", {"call": call_data})
                finishing = call.tool == FINISH_TRIAL
                result = finished if finishing else await toolbox.call(call)
                messages.append(
                    Message.trusted(
                        role="tool",
                        content=result.text,
                        tool_calls=[],
                        tool_call_id=call.id,
                        name=call.tool,
                        usage=None,
                        parts=[],
                    )
                )
                await emit("tool_result", {"result": result.json_data(), "phase": "trial"})
                if finishing:
                    await emit("phase", {"phase": "execute"})
        await emit("episode_finished", {"answer": turns[-1].content})

    async def agent(host: ToolHost, events: EventSink | None) -> None:
        episode = await Agent(ScriptedPolicy(turns), host, config, events=events).run(task)
        assert episode.answer == "answer", episode.error

    return {
        "anchor": anchor,
        "floor": floor,
        "agent": partial(agent, toolbox, sink),
        "agent, no events": partial(agent, toolbox, None),
        "loop alone": partial(agent, free, sink),
    }


async def same_results(toolbox: Toolbox, task: Task) -> None:
    """Both sides make the same calls and get the same results (checked once, untimed)."""
    seen: list[Event] = []

    async def keep(event: Event) -> None:
        seen.append(event)

    config = AgentConfig(mode="trial", allow_unsafe_trials=True)
    await Agent(ScriptedPolicy(script()), toolbox, config, events=keep).run(task)
    results = [e.data["result"] for e in seen if e.kind == "tool_result"]
    agent = [r for r in results if isinstance(r, dict) and r["call_id"] != "f"]
    for (tool, arguments), got in zip(CALLS, agent, strict=True):
        direct = await toolbox.call(ToolCall(id="x", tool=tool, arguments=arguments))
        assert (direct.content, direct.structured_content) == (
            got["content"],
            got["structured_content"],
        ), tool


def server_spec(transport: str, task: Task) -> ServerSpec:
    """The world of `task` in the weather environment, served in process or over stdio."""
    if transport == "stdio":
        args = ("-m", "toolmaster.envs.weather", "--task", task.id)
        return StdioServerSpec(name="weather", command=sys.executable, args=args)
    return InProcessServerSpec(name="weather", server=get_environment("weather").open(task).server)


async def measure(
    transport: str, episodes: int, rounds: int, *, breakdown: bool
) -> dict[str, float]:
    """Per row, ms per episode over one transport: wall time, best of the rounds; with
    `breakdown`, also CPU time (medians) of the rows and of the calls inside them."""
    task = get_environment("weather").tasks("test")[0]
    async with Toolbox([server_spec(transport, task)]) as toolbox:
        await same_results(toolbox, task)
        best = await wall(jobs(toolbox, FreeHost(toolbox.tools), task), episodes, rounds)
        if breakdown:
            best |= await cpu(toolbox, task, episodes, rounds)
    return best


async def wall(rows: dict[str, Job], episodes: int, rounds: int) -> dict[str, float]:
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(rounds):
        for name, one in rows.items():
            started = time.perf_counter()
            for _ in range(episodes):
                await one()
            best[name] = min(best[name], (time.perf_counter() - started) / episodes)
    return best


async def cpu(toolbox: Toolbox, task: Task, episodes: int, rounds: int) -> dict[str, float]:
    """CPU time per episode of each row and of the calls inside it (every side's host timed
    by the same wrapper), medians of the rounds; keys `cpu NAME` and `calls NAME`."""
    hosts = {name: Timed(toolbox) for name in LABELS}
    hosts["loop alone"] = Timed(FreeHost(toolbox.tools))
    rows = {name: jobs(hosts[name], hosts["loop alone"], task)[name] for name in LABELS}
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, one in rows.items():
            hosts[name].spent = 0.0
            started = time.thread_time()
            for _ in range(episodes):
                await one()
            samples.setdefault(f"cpu {name}", []).append(time.thread_time() - started)
            samples.setdefault(f"calls {name}", []).append(hosts[name].spent)
    return {key: statistics.median(values) / episodes for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--stdio-episodes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--breakdown", action="store_true", help="where the extra time goes")
    args = parser.parse_args()
    for transport, episodes in (("in process", args.episodes), ("stdio", args.stdio_episodes)):
        breakdown = args.breakdown and transport == "in process"
        best = anyio.run(partial(measure, transport, episodes, args.rounds, breakdown=breakdown))
        print(
            f"{transport}: {len(CALLS)} tool calls per episode, {episodes} episodes, "
            f"best of {args.rounds}"
        )
        print(f"{'':<34}{'ms/episode':>12}")
        for name, label in LABELS.items():
            print(f"{label:<34}{best[name] * 1e3:>12.3f}")
        print(
            f"ratio agent/anchor = {best['agent'] / best['anchor']:.3f}  (target <= 1.10; "
            f"floor/anchor = {best['floor'] / best['anchor']:.3f})"
        )
        if breakdown:
            print_breakdown(best, args.rounds)
        print()


def print_breakdown(ms: dict[str, float], rounds: int) -> None:
    print(f"\nCPU time of this thread, ms/episode, median of {rounds}")
    print(f"{'':<34}{'all':>8}{'in calls':>10}{'around':>9}")
    for name, label in LABELS.items():
        total, calls = ms[f"cpu {name}"] * 1e3, ms[f"calls {name}"] * 1e3
        print(f"{label:<34}{total:>8.3f}{calls:>10.3f}{total - calls:>9.3f}")
    anchor = ms["cpu anchor"]
    print(
        f"ratio agent/anchor = {ms['cpu agent'] / anchor:.3f} (events off "
        f"{ms['cpu agent, no events'] / anchor:.3f}); calls inside the agent "
        f"{(ms['calls agent'] / ms['calls anchor'] - 1) * 100:+.1f}% against the anchor's"
    )


if __name__ == "__main__":
    main()
