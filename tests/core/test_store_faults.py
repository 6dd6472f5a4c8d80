"""Files that are not session stores, damaged stores and stores of a newer schema."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from toolmaster.core import SCHEMA_VERSION, Store, StoreError

from tests.core._factories import make_episode


def test_a_text_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    text = "these are my notes, not a database\n" * 200
    path.write_text(text)
    with pytest.raises(StoreError, match=r"notes\.txt is damaged or is not a ToolMaster"):
        Store(path)
    assert path.read_text() == text


def test_a_foreign_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        Store(path)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_database_with_a_foreign_application_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA application_id = 42")
    with pytest.raises(StoreError, match="another program"):
        Store(path)


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    path.touch()
    with Store(path) as store:
        assert store.count() == 0


def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Store(path).close()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer ToolMaster") as caught:
        Store(path)
    assert f"schema {SCHEMA_VERSION + 1}" in str(caught.value)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        Store(tmp_path)


def test_a_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(blocker / "sessions.db")


def _damage(path: Path, offset: int, length: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset : offset + length] = b"\xa5" * length
    path.write_bytes(bytes(data))


def test_a_damaged_header_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with Store(path) as store:
        store.put_episode(make_episode(1))
    _damage(path, 0, 100)
    with pytest.raises(StoreError, match="damaged or is not a ToolMaster"):
        Store(path)


def test_damaged_pages_are_a_store_error_when_read(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with Store(path) as store:
        store.put_episodes(make_episode(i, turns=20) for i in range(50))
    size = path.stat().st_size
    assert size > 16 * 4096
    _damage(path, 4096, size - 2 * 4096)  # every page but the first and the last
    with pytest.raises(StoreError, match="damaged"), Store(path) as store:
        store.episodes()


def test_a_damaged_episode_row_names_the_episode(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with Store(path) as store:
        store.put_episode(make_episode(1))
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("UPDATE episodes SET json = '{\"id\": 3}'")
    with Store(path) as store, pytest.raises(StoreError, match=r"episode ep00000001 .* damaged"):
        store.episodes()


def test_a_locked_store_reports_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    Store(path).close()
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with Store(path, busy_timeout_s=0.05) as store, pytest.raises(StoreError, match="locked"):
            store.put_episode(make_episode(1))
        holder.execute("ROLLBACK")
