"""Runs a reference solver against a bundled environment over the real MCP protocol, in process.

Trial calls run in a sandbox: the state is snapshotted before the first call and restored when
the solver calls `finish_trial`, as the agent runtime does for bundled servers.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import anyio
from mcp import Client

from toolmaster.core import FINISH_TRIAL, Environment, Mode, Task, ToolResult, Turn, Verdict


@dataclass
class SolverRun:
    answer: str | None
    verdict: Verdict
    turns: list[Turn] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)

    @property
    def trial_calls(self) -> int:
        calls = 0
        for turn in self.turns:
            for call in turn.tool_calls:
                if call.tool == FINISH_TRIAL:
                    return calls
                calls += 1
        return 0

    @property
    def errors(self) -> int:
        return sum(r.is_error for r in self.results)


async def run_solver(
    env: Environment, task: Task, *, mode: Mode = "trial", seed: int = 0, max_turns: int = 64
) -> SolverRun:
    session = env.open(task)
    solver = env.solve(task, random.Random(seed), mode)
    snapshot = session.snapshot() if mode == "trial" else None
    turns: list[Turn] = []
    results: list[ToolResult] = []
    with anyio.fail_after(30):
        async with Client(session.server) as client:
            turn = next(solver)
            for _ in range(max_turns):
                turns.append(turn)
                if not turn.tool_calls:
                    break
                batch: list[ToolResult] = []
                for call in turn.tool_calls:
                    if call.tool == FINISH_TRIAL:
                        if snapshot is not None:
                            session.restore(snapshot)
                            snapshot = None
                        batch.append(
                            ToolResult(call_id=call.id, content=[{"type": "text", "text": "ok"}])
                        )
                        continue
                    raw = await client.call_tool(call.tool, call.arguments)
                    batch.append(
                        ToolResult(
                            call_id=call.id,
                            content=[json.loads(c.model_dump_json(exclude_none=True)) for c in raw.content],
                            structured_content=raw.structured_content,
                            is_error=raw.is_error,
                            error_kind="tool_error" if raw.is_error else None,
                        )
                    )
                results.extend(batch)
                try:
                    turn = solver.send(batch)
                except StopIteration:
                    raise AssertionError("solver stopped without a final answer turn") from None
            else:
                raise AssertionError(f"solver did not finish within {max_turns} turns")
    answer = turns[-1].content
    return SolverRun(answer, env.verify(task, answer, session.state()), turns, results)
