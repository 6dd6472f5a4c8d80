"""Schema migrations: ordered steps from version 1, each run once, all or nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from toolmaster.core import SCHEMA_VERSION, Store, StoreError
from toolmaster.core._migrations import APPLICATION_ID, MIGRATIONS, Migration, check, migrate

from tests.core._factories import make_episode

NEXT = SCHEMA_VERSION + 1
V2 = Migration(
    version=NEXT,
    description="a column added by a future version",
    statements=("ALTER TABLE episodes ADD COLUMN cost REAL",),
)


def _connect(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path, isolation_level=None))


def _columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(episodes)")]


def test_a_new_store_is_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Store(path).close()
    with _connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1


def test_migrating_an_empty_database_runs_every_step(tmp_path: Path) -> None:
    with _connect(tmp_path / "x.db") as conn:
        assert migrate(conn, "x.db", (*MIGRATIONS, V2)) == 0
        assert conn.execute("PRAGMA user_version").fetchone() == (NEXT,)
        assert "cost" in _columns(conn)


def test_a_store_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    episode = make_episode(1)
    with Store(path) as store:
        store.put_episode(episode)
    with _connect(path) as conn:
        assert check(conn, "s", (*MIGRATIONS, V2)) == SCHEMA_VERSION
        assert migrate(conn, "s", (*MIGRATIONS, V2)) == SCHEMA_VERSION
        assert migrate(conn, "s", (*MIGRATIONS, V2)) == NEXT  # a second run does nothing
        assert conn.execute("PRAGMA user_version").fetchone() == (NEXT,)
        assert conn.execute("SELECT id, cost FROM episodes").fetchall() == [(episode.id, None)]
    # This ToolMaster now refuses the upgraded file.
    with pytest.raises(StoreError, match="newer ToolMaster"):
        Store(path)


def test_a_failing_step_rolls_back_every_step(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Store(path).close()
    broken = Migration(version=NEXT + 1, description="broken", statements=("CREATE TABLE (",))
    with _connect(path) as conn:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, "s", (*MIGRATIONS, V2, broken))
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert "cost" not in _columns(conn)
        assert not conn.in_transaction


def test_steps_must_be_numbered_from_one(tmp_path: Path) -> None:
    with _connect(tmp_path / "x.db") as conn, pytest.raises(ValueError, match="numbered"):
        migrate(conn, "x", (V2,))


def test_a_version_1_store_gets_the_writers_table_and_its_streams_stay_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sessions.db"
    with _connect(path) as conn:
        migrate(conn, "s", MIGRATIONS[:1])
        event = '{"episode_id":"old","seq":0,"kind":"episode_started",'
        event += '"ts":"2026-03-14T09:26:53Z","data":{}}'
        conn.execute("INSERT INTO events VALUES ('old', 0, 'episode_started', ?)", (event,))
    with Store(path) as store:  # migrated: no writer is known for the old stream
        assert [e.episode_id for e in store.open_streams()] == ["old"]
        assert store.abandoned_streams() == []
    with _connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT count(*) FROM writers").fetchone() == (0,)
