"""The installed `toolmaster` command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from toolmaster.core import Store

from tests.core._factories import make_episode

TOOLMASTER = Path(sys.executable).with_name("toolmaster")


def _run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TOOLMASTER_")}
    clean |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home)}
    return subprocess.run(
        [str(TOOLMASTER), *args],
        check=False,
        capture_output=True,
        text=True,
        env=clean | env,
        timeout=60,
    )


def test_the_entry_point_lists_sessions_from_the_configured_store(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    with Store(db) as store:
        store.put_episode(make_episode(1))
    config = tmp_path / "config.toml"
    config.write_text(f'store_path = "{db}"\n')
    result = _run("--config", str(config), "sessions", "list", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ep00000001" in result.stdout
    assert "1 of 1 matching episodes" in result.stdout


def test_the_entry_point_reports_a_bad_store_in_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01 definitely not sqlite " * 300)
    result = _run("sessions", "list", home=tmp_path, TOOLMASTER_STORE_PATH=str(garbage))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "is not a ToolMaster session store" in result.stderr
    assert len(result.stderr.splitlines()) == 1
