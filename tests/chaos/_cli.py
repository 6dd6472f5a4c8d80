"""Running the real `toolmaster` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.mcp.servers.memory import RAW_SERVER


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `toolmaster` subprocess: platform folders inside `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLMASTER_")}
    env |= {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        **extra,
    }
    return env


def toolmaster(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolmaster.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def toolmaster_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolmaster.cli", *args]


def raw_servers(path: Path, *server_args: str) -> Path:
    """An mcpServers file with the misbehaving raw server, its token from `${RAW_TOKEN}`."""
    server = {
        "command": sys.executable,
        "args": [str(RAW_SERVER), *server_args],
        "env": {"RAW_TOKEN": "${RAW_TOKEN}"},
    }
    path.write_text(json.dumps({"mcpServers": {"raw": server}}))
    return path


def openai_flags(base_url: str) -> list[str]:
    return ["--policy", "openai", "--base-url", base_url, "--model", "scripted"]
