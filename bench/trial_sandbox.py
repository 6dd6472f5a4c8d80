"""What the trial sandbox costs: starting a sandboxed instance of a stdio server, and calls in it,
against the same server started plainly, in one run.

    uv run python bench/trial_sandbox.py [--starts 16] [--calls 800] [--servers raw,bundled,npm]
    uv run python bench/trial_sandbox.py --quick     # the code path with tiny counts, no verdicts

Three stdio servers, each started plainly (`Toolbox`) and as the trial sandbox starts it
(`NamespaceSandbox`: `unshare` into new mount and network namespaces, a tmpfs, an overlay over
the server's working folder, then the server):

- `raw`: a hand-written server without the SDK (`tests/mcp/servers/raw_server.py`), which starts
  in milliseconds, so the sandbox's own cost shows;
- `bundled`: a bundled environment over stdio (`python -m toolmaster.envs.files --seed 0`, an
  SDK server, as `"transport": "stdio"` runs it);
- `npm`: the reference filesystem server from the npm registry through `npx`, serving the
  overlaid folder (skipped when `npx` is missing or the package cannot be fetched). Both arms
  run `npx` offline, as the sandbox does, so that a registry check does not favour either.

Start: the time from nothing to the first result (`Toolbox` entered and one call, against
`NamespaceSandbox` entered and its first call, which starts the instance), the arms alternating
(ABBA: the order flips each round) after one untimed round; the median of `--starts` each
(target: < 1.5x), and the fastest of each (the least disturbed by other jobs).

Calls: `--calls` calls of each, alternating one by one (ABBA) between the running plain server
and the running sandboxed instance, after 50 untimed ones; the median per call (target:
<= 1.10x). For `npm`, a read of a file in the overlaid folder and a write there (which lands in
the overlay's tmpfs).

Where the start goes, without MCP: a program started plainly, in the namespaces alone, and in
the namespaces with the sandbox's mounts (the sandbox's steps: tmpfs, an overlay, `cd`, `exec`),
for `/bin/true`, `python -c pass` and `node -e 0`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from pydantic import JsonValue
from toolmaster.core import ToolCall, ToolSpec
from toolmaster.mcp import (
    NamespaceSandbox,
    ServerConnectError,
    StdioServerSpec,
    Toolbox,
    namespace_support,
    sandboxed_spec,
)

ROOT = Path(__file__).resolve().parents[1]
RAW_SERVER = ROOT / "tests" / "mcp" / "servers" / "raw_server.py"
NPM_SERVER = "@modelcontextprotocol/server-filesystem@2026.8.31"
START_TARGET = 1.5
CALL_TARGET = 1.10
SERVER_NAMES = ("raw", "bundled", "npm")

Call = Callable[[], Awaitable[object]]
Probe = tuple[str, dict[str, JsonValue]]


@dataclass(frozen=True)
class Server:
    """One server of the bench: how to start it, and the calls it is timed with."""

    label: str
    spec: StdioServerSpec
    probes: tuple[Probe, ...]
    """The first one also times the start."""


@dataclass(frozen=True)
class Row:
    """One measurement: the medians (and fastest) of the plain and the sandboxed arm."""

    server: str
    measure: str
    unit: str
    plain: float
    sandboxed: float
    target: float | None
    fastest_plain: float | None = None
    fastest_sandboxed: float | None = None

    @property
    def ratio(self) -> float:
        return self.sandboxed / self.plain


def servers(folder: Path, chosen: Sequence[str]) -> list[Server]:
    """The chosen servers, working in `folder` (which holds `data.txt`)."""
    found: list[Server] = []
    cwd = str(folder)
    if "raw" in chosen:
        raw = StdioServerSpec(name="raw", command=sys.executable, args=(str(RAW_SERVER),), cwd=cwd)
        found.append(Server("raw (no SDK)", raw, (("echo", {"text": "hi"}),)))
    if "bundled" in chosen:
        env = StdioServerSpec(
            name="env",
            command=sys.executable,
            args=("-m", "toolmaster.envs.files", "--seed", "0"),
            cwd=cwd,
        )
        found.append(Server("bundled files", env, (("list_dir", {"path": "/"}),)))
    if "npm" in chosen:
        npx = shutil.which("npx")
        if npx is None:
            print("npm: skipped (npx is not installed)")
        else:
            npm = StdioServerSpec.model_validate(
                {
                    "name": "npm",
                    "command": npx,
                    "args": ["-y", NPM_SERVER, cwd],
                    "cwd": cwd,
                    "env": {"npm_config_offline": "true"},
                }
            )
            read: Probe = ("read_text_file", {"path": str(folder / "data.txt")})
            write: Probe = ("write_file", {"path": str(folder / "out.txt"), "content": "x" * 100})
            found.append(Server("npm filesystem", npm, (read, write)))
    return found


async def fetch_npm(spec: StdioServerSpec) -> str | None:
    """Start the npm server once with the network (untimed), so that `npx` has it cached for
    the offline arms; None, or why it cannot run."""
    online = spec.model_copy(update={"env": {}})  # npx may reach the registry here
    try:
        async with Toolbox([online], connect_timeout=300):
            return None
    except ServerConnectError as exc:
        return str(exc)


async def plain_start(spec: StdioServerSpec, probe: Probe) -> float:
    started = time.perf_counter()
    async with Toolbox([spec]) as toolbox:
        result = await toolbox.call(ToolCall(id="1", tool=probe[0], arguments=probe[1]))
        elapsed = time.perf_counter() - started
    assert not result.is_error, result.text
    return elapsed


async def sandboxed_start(spec: StdioServerSpec, tool: ToolSpec, probe: Probe) -> float:
    started = time.perf_counter()
    async with NamespaceSandbox([spec]) as sandbox:
        result = await sandbox.call(tool, ToolCall(id="1", tool=tool.name, arguments=probe[1]))
        elapsed = time.perf_counter() - started
    assert not result.is_error, result.text
    return elapsed


async def alternate(
    plain: Callable[[], Awaitable[float]],
    boxed: Callable[[], Awaitable[float]],
    rounds: int,
    warmup: int,
) -> tuple[list[float], list[float]]:
    """Seconds of each arm per round, the order flipping each round (ABBA); the first
    `warmup` rounds are not kept."""
    kept: tuple[list[float], list[float]] = ([], [])
    for i in range(warmup + rounds):
        arms = ((0, plain), (1, boxed)) if i % 2 else ((1, boxed), (0, plain))
        for which, arm in arms:
            took = await arm()
            if i >= warmup:
                kept[which].append(took)
    return kept


async def latencies(plain: Call, boxed: Call, calls: int, warmup: int) -> tuple[float, float]:
    """Median seconds per call, plain and sandboxed, the calls alternating one by one (a call
    that the machine's other jobs delay is an outlier that the median drops)."""
    for _ in range(warmup):
        await plain()
        await boxed()

    def timed(fn: Call) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            started = time.perf_counter()
            await fn()
            return time.perf_counter() - started

        return run

    p, b = await alternate(timed(plain), timed(boxed), calls, 0)
    return statistics.median(p), statistics.median(b)


async def bench_server(server: Server, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    spec, first = server.spec, server.probes[0]
    async with Toolbox([spec]) as toolbox, NamespaceSandbox([spec]) as sandbox:
        tools = {name: toolbox.tool(name) for name, _ in server.probes}
        tool = tools[first[0]]
        assert tool is not None, first[0]
        plain, boxed = await alternate(
            lambda: plain_start(spec, first),
            lambda: sandboxed_start(spec, tool, first),
            args.starts,
            args.warmup,
        )
        rows.append(
            Row(
                server.label,
                "start",
                "ms",
                statistics.median(plain),
                statistics.median(boxed),
                START_TARGET,
                min(plain),
                min(boxed),
            )
        )
        for name, given in server.probes:
            tool_of = tools[name]
            assert tool_of is not None, name
            call = ToolCall(id="c", tool=name, arguments=given)

            async def plain_call(call: ToolCall = call) -> object:
                result = await toolbox.call(call)
                assert not result.is_error, result.text
                return result

            async def boxed_call(call: ToolCall = call, tool_of: ToolSpec = tool_of) -> object:
                result = await sandbox.call(tool_of, call)
                assert not result.is_error, result.text
                return result

            p, b = await latencies(plain_call, boxed_call, args.calls, args.warmup_calls)
            rows.append(Row(server.label, f"`{name}` call", "us", p, b, CALL_TARGET))
    return rows


# ------------------------------------------------------------------ where the start goes


def sandboxed_command(program: list[str], folder: Path, scratch: str) -> list[str]:
    """`program` as the trial sandbox starts it: its own command line (`sandboxed_spec`), with
    `folder` as the working folder under an overlay and the tmpfs at `scratch`."""
    command, *args = program
    spec = StdioServerSpec(name="bench", command=command, args=tuple(args), cwd=str(folder))
    boxed = sandboxed_spec(spec, scratch)
    return [boxed.command, *boxed.args]


def namespaces_only(sandboxed: list[str]) -> list[str]:
    """The `unshare ... --` prefix of a sandboxed command line (namespaces, no mounts)."""
    return sandboxed[: sandboxed.index("--") + 1]


async def breakdown(folder: Path, rounds: int, warmup: int) -> list[Row]:
    """A program started plainly, in the namespaces alone, and with the sandbox's mounts."""
    programs = {"/bin/true": ["/bin/true"], "python -c pass": [sys.executable, "-c", "pass"]}
    node = shutil.which("node")
    if node is not None:
        programs["node -e 0"] = [node, "-e", "0"]
    rows: list[Row] = []
    for label, program in programs.items():
        with tempfile.TemporaryDirectory(prefix="bench-sandbox-scratch-") as scratch:
            mounted = sandboxed_command(program, folder, scratch)
            unshare = namespaces_only(mounted)

            def timer(command: list[str]) -> Callable[[], Awaitable[float]]:
                async def run() -> float:
                    started = time.perf_counter()
                    await anyio.run_process(command, check=True)
                    return time.perf_counter() - started

                return run

            plain, spaced = await alternate(
                timer(program), timer([*unshare, *program]), rounds, warmup
            )
            again, boxed = await alternate(timer(program), timer(mounted), rounds, warmup)
            plain += again
        base = statistics.median(plain)
        rows.append(Row(label, "namespaces", "ms", base, statistics.median(spaced), None))
        rows.append(Row(label, "namespaces + mounts", "ms", base, statistics.median(boxed), None))
    return rows


# ------------------------------------------------------------------ report


def show(row: Row, quick: bool) -> None:
    scale = 1e3 if row.unit == "ms" else 1e6
    delta = (row.sandboxed - row.plain) * scale
    verdict = ""
    if row.target is not None and not quick:
        verdict = "ok" if row.ratio <= row.target else "OVER TARGET"
    print(
        f"{row.server:<15} {row.measure:<22} plain {row.plain * scale:9.1f} {row.unit}  "
        f"sandboxed {row.sandboxed * scale:9.1f} {row.unit}  ratio {row.ratio:5.2f}x "
        f"({delta:+.1f} {row.unit})  {verdict}"
    )
    if row.fastest_plain is not None and row.fastest_sandboxed is not None:
        fastest = row.fastest_sandboxed / row.fastest_plain
        print(
            f"{'':<15} {'start, fastest':<22} plain {row.fastest_plain * scale:9.1f} {row.unit}  "
            f"sandboxed {row.fastest_sandboxed * scale:9.1f} {row.unit}  ratio {fastest:5.2f}x"
        )


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


async def main(args: argparse.Namespace) -> list[Row]:
    """Run the bench; the rows it printed (none where this machine has no sandbox)."""
    reason = await namespace_support()
    if reason is not None:
        print(f"no trial sandbox on this machine: {reason}")
        return []
    if args.quick:
        print("quick run: counts too small for the figures to mean anything; no verdicts")
    print(f"load average {load()}, {os.cpu_count()} CPUs")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        folder = Path(tmp)
        (folder / "data.txt").write_text("precious\n" * 100)
        for server in servers(folder, args.servers):
            if server.spec.name == "npm":
                why = await fetch_npm(server.spec)
                if why is not None:
                    print(f"npm: skipped (the server did not start: {why})")
                    continue
            for row in await bench_server(server, args):
                show(row, args.quick)
                rows.append(row)
        print("where the start goes (no MCP: a program started plainly and in the sandbox)")
        for row in await breakdown(folder, args.starts, args.warmup):
            show(row, args.quick)
            rows.append(row)
    print(f"load average {load()} after")
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--starts", type=int, default=16, help="timed starts of each arm")
    parser.add_argument("--calls", type=int, default=800, help="timed calls of each arm")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_NAMES),
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        help=f"which servers, comma-separated (of {', '.join(SERVER_NAMES)})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts, no warm-up and no verdicts (smoke test)"
    )
    args = parser.parse_args(argv)
    unknown = set(args.servers) - set(SERVER_NAMES)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    args.warmup, args.warmup_calls = 1, 50
    if args.quick:
        args.starts, args.calls, args.warmup, args.warmup_calls = 1, 4, 0, 1
    return args


if __name__ == "__main__":
    anyio.run(main, parse_args())
