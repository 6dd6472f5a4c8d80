"""A crash of the `toolmaster` command prints its traceback with the servers' secrets scrubbed
(issue 19 item 1: crash messages)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import toolmaster.cli._app as cli
from toolmaster.mcp import StdioServerSpec, Toolbox

spec = StdioServerSpec(name="api", command="api-server", env={"API_TOKEN": "tok-crash-0123456789"})
Toolbox([spec])  # its secrets are known from here on


def crashing_app(**_: object) -> None:
    raise RuntimeError("the server said: bad token tok-crash-0123456789")


cli.app = crashing_app  # a command that crashes with the token in its message
cli.main([])
"""


def test_a_crash_traceback_is_scrubbed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert "RuntimeError: the server said: bad token [secret:API_TOKEN]" in done.stderr
    assert "tok-crash-0123456789" not in done.stderr
