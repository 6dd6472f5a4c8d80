"""The SQLite side of the session store: opening a connection safely, and error translation."""

from __future__ import annotations

import gc
import logging
import sqlite3
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from toolmaster.core import _migrations
from toolmaster.core._errors import StoreError
from toolmaster.core._migrations import SCHEMA_VERSION

logger = logging.getLogger(__name__)

Synchronous = Literal["normal", "full"]
"""`normal`: a committed write survives a crash of the process (the WAL default).
`full`: it also survives a power cut, at the cost of an fsync per commit."""


def open_connection(
    where: str, busy_timeout_s: float, synchronous: Synchronous, *, read_only: bool = False
) -> tuple[sqlite3.Connection, int]:
    """A connection to the store at `where`, checked, and its schema version.

    Writable: in WAL mode and at the newest schema (migrated if older). The file's header is
    read before anything is written, so a foreign or damaged file is refused (`StoreError`)
    and left as it was. `read_only`: nothing is written at all; see `_open_read_only`.
    """
    if read_only:
        conn = _open_read_only(where, busy_timeout_s)
        try:
            with translated(where):
                version = _migrations.check(conn, where)
        except BaseException:
            conn.close()
            raise
        if version == 0:
            conn.close()
            raise StoreError(f"{where} is not a session store (an empty file)")
        return conn, version
    if where != ":memory:":
        try:
            Path(where).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder of session store {where}: {exc.strerror or exc}"
            ) from exc
    with translated(where):
        conn = sqlite3.connect(
            where, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    try:
        with translated(where):
            # Refuse a foreign file before writing anything to it.
            before = _migrations.check(conn, where)
            (journal,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if journal != "wal" and where != ":memory:":
                logger.warning("session store %s runs in %s mode, not WAL", where, journal)
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            if before < SCHEMA_VERSION:
                before = _migrations.migrate(conn, where)
                logger.info("session store %s: schema %d -> %d", where, before, SCHEMA_VERSION)
    except BaseException:
        conn.close()
        raise
    return conn, SCHEMA_VERSION


def _open_read_only(where: str, busy_timeout_s: float) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`). On a read-only filesystem SQLite cannot make the
    WAL index it needs for that, so the file is then opened as immutable: nothing else can
    be writing it there."""
    if where == ":memory:":
        raise StoreError("an in-memory session store cannot be opened read-only")
    path = Path(where)
    if not path.is_file():
        raise StoreError(f"no session store at {where}")
    uri = path.absolute().as_uri()
    last: sqlite3.Error | None = None
    for mode in ("mode=ro", "mode=ro&immutable=1"):
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                f"{uri}?{mode}",
                uri=True,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            last = exc
            if isinstance(exc, sqlite3.OperationalError):  # e.g. no WAL index: try immutable
                continue
            break
        else:
            return conn
    assert last is not None
    with translated(where):
        raise last
    raise AssertionError  # pragma: no cover (translated always raises)


@contextmanager
def gc_paused() -> Generator[None]:
    """Pause the cyclic garbage collector while many records are parsed.

    Parsing builds many small objects and no reference cycles, so the collector finds nothing,
    yet it runs again and again over the growing result: pausing it makes reading thousands of
    episodes 2-3 times faster. Reference counting still frees everything as usual. If the
    collector was already off, it is left off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def translated(where: str) -> Generator[None]:
    """Turn SQLite's exceptions into `StoreError`s that say which file and what went wrong."""
    try:
        yield
    except sqlite3.Error as exc:
        message = str(exc)
        if "not a database" in message or "malformed" in message:
            reason = f"{where} is damaged or is not a ToolMaster session store ({message})"
        elif "locked" in message or "busy" in message:
            reason = f"{where} stayed locked by another writer past the busy timeout ({message})"
        elif "readonly" in message or "unable to open" in message:
            reason = (
                f"session store {where} cannot be opened for writing: its folder or file is "
                f"read-only, or not reachable ({message})"
            )
        elif "full" in message:
            reason = f"session store {where}: the disk is full ({message})"
        else:
            reason = f"session store {where}: {message}"
        raise StoreError(reason) from exc
