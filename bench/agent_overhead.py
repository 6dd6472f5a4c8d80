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

import anyio
from toolmaster.agent import Agent, AgentConfig, ScriptedPolicy
from toolmaster.core import FINISH_TRIAL, Event, ToolCall, Turn, get_environment
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


async def measure(episodes: int, rounds: int) -> tuple[float, float]:
    env = get_environment("weather")
    task = env.tasks("test")[0]
    session = env.open(task)
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    best_agent = best_anchor = float("inf")
    async with Toolbox([InProcessServerSpec(name="weather", server=session.server)]) as toolbox:
        real = {t.name: t for t in toolbox.tools}
        for name, _ in CALLS:
            assert name in real, name
        config = AgentConfig(mode="trial", allow_unsafe_trials=True)
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(episodes):
                for call in calls:
                    await toolbox.call(call)
            best_anchor = min(best_anchor, time.perf_counter() - started)

            started = time.perf_counter()
            for _ in range(episodes):
                agent = Agent(ScriptedPolicy(script()), toolbox, config, events=sink)
                episode = await agent.run(task)
                assert episode.answer == "answer", episode.error
            best_agent = min(best_agent, time.perf_counter() - started)
    return best_agent / episodes, best_anchor / episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    agent, anchor = anyio.run(measure, args.episodes, args.rounds)
    print(f"{len(CALLS)} tool calls per episode, {args.episodes} episodes, best of {args.rounds}")
    print(f"{'':<28}{'ms/episode':>12}")
    print(f"{'anchor: Toolbox.call only':<28}{anchor * 1e3:>12.3f}")
    print(f"{'agent loop (scripted)':<28}{agent * 1e3:>12.3f}")
    print(f"ratio agent/anchor = {agent / anchor:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
