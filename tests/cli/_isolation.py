"""Keep CLI tests away from the real user's config and data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point the platform directories into `home` and clear every `TOOLMASTER_*` variable."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in [name for name in os.environ if name.startswith("TOOLMASTER_")]:
        monkeypatch.delenv(name, raising=False)


def isolated_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """`isolate` into `tmp_path/home`, with the session store at `tmp_path/sessions.db`."""
    isolate(monkeypatch, tmp_path / "home")
    path = tmp_path / "sessions.db"
    monkeypatch.setenv("TOOLMASTER_STORE_PATH", str(path))
    return path
