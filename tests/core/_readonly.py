"""A read-only place for a store: a read-only bind mount where the tests run as root (root
writes through file modes), else a folder and file without write permission."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only_copy(folder: Path, into: Path) -> Generator[Path]:
    """`folder`'s files, seen read-only at `into` while the context lasts."""
    if os.geteuid() != 0:
        shutil.copytree(folder, into)
        for file in into.iterdir():
            file.chmod(stat.S_IRUSR)
        into.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield into
        finally:
            into.chmod(stat.S_IRWXU)
        return
    into.mkdir()
    steps = (
        ["mount", "--bind", str(folder), str(into)],
        ["mount", "-o", "remount,bind,ro", str(into)],
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            subprocess.run(["umount", str(into)], capture_output=True, check=False)
            pytest.skip(f"no read-only mount as root here: {done.stderr.strip()}")
    try:
        yield into
    finally:
        subprocess.run(["umount", str(into)], capture_output=True, check=True)
