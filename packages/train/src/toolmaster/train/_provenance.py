"""Where a trained model came from: `provenance.json` beside the saved adapter or model.

It records the training config, the base model it loads on, the data (how the rows were built),
the metrics, the git commit of the code (when run from a checkout) and the versions of the
libraries that matter, so a result can be traced and reproduced.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["PROVENANCE", "git_commit", "library_versions", "write_provenance"]

PROVENANCE = "provenance.json"
_LIBRARIES = (
    "toolmaster-train",
    "toolmaster-agent",
    "trl",
    "transformers",
    "peft",
    "torch",
    "datasets",
    "accelerate",
)


def git_commit(where: Path | None = None) -> dict[str, Any] | None:
    """The commit checked out at `where` (default: the current directory) and whether the tree
    has uncommitted changes; None outside a git checkout or without git."""
    cwd = str(where) if where is not None else None
    git = shutil.which("git")
    if git is None:
        return None
    try:
        commit = subprocess.run(  # noqa: S603 (fixed arguments, git from PATH)
            [git, "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(  # noqa: S603 (fixed arguments, git from PATH)
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries a training run depends on (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_provenance(directory: Path, record: dict[str, Any]) -> Path:
    """Write `record` plus the time, git commit and library versions as `provenance.json`."""
    full = {
        **record,
        "created_at": datetime.now(UTC).isoformat(),
        "git": git_commit(),
        "versions": library_versions(),
    }
    path = directory / PROVENANCE
    path.write_text(json.dumps(full, indent=2, default=str) + "\n", encoding="utf-8")
    return path
