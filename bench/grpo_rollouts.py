"""Cost of ToolMaster's GRPO rollout environments around the MCP calls themselves.

trl calls an environment's tools synchronously; ToolMaster makes those calls on a fresh MCP
session per rollout, through one event-loop thread (`RolloutHub`). Measured: a whole rollout as
trl drives it (reset: a fresh seeded weather state and its in-process session; the tool calls,
from synchronous code, through the hub; the verdict and reward) against the anchor, the same
calls made straight through an already open Toolbox inside an event loop. The ratio is the price
of a fresh session per rollout plus the thread hop per call.

    uv run python bench/grpo_rollouts.py [--rollouts 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

import anyio
from pydantic import JsonValue
from toolmaster.core import ToolCall, get_environment
from toolmaster.mcp import InProcessServerSpec, Toolbox
from toolmaster.train import (
    BundledWorld,
    RewardConfig,
    RolloutHub,
    RolloutSettings,
    environment_class,
)

CALLS: list[tuple[str, dict[str, JsonValue]]] = [
    ("find_city", {"query": "Lisbon"}),
    ("get_forecast", {"city": "L0", "day": 1}),
    ("list_favorites", {}),
    ("find_city", {"query": "Oslo"}),
    ("get_forecast", {"city": "O0", "day": 2, "units": "metric"}),
]


async def anchor(rollouts: int) -> float:
    env = get_environment("weather")
    task = env.tasks("train")[0]
    session = env.open(task)
    calls = [ToolCall(id=f"c{i}", tool=t, arguments=a) for i, (t, a) in enumerate(CALLS)]
    async with Toolbox([InProcessServerSpec(name="weather", server=session.server)]) as toolbox:
        started = time.perf_counter()
        for _ in range(rollouts):
            for call in calls:
                await toolbox.call(call)
        return time.perf_counter() - started


def measured(rollouts: int, *, calls: bool = True) -> float:
    env = get_environment("weather")
    task = env.tasks("train")[0]
    world = BundledWorld(env=env, name="weather")
    completion = [{"role": "assistant", "content": "done"}]
    with RolloutHub(RolloutSettings(mode="direct")) as hub:
        cls = environment_class(world, hub.list_tools(world, task), "direct")
        instance = cls(hub.new_rollout(world))
        row = task.model_dump_json()
        started = time.perf_counter()
        for _ in range(rollouts):
            instance.reset(task=row)
            if calls:
                for tool, arguments in CALLS:
                    getattr(instance, tool)(**arguments)
            instance.toolmaster.judge(completion, RewardConfig())
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    anchors: list[float] = []
    rolls: list[float] = []
    resets: list[float] = []
    for _ in range(args.rounds):
        anchors.append(anyio.run(anchor, args.rollouts))
        rolls.append(measured(args.rollouts))
        resets.append(measured(args.rollouts, calls=False))
    best_anchor, best, reset = min(anchors), min(rolls), min(resets)
    per_call = best_anchor / (args.rollouts * len(CALLS)) * 1e3
    per_rollout = best / args.rollouts * 1e3
    print(f"anchor: {per_call:.3f} ms per call on an open Toolbox ({len(CALLS)} calls a rollout)")
    print(f"rollouts: {per_rollout:.2f} ms per rollout (fresh session, the calls, the verdict)")
    print(f"  of which the fresh session and the verdict: {reset / args.rollouts * 1e3:.2f} ms")
    hop = (best - reset) / best_anchor
    print(f"ratio (rollouts / anchor): {best / best_anchor:.2f}; calls alone: {hop:.2f}")


if __name__ == "__main__":
    main()
