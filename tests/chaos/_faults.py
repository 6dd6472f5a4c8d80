"""Faults and checks the chaos tests share: a disk that fills, the store's integrity, leaks."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psutil
from toolmaster.core import Store


def fill_disk(store: Store, full: bool = True) -> None:
    """Make `store`'s disk full from now on (SQLite's `max_page_count` at the pages it has),
    or give it room again. Per connection, so other stores of the file are not affected."""
    conn = store._live()  # pyright: ignore[reportPrivateUsage]  (the fault is injected here)
    pages = conn.execute("PRAGMA page_count").fetchone()[0] if full else 1 << 30
    conn.execute(f"PRAGMA max_page_count = {pages}")


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of the store file ("ok" when it is sound)."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def gapless(store: Store, episode_id: str) -> list[int]:
    """The seqs of a stream, checked to be 0, 1, 2, ... without gaps."""
    seqs = [event.seq for event in store.events(episode_id)]
    assert seqs == list(range(len(seqs))), seqs
    return seqs


def descendants() -> set[int]:
    """The pids of this process's living descendants (zombies excluded)."""
    alive: set[int] = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def open_fds() -> int:
    return psutil.Process().num_fds()
