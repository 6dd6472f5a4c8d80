"""What the Toolbox costs over the raw MCP client: per-call latency and throughput.

    uv run python bench/mcp_overhead.py [--calls N] [--stdio-calls N] [--concurrency 64]

For the same server, in process and over stdio, it times `Toolbox.call` (with a subscriber that
records every event) against `mcp.Client.call_tool`, in alternating blocks of calls so that the
load of the machine falls on both alike, and prints the ratio of the median latencies (target
<= 1.10) and of the CPU time this process spends per call (in process that includes the server).
The raw client is the Toolbox's own connection (same server process, same transport), so the
difference is the Toolbox alone. Then calls per second with 64 concurrent callers (the median of
alternating bursts), and for reference the latency of a raw client over the SDK's own stdio
transport (another server process) against the Toolbox over ToolMaster's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import MCPServer
from pydantic import JsonValue
from toolmaster.core import ToolCall
from toolmaster.mcp import InProcessServerSpec, StdioServerSpec, Toolbox, ToolEvent

TARGET = 1.10


def make_server() -> MCPServer:
    app = MCPServer("bench", version="1.0", log_level="WARNING")

    @app.tool(annotations=types.ToolAnnotations(read_only_hint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return app


Call = Callable[[int], Awaitable[object]]


@dataclass
class Timing:
    wall_s: float
    """Median wall-clock seconds per call (over blocks)."""
    cpu_s: float
    """CPU seconds of this process per call (all its threads): robust to the machine's load."""


async def interleaved(raw: Call, boxed: Call, calls: int, block: int = 20) -> tuple[Timing, Timing]:
    """Time both alternately, `block` calls at a time, so that both see the same machine load."""
    for i in range(min(200, calls)):  # warm up: output-schema validators, caches
        await raw(i)
        await boxed(i)
    walls: dict[Call, list[float]] = {raw: [], boxed: []}
    cpus: dict[Call, float] = {raw: 0.0, boxed: 0.0}
    for b in range(max(1, calls // block)):
        for fn in (raw, boxed) if b % 2 else (boxed, raw):
            wall, cpu = time.perf_counter(), time.process_time()
            for i in range(block):
                await fn(b * block + i)
            cpus[fn] += time.process_time() - cpu
            walls[fn].append((time.perf_counter() - wall) / block)
    n = max(1, calls // block) * block
    return (
        Timing(statistics.median(walls[raw]), cpus[raw] / n),
        Timing(statistics.median(walls[boxed]), cpus[boxed] / n),
    )


async def throughput(fn: Call, concurrency: int, per_caller: int) -> float:
    """Calls per second with `concurrency` callers each making `per_caller` calls."""

    async def caller(offset: int) -> None:
        for i in range(per_caller):
            await fn(offset + i)

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for c in range(concurrency):
            tg.start_soon(caller, c * per_caller)
    return concurrency * per_caller / (time.perf_counter() - start)


def report(label: str, raw: Timing, boxed: Timing) -> bool:
    ratio = boxed.wall_s / raw.wall_s
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(
        f"{label:<12} latency: raw {raw.wall_s * 1e6:8.1f} us   "
        f"toolbox {boxed.wall_s * 1e6:8.1f} us   ratio {ratio:5.3f}  {verdict}"
    )
    print(
        f"{'':<12} cpu/call: raw {raw.cpu_s * 1e6:8.1f} us   toolbox {boxed.cpu_s * 1e6:8.1f} us"
        f"   ratio {boxed.cpu_s / raw.cpu_s:5.3f}  (+{(boxed.cpu_s - raw.cpu_s) * 1e6:.1f} us)"
    )
    return ratio <= TARGET


async def measure(
    label: str,
    client: Client,
    toolbox: Toolbox,
    args: argparse.Namespace,
    calls: int,
    *,
    rates: bool = True,
) -> bool:
    # Both sides get ready-made inputs: the arguments, or the ToolCall the agent would have.
    arguments: list[dict[str, JsonValue]] = [{"a": i, "b": 1} for i in range(1024)]
    tool_calls = [ToolCall(id=str(i), tool="add", arguments=a) for i, a in enumerate(arguments)]

    async def raw(i: int) -> object:
        result = await client.call_tool("add", arguments[i % 1024])
        assert not result.is_error
        return result

    async def boxed(i: int) -> object:
        result = await toolbox.call(tool_calls[i % 1024])
        assert result.error_kind is None, result
        return result

    raw_t, boxed_t = await interleaved(raw, boxed, calls)
    ok = report(label, raw_t, boxed_t)
    if not rates:
        return ok
    per_caller = max(1, calls // args.concurrency)
    raw_rates: list[float] = []
    boxed_rates: list[float] = []
    for round_ in range(args.rounds):  # alternate bursts, so both see the same machine load
        order = ((raw, raw_rates), (boxed, boxed_rates))
        for fn, rates in order if round_ % 2 else order[::-1]:
            rates.append(await throughput(fn, args.concurrency, per_caller))
    raw_rate, boxed_rate = statistics.median(raw_rates), statistics.median(boxed_rates)
    print(
        f"{'':<12} {args.concurrency} concurrent callers: raw {raw_rate:8.0f} calls/s   "
        f"toolbox {boxed_rate:8.0f} calls/s   ratio {raw_rate / boxed_rate:5.3f}"
    )
    return ok


async def main(args: argparse.Namespace) -> int:
    events: list[ToolEvent] = []
    command = (sys.executable, __file__, "--serve")
    servers = {
        "in process": InProcessServerSpec(name="bench", server=make_server()),
        "stdio": StdioServerSpec(name="bench", command=command[0], args=command[1:]),
    }
    ok = True
    for label, spec in servers.items():
        toolbox = Toolbox([spec])
        toolbox.subscribe(events.append)
        async with toolbox:
            # The raw side is the very connection the Toolbox uses: same server, same process,
            # same transport, so the difference is what the Toolbox adds.
            client = toolbox.client("bench")
            calls = args.calls if label == "in process" else args.stdio_calls
            ok &= await measure(label, client, toolbox, args, calls)
    # For reference: the raw client over the SDK's own stdio transport (another process).
    params = StdioServerParameters(command=command[0], args=list(command[1:]))
    toolbox = Toolbox([servers["stdio"]])
    toolbox.subscribe(events.append)
    async with Client(params) as client, toolbox:
        await measure("stdio (SDK)", client, toolbox, args, args.stdio_calls, rates=False)
    recorded = {kind: sum(e.kind == kind for e in events) for kind in ("tool_call", "tool_result")}
    print(f"events recorded by the subscriber: {recorded}")
    return 0 if ok else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--calls", type=int, default=3000, help="timed calls in process (each side)"
    )
    parser.add_argument(
        "--stdio-calls", type=int, default=1000, help="timed calls over stdio (each side)"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5, help="throughput bursts, each")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        make_server().run()
    else:
        sys.exit(anyio.run(main, arguments))
