"""SQLite over JSON state: every call builds an in-memory database from the JSON tables, runs one
statement and (for writes) stores the tables back, so `snapshot`/`restore` of the JSON is the
whole truth."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any, cast

from pydantic import JsonValue

MAX_ROWS = 20
"""`query` shows at most this many rows (undocumented); `row_count` tells the full size."""

_STEP_LIMIT = 5_000
"""Thousands of virtual-machine steps a statement may take before it is interrupted (runaway
joins)."""

_WRITE_VERBS = ("insert", "update", "delete")


class SqlError(Exception):
    """A statement failed; the message is what the model sees."""


@dataclass(frozen=True)
class Rows:
    columns: list[str]
    rows: list[list[JsonValue]]


def _table_defs(tables: dict[str, JsonValue]) -> list[tuple[str, list[dict[str, Any]], list[Any]]]:
    defs: list[tuple[str, list[dict[str, Any]], list[Any]]] = []
    for name, table in tables.items():
        spec = cast(dict[str, Any], table)
        defs.append(
            (name, cast(list[dict[str, Any]], spec["columns"]), cast(list[Any], spec["rows"]))
        )
    return defs


def _connect(tables: dict[str, JsonValue]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    for name, columns, rows in _table_defs(tables):
        cols = ", ".join(
            f'"{c["name"]}" {c["type"]}' + (" PRIMARY KEY" if c["pk"] else "") for c in columns
        )
        conn.execute(f'CREATE TABLE "{name}" ({cols})')
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    conn.commit()
    steps = 0

    def _guard() -> int:
        nonlocal steps
        steps += 1
        return 1 if steps > _STEP_LIMIT else 0

    conn.set_progress_handler(_guard, 1000)
    conn.set_authorizer(_authorize)
    return conn


def _authorize(action: int, *_: str | None) -> int:
    """No ATTACH/DETACH: a statement must never reach the server's own disk."""
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _first_word(sql: str) -> str:
    stripped = re.sub(r"^(\s|--[^\n]*\n|/\*.*?\*/)+", "", sql, flags=re.DOTALL)
    match = re.match(r"[A-Za-z]+", stripped)
    return match.group(0).lower() if match else ""


def run_query(tables: dict[str, JsonValue], sql: str) -> Rows:
    """Run one read-only statement; sqlite's own error text on failure."""
    conn = _connect(tables)
    try:
        conn.execute("PRAGMA query_only = ON")
        cursor = conn.execute(sql)
        columns = [d[0] for d in cursor.description or ()]
        rows = [list(r) for r in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise SqlError(_message(exc)) from None
    finally:
        conn.close()
    return Rows(columns, rows)


def run_write(tables: dict[str, JsonValue], sql: str) -> int:
    """Run one INSERT/UPDATE/DELETE, store the tables back into `tables`, return rows changed."""
    verb = _first_word(sql)
    if verb not in _WRITE_VERBS:
        if verb in ("select", "with"):
            raise SqlError("execute: statement returns rows; nothing executed")
        raise SqlError(f"execute: {verb.upper() or 'statement'} not permitted")
    if verb in ("update", "delete") and not re.search(r"\bwhere\b", sql, re.IGNORECASE):
        raise SqlError(f"execute: refusing unqualified {verb.upper()} (E_NOWHERE)")
    conn = _connect(tables)
    try:
        cursor = conn.execute(sql)
        changed = cursor.rowcount
        conn.commit()
        for name, _, _ in _table_defs(tables):
            spec = cast(dict[str, Any], tables[name])
            spec["rows"] = [list(r) for r in conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')]
    except sqlite3.Error as exc:
        raise SqlError(_message(exc)) from None
    finally:
        conn.close()
    return changed


def _message(exc: sqlite3.Error) -> str:
    text = str(exc)
    if text == "interrupted":
        text = "interrupted: statement exceeded the step budget"
    return f"sqlite error: {text}"
