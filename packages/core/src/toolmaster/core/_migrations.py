"""The session store's schema: ordered migration steps from version 1 on, and the checks that
make sure a file is a ToolMaster store (or empty) before anything is written to it.

The schema version lives in `PRAGMA user_version`; `PRAGMA application_id` marks the file as a
ToolMaster store, so that a foreign SQLite database is refused instead of being written to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from toolmaster.core._errors import StoreError

APPLICATION_ID = 0x546D5353
"""`PRAGMA application_id` of a ToolMaster session store ("TmSS")."""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: it takes a store from `version - 1` to `version`."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="episodes with indexed columns, event streams, experience",
        statements=(
            """CREATE TABLE episodes (
                id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL,
                env TEXT,
                policy TEXT NOT NULL,
                mode TEXT NOT NULL,
                passed INTEGER,
                score REAL,
                started_us INTEGER NOT NULL,
                finished_us INTEGER,
                format_version INTEGER NOT NULL,
                json TEXT NOT NULL
            )""",
            "CREATE INDEX episodes_by_start ON episodes (started_us, id)",
            "CREATE INDEX episodes_by_task ON episodes (task_id, started_us)",
            "CREATE INDEX episodes_by_env ON episodes (env, started_us)",
            "CREATE INDEX episodes_by_policy ON episodes (policy, started_us)",
            """CREATE TABLE events (
                episode_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                json TEXT NOT NULL,
                PRIMARY KEY (episode_id, seq)
            ) WITHOUT ROWID""",
            """CREATE TABLE experience (
                server TEXT NOT NULL,
                tool TEXT NOT NULL,
                schema_hash TEXT NOT NULL,
                created_us INTEGER NOT NULL,
                json TEXT NOT NULL,
                PRIMARY KEY (server, tool, schema_hash)
            )""",
        ),
    ),
    Migration(
        version=2,
        description="the writer of each event stream, to tell live streams from abandoned ones",
        statements=(
            """CREATE TABLE writers (
                episode_id TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                started INTEGER
            ) WITHOUT ROWID""",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this ToolMaster writes. It refuses stores of a newer version."""


def _header(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """`(application_id, user_version, number of schema objects)` of the open database."""
    # One statement, so one snapshot: another process may be creating the store right now.
    app_id, version, objects = conn.execute(
        "SELECT (SELECT application_id FROM pragma_application_id), "
        "(SELECT user_version FROM pragma_user_version), "
        "(SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    return int(app_id), int(version), int(objects)


def _current_version(conn: sqlite3.Connection, where: str, latest: int) -> int:
    """The schema version of a ToolMaster store, 0 for an empty file; refuses anything else."""
    app_id, version, objects = _header(conn)
    if app_id == 0 and version == 0 and objects == 0:
        return 0
    if app_id != APPLICATION_ID:
        raise StoreError(f"{where} is an SQLite database of another program, not a session store")
    if version > latest:
        raise StoreError(
            f"{where} was written by a newer ToolMaster (store schema {version}; this one "
            f"understands up to {latest}); upgrade ToolMaster to open it"
        )
    return version


def check(
    conn: sqlite3.Connection, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """The schema version of the database behind `conn` (0: empty), without writing to it.

    Raises `StoreError` for a file that is not an SQLite database, an SQLite database of another
    program, or a store written by a newer ToolMaster.
    """
    return _current_version(conn, where, _latest(migrations))


def migrate(
    conn: sqlite3.Connection, where: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the store to the newest schema in one transaction; returns the version before.

    Safe when several processes open the same new file at once: the version is read again
    under the write lock, so each step runs exactly once. A failing step rolls everything
    back and leaves the store at its old version.
    """
    latest = _latest(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = _current_version(conn, where, latest)
        for step in migrations:
            if step.version <= before:
                continue
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
        if before < latest:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return before


def _latest(migrations: Sequence[Migration]) -> int:
    for expected, step in enumerate(migrations, start=1):
        if step.version != expected:
            raise ValueError(f"migration steps must be numbered 1, 2, ...; got {step.version}")
    return len(migrations)
