"""Runtime overhead of the agent loop.

An episode with a zero-latency scripted policy (trial phase, finish_trial, execution, answer;
events on, to an in-memory sink) against the anchor: the same tool calls made straight through
the same Toolbox. Both run over one in-process MCP server (a bundled environment), opened once.

    uv run python bench/agent_overhead.py [--episodes 200] [--rounds 5]

Target: overhead <= 10% (ratio <= 1.10).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from functools import partial

import anyio
from toolmaster.agent import Agent, AgentConfig, EventSink, ScriptedPolicy, ToolHost
from toolmaster.core import (
    FINISH_TRIAL,
    Event,
    ServerIdentity,
    ToolCall,
    ToolResult,
    ToolSpec,
    Turn,
    get_environment,
)
from toolmaster.mcp import InProcessServerSpec, Toolbox

CALLS = [
    ("find_city", {"query": "Lisbon"}),
    ("get_forecast", {"city": "L0", "day": 1}),
    ("get_forecast", {"city": "L0", "day": 1, "units": "metric"}),
    ("find_city", {"query": "Oslo"}),
    ("get_forecast", {"city": "L1", "day": 2, "units": "metric"}),
    ("get_forecast", {"city": "L1", "day": 0, "units": "metric"}),
]
"""Six calls: three in the trial phase, three in execution (failures included; they cost the
same on both sides)."""


def script() -> list[Turn]:
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    return [
        *(Turn(tool_calls=[c]) for c in calls[:3]),
        Turn(tool_calls=[ToolCall(id="f", tool=FINISH_TRIAL, arguments={"notes": "n"})]),
        *(Turn(tool_calls=[c]) for c in calls[3:]),
        Turn(content="answer"),
    ]


async def sink(event: Event) -> None:
    del event


class FreeHost:
    """A host whose calls cost nothing: what is left is the loop's own cost."""

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self.tools = list(tools)
        self.servers: list[ServerIdentity] = []

    async def call(self, call: ToolCall, *, timeout: float | None = None) -> ToolResult:
        return ToolResult(call_id=call.id, content=[{"type": "text", "text": "ok"}])


async def measure(episodes: int, rounds: int) -> dict[str, float]:
    env = get_environment("weather")
    task = env.tasks("test")[0]
    session = env.open(task)
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    best = dict.fromkeys(("anchor", "agent", "agent, no events", "loop alone"), float("inf"))
    async with Toolbox([InProcessServerSpec(name="weather", server=session.server)]) as toolbox:
        real = {t.name: t for t in toolbox.tools}
        for name, _ in CALLS:
            assert name in real, name
        config = AgentConfig(mode="trial", allow_unsafe_trials=True)
        free = FreeHost(toolbox.tools)

        async def anchor() -> None:
            for call in calls:
                await toolbox.call(call)

        async def agent(host: ToolHost, events: EventSink | None) -> None:
            episode = await Agent(ScriptedPolicy(script()), host, config, events=events).run(task)
            assert episode.answer == "answer", episode.error

        for _ in range(rounds):
            for name, one in (
                ("anchor", anchor),
                ("agent", partial(agent, toolbox, sink)),
                ("agent, no events", partial(agent, toolbox, None)),
                ("loop alone", partial(agent, free, sink)),
            ):
                started = time.perf_counter()
                for _ in range(episodes):
                    await one()
                best[name] = min(best[name], (time.perf_counter() - started) / episodes)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    best = anyio.run(measure, args.episodes, args.rounds)
    print(f"{len(CALLS)} tool calls per episode, {args.episodes} episodes, best of {args.rounds}")
    print(f"{'':<34}{'ms/episode':>12}")
    labels = {
        "anchor": "anchor: the calls via Toolbox.call",
        "agent": "agent loop, events on",
        "agent, no events": "agent loop, events off",
        "loop alone": "loop alone (zero-cost host)",
    }
    for name, label in labels.items():
        print(f"{label:<34}{best[name] * 1e3:>12.3f}")
    print(f"ratio agent/anchor = {best['agent'] / best['anchor']:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
