"""What the trial sandbox costs: starting a sandboxed instance of a stdio server, and calls in it,
against the same server started plainly.

    uv run python bench/trial_sandbox.py [--starts 8] [--calls 400]

Two servers: the SDK's MCPServer (`tests/mcp/servers/files_server.py`, a real Python server
that reads and writes files) and a hand-written server without the SDK
(`tests/mcp/servers/raw_server.py`, which starts in milliseconds, so the sandbox's own start cost
shows). Start: the time from nothing to the first result (`Toolbox` entered and one call, against
`NamespaceSandbox` entered and its first call, which starts the instance in new mount and network
namespaces with an overlay over the server's folder), alternating, the median of `--starts`
each (target: < 1.5x), and the fastest of each (the least disturbed by other jobs). Calls: the
median latency of blocks of calls, alternating between the plain server and the running
sandboxed instance (target: <= 1.10x); for the file server a read and a write of a file in the
overlaid folder (the write lands in the overlay's upper layer, a tmpfs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from pydantic import JsonValue
from toolmaster.core import ToolCall, ToolSpec
from toolmaster.mcp import NamespaceSandbox, StdioServerSpec, Toolbox, namespace_support

SERVERS = Path(__file__).resolve().parents[1] / "tests" / "mcp" / "servers"
START_TARGET = 1.5
CALL_TARGET = 1.10

Call = Callable[[], Awaitable[object]]


def specs(folder: Path) -> dict[str, tuple[StdioServerSpec, str, dict[str, JsonValue]]]:
    """Each server, working in `folder`, and the call its start is timed with."""
    files = StdioServerSpec(
        name="files",
        command=sys.executable,
        args=(str(SERVERS / "files_server.py"),),
        cwd=str(folder),
    )
    raw = StdioServerSpec(
        name="raw", command=sys.executable, args=(str(SERVERS / "raw_server.py"),), cwd=str(folder)
    )
    return {
        "files (SDK)": (files, "read", {"path": "data.txt"}),
        "raw (no SDK)": (raw, "echo", {"text": "hi"}),
    }


async def plain_start(spec: StdioServerSpec, tool: str, arguments: dict[str, JsonValue]) -> float:
    started = time.perf_counter()
    async with Toolbox([spec]) as toolbox:
        result = await toolbox.call(ToolCall(id="1", tool=tool, arguments=arguments))
        elapsed = time.perf_counter() - started
    assert not result.is_error, result.text
    return elapsed


async def sandboxed_start(
    spec: StdioServerSpec, tool: ToolSpec, arguments: dict[str, JsonValue]
) -> float:
    started = time.perf_counter()
    async with NamespaceSandbox([spec]) as sandbox:
        call = ToolCall(id="1", tool=tool.name, arguments=arguments)
        result = await sandbox.call(tool, call)
        elapsed = time.perf_counter() - started
    assert not result.is_error, result.text
    return elapsed


async def starts(
    spec: StdioServerSpec, tool: ToolSpec, arguments: dict[str, JsonValue], rounds: int
) -> tuple[list[float], list[float]]:
    """Seconds to the first result, plain and sandboxed, alternating which goes first."""
    plain: list[float] = []
    boxed: list[float] = []
    for i in range(rounds + 1):
        order = (0, 1) if i % 2 else (1, 0)
        for which in order:
            if which == 0:
                took = await plain_start(spec, tool.name, arguments)
                if i:
                    plain.append(took)
            else:
                took = await sandboxed_start(spec, tool, arguments)
                if i:  # the first round warms the caches
                    boxed.append(took)
    return plain, boxed


async def latencies(plain: Call, boxed: Call, calls: int, block: int = 20) -> tuple[float, float]:
    """Median seconds per call over alternating blocks."""
    for _ in range(min(50, calls)):
        await plain()
        await boxed()
    walls: dict[Call, list[float]] = {plain: [], boxed: []}
    for b in range(max(1, calls // block)):
        for fn in (plain, boxed) if b % 2 else (boxed, plain):
            started = time.perf_counter()
            for _ in range(block):
                await fn()
            walls[fn].append((time.perf_counter() - started) / block)
    return statistics.median(walls[plain]), statistics.median(walls[boxed])


def verdict(ratio: float, target: float) -> str:
    return "ok" if ratio <= target else "OVER TARGET"


async def bench(label: str, spec: StdioServerSpec, args: argparse.Namespace) -> None:
    _, tool_name, arguments = specs(Path(spec.cwd or "."))[label]
    async with Toolbox([spec]) as toolbox, NamespaceSandbox([spec]) as sandbox:
        tool = toolbox.tool(tool_name)
        assert tool is not None
        plain, boxed = await starts(spec, tool, arguments, args.starts)
        plain_s, boxed_s = statistics.median(plain), statistics.median(boxed)
        ratio = boxed_s / plain_s
        print(
            f"{label:<13} start:  plain {plain_s * 1e3:7.1f} ms   sandboxed {boxed_s * 1e3:7.1f} ms"
            f"   ratio {ratio:5.3f}  ({(boxed_s - plain_s) * 1e3:+.1f} ms)  "
            f"{verdict(ratio, START_TARGET)}"
        )
        fastest = min(boxed) / min(plain)
        print(
            f"{'':<13} fastest: plain {min(plain) * 1e3:6.1f} ms   sandboxed "
            f"{min(boxed) * 1e3:7.1f} ms   ratio {fastest:5.3f}  "
            f"({(min(boxed) - min(plain)) * 1e3:+.1f} ms; the least disturbed by the load)"
        )
        probes: list[tuple[str, dict[str, JsonValue]]] = [(tool_name, arguments)]
        if tool_name == "read":
            probes.append(("write", {"path": "out.txt", "text": "x" * 100}))
        for name, given in probes:
            spec_of = toolbox.tool(name)
            assert spec_of is not None
            call = ToolCall(id="c", tool=name, arguments=given)

            async def plain_call(call: ToolCall = call) -> object:
                return await toolbox.call(call)

            async def boxed_call(call: ToolCall = call, spec_of: ToolSpec = spec_of) -> object:
                return await sandbox.call(spec_of, call)

            plain_c, boxed_c = await latencies(plain_call, boxed_call, args.calls)
            ratio = boxed_c / plain_c
            print(
                f"{'':<13} {name:<6} plain {plain_c * 1e6:7.0f} us   sandboxed "
                f"{boxed_c * 1e6:7.0f} us   ratio {ratio:5.3f}  {verdict(ratio, CALL_TARGET)}"
            )


async def main(args: argparse.Namespace) -> None:
    reason = await namespace_support()
    if reason is not None:
        print(f"no trial sandbox on this machine: {reason}")
        return
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        folder = Path(tmp)
        (folder / "data.txt").write_text("precious\n" * 100)
        for label, (spec, _, _) in specs(folder).items():
            await bench(label, spec, args)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=8, help="timed starts of each (median)")
    parser.add_argument("--calls", type=int, default=400, help="timed calls of each (median)")
    anyio.run(main, parser.parse_args())
