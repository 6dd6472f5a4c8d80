"""Evaluation throughput: episodes per second at concurrency 1, 8 and 64.

    uv run python bench/eval_throughput.py [--latency 0.1] [--per-slot 4] [--levels 1,8,64]

The runner (`toolmaster.eval.run_eval`) runs in-domain test tasks in trial mode with the
reference teachers as the policy, recording every episode in a fresh SQLite store. Two policies:

- `scripted`: the teachers as they are. A turn costs only CPU (the loop, the in-process MCP
  servers, the verifier, the store), so this is the runner's own ceiling.
- `scripted + latency`: the same teachers behind a fixed wait per turn (`--latency` seconds),
  as a model behind an HTTP endpoint would take. Waits overlap; CPU does not.

For each policy and concurrency it prints episodes per second, the speedup against
concurrency 1 (the anchor), CPU milliseconds of this process per episode, and the bound the
CPU puts on the speedup: one core's worth of episodes per second (1 / CPU seconds per episode,
the run is one event loop) over the anchor's rate. Each level runs `per-slot x concurrency`
episodes (at least 16), so every slot has work from start to end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
from toolmaster.agent import AssistantTurn, Policy, PolicyFactory, reference_policy
from toolmaster.core import Environment, Message, Mode, Sampling, Store, ToolSpec
from toolmaster.eval import EvalConfig, EvalPolicy, Selection, builtin_suite, run_eval


class Delayed:
    """`inner`, answering each turn after `latency` seconds (a model behind an endpoint)."""

    def __init__(self, inner: Policy, latency: float) -> None:
        self.inner = inner
        self.info = inner.info
        self.latency = latency

    async def complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], sampling: Sampling
    ) -> AssistantTurn:
        await anyio.sleep(self.latency)
        return await self.inner.complete(messages, tools, sampling)


def teachers(latency: float) -> EvalPolicy:
    def make(env: Environment | None, mode: Mode, sample: int) -> PolicyFactory:
        assert env is not None
        factory = reference_policy(env, mode, seed=sample)
        if latency <= 0:
            return factory
        return lambda task: Delayed(factory(task), latency)

    return EvalPolicy("reference", make, scripted=True)


def measure(concurrency: int, episodes: int, latency: float) -> tuple[float, float, int]:
    """(episodes per second, CPU seconds per episode, episodes) of one run."""
    tasks_per_env = max(1, -(-episodes // 5))  # five in-domain environments
    config = EvalConfig(
        run=f"bench-{concurrency}",
        suites=[builtin_suite("in-domain")],
        modes=["trial"],
        selection=Selection(tasks_per_env=tasks_per_env, limit=episodes),
        concurrency=concurrency,
    )
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        wall, cpu = time.perf_counter(), time.process_time()
        result = anyio.run(lambda: run_eval(config, [teachers(latency)], store))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = len(result.episodes)
    failed = sum(1 for e in result.episodes if e.error is not None)
    if failed:
        print(f"  ({failed} of {done} episodes failed)")
    return done / wall, cpu / done, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per model turn")
    parser.add_argument("--per-slot", type=int, default=4, help="episodes per concurrency slot")
    parser.add_argument("--levels", default="1,8,64", help="concurrency levels; first = anchor")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    measure(4, 8, 0.0)  # warm up: imports, task generation, first-call caches
    for name, latency in (("scripted", 0.0), (f"scripted + {args.latency:g} s/turn", args.latency)):
        print(f"\n{name}")
        print(
            f"{'concurrency':>11} {'episodes':>8} {'ep/s':>7} {'speedup':>7} {'CPU ms/ep':>9}"
            f" {'CPU bound':>9}"
        )
        anchor = None
        for level in levels:
            rate, cpu, done = measure(level, max(16, args.per_slot * level), latency)
            anchor = anchor or rate
            print(
                f"{level:>11} {done:>8} {rate:>7.2f} {rate / anchor:>6.2f}x {1000 * cpu:>9.0f}"
                f" {1 / cpu / anchor:>8.1f}x"
            )


if __name__ == "__main__":
    main()
