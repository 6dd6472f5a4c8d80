"""bench/trial_sandbox.py with `--quick`: every arm (plain and sandboxed starts and calls, the
breakdown of a start) runs through the real sandbox, with tiny counts and nothing timed against
a target (timings belong in docs/benchmarks.md, measured on a free machine). The raw server
(milliseconds to start) in the default suite; the bundled environment (an SDK server, seconds
on a loaded machine) is `slow`, the npm server `e2e`."""

from __future__ import annotations

import anyio
import pytest
from toolmaster.mcp import namespace_support

from bench import trial_sandbox

pytestmark = pytest.mark.anyio


async def run_quick(servers: str) -> list[trial_sandbox.Row]:
    reason = await namespace_support()
    if reason is not None:
        pytest.skip(f"no trial sandbox on this machine: {reason}")
    with anyio.fail_after(240):
        return await trial_sandbox.main(trial_sandbox.parse_args(["--quick", "--servers", servers]))


async def test_quick_run_goes_through_every_arm(capsys: pytest.CaptureFixture[str]) -> None:
    rows = await run_quick("raw")
    measured = {(row.server, row.measure) for row in rows}
    assert {
        ("raw (no SDK)", "start"),
        ("raw (no SDK)", "`echo` call"),
        ("/bin/true", "namespaces"),
        ("/bin/true", "namespaces + mounts"),
        ("python -c pass", "namespaces"),
        ("python -c pass", "namespaces + mounts"),
    } <= measured
    assert all(row.plain > 0 and row.sandboxed > 0 for row in rows)
    out = capsys.readouterr().out
    assert "quick run" in out
    assert "OVER TARGET" not in out and " ok" not in out  # no verdicts from tiny counts


@pytest.mark.slow
async def test_quick_run_goes_through_the_bundled_server() -> None:
    rows = await run_quick("bundled")
    measured = {(row.server, row.measure) for row in rows}
    assert {("bundled files", "start"), ("bundled files", "`list_dir` call")} <= measured


@pytest.mark.e2e
async def test_quick_run_goes_through_the_npm_filesystem_server() -> None:
    if trial_sandbox.shutil.which("npx") is None:
        pytest.skip("npx is not installed")
    rows = await run_quick("npm")
    measured = {(row.server, row.measure) for row in rows}
    assert {
        ("npm filesystem", "start"),
        ("npm filesystem", "`read_text_file` call"),
        ("npm filesystem", "`write_file` call"),
    } <= measured


def test_unknown_servers_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        trial_sandbox.parse_args(["--servers", "raw,ftp"])
    assert "unknown servers: ftp" in capsys.readouterr().err
