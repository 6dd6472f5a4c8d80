"""The session store: episodes, their live event streams and tool experience in one SQLite file.

One `Store` holds one connection, guarded by a lock, so a store may be shared by threads; each
process opens its own. The file is in WAL mode: readers never block the writer, and a viewer in
another process can follow a running episode by polling `events(episode_id, after_seq=...)`.
Every write is one transaction, so a crash (even SIGKILL) loses at most the write in progress.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Generator, Iterable
from contextlib import contextmanager
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Protocol

import platformdirs
from pydantic import JsonValue, ValidationError
from toolmaster.core._clean import episode_json, record_json
from toolmaster.core._episode import Episode, Event, EventKind, Experience, utcnow
from toolmaster.core._errors import StoreError
from toolmaster.core._jsonl import parse_lines
from toolmaster.core._query import (
    EpisodeQuery,
    EpisodeSummary,
    from_micros,
    page_clause,
    to_micros,
    where_clause,
)
from toolmaster.core._sqlite import Synchronous, gc_paused, open_connection, translated
from toolmaster.core._tools import ToolKey
from toolmaster.core._writers import Writer, gone, this_writer

_EPISODE_COLUMNS = (
    "id, task_id, env, policy, mode, passed, score, started_us, finished_us, format_version, json"
)
_PUT_EPISODE = (
    f"INSERT INTO episodes ({_EPISODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET task_id = excluded.task_id, env = excluded.env, "
    "policy = excluded.policy, mode = excluded.mode, passed = excluded.passed, "
    "score = excluded.score, started_us = excluded.started_us, "
    "finished_us = excluded.finished_us, format_version = excluded.format_version, "
    "json = excluded.json"
)
_NEXT_SEQ = "SELECT coalesce(max(seq) + 1, 0) FROM events WHERE episode_id = ?"
_PUT_EVENT = "INSERT INTO events (episode_id, seq, kind, json) VALUES (?, ?, ?, ?)"
_OPEN_STREAMS = """
SELECT e.json, w.host, w.pid, w.started FROM events AS e
JOIN (SELECT episode_id, max(seq) AS last FROM events
      WHERE episode_id NOT IN (SELECT id FROM episodes) GROUP BY episode_id) AS l
  ON e.episode_id = l.episode_id AND e.seq = l.last
LEFT JOIN writers AS w ON w.episode_id = e.episode_id
"""
_OPEN_STREAMS_V1 = """
SELECT e.json, NULL, NULL, NULL FROM events AS e
JOIN (SELECT episode_id, max(seq) AS last FROM events
      WHERE episode_id NOT IN (SELECT id FROM episodes) GROUP BY episode_id) AS l
  ON e.episode_id = l.episode_id AND e.seq = l.last
"""
_PUT_WRITER = (
    "INSERT INTO writers (episode_id, host, pid, started) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (episode_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
    "started = excluded.started"
)
_SUMMARY_COLUMNS = "id, task_id, env, policy, mode, passed, score, started_us, finished_us"
_CHUNK = 256

_EpisodeRow = tuple[
    str, str, str | None, str, str, int | None, float | None, int, int | None, int, str
]


class TextSink(Protocol):
    """Where `Store.export_jsonl` writes: anything with `write(str)` (a text file, stdout)."""

    def write(self, text: str, /) -> object: ...


def default_store_path() -> Path:
    """`sessions.db` in the platform's user data directory for ToolMaster."""
    return Path(platformdirs.user_data_dir("toolmaster", appauthor=False)) / "sessions.db"


class Store:
    """The SQLite session store. Open it with a path (default: `default_store_path()`), or
    `":memory:"` for a private in-memory store; close it, or use it as a context manager.

    Raises `StoreError` when the file is not a session store (a text file, a damaged file, the
    database of another program), when it was written by a newer ToolMaster, and whenever
    SQLite fails later on (a full disk, a read-only folder). A record holding text that UTF-8
    cannot encode (a lone surrogate) is stored with U+FFFD in its place, marked `sanitised`.

    `read_only=True` opens an existing store without writing anything, also on a read-only
    filesystem (SQLite's `mode=ro`, `immutable` where the WAL index cannot be made); writes
    then raise `StoreError`.
    """

    def __init__(
        self,
        path: str | PathLike[str] | None = None,
        *,
        busy_timeout_s: float = 30.0,
        synchronous: Synchronous = "normal",
        read_only: bool = False,
    ) -> None:
        self._path = default_store_path() if path is None else Path(path)
        self._where = str(self._path)
        self._lock = threading.RLock()
        self.read_only = read_only
        """Opened without writing: every write raises `StoreError`."""
        conn, self._schema = open_connection(
            self._where, busy_timeout_s, synchronous, read_only=read_only
        )
        self._conn: sqlite3.Connection | None = conn

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards. Closing twice is fine."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._where!r})"

    # ------------------------------------------------------------------ episodes

    def put_episode(self, episode: Episode) -> None:
        """Save an episode; one with the same id is replaced."""
        self.put_episodes((episode,))

    def put_episodes(self, episodes: Iterable[Episode]) -> int:
        """Save several episodes in one transaction (all or none); returns how many. An episode
        whose text UTF-8 cannot encode is stored sanitised (`metadata.sanitised`)."""
        rows = [_episode_row(episode) for episode in episodes]
        with self._writing() as conn:
            conn.executemany(_PUT_EPISODE, rows)
        return len(rows)

    def get_episode(self, episode_id: str) -> Episode | None:
        """The episode with this id, or `None`."""
        with self._reading() as conn:
            row = conn.execute("SELECT json FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        return None if row is None else self._parse_episode(episode_id, row[0])

    def episodes(self, query: EpisodeQuery | None = None) -> list[Episode]:
        """The matching episodes, newest first."""
        rows = self._select("id, json", query or EpisodeQuery())
        with gc_paused():
            return [self._parse_episode(episode_id, text) for episode_id, text in rows]

    def summaries(self, query: EpisodeQuery | None = None) -> list[EpisodeSummary]:
        """The indexed columns of the matching episodes, newest first (no JSON is parsed)."""
        rows = self._select(_SUMMARY_COLUMNS, query or EpisodeQuery())
        return [_summary(row) for row in rows]

    def count(self, query: EpisodeQuery | None = None) -> int:
        """How many episodes match, ignoring the query's limit and offset."""
        where, params = where_clause(query or EpisodeQuery())
        with self._reading() as conn:
            (total,) = conn.execute(f"SELECT count(*) FROM episodes{where}", params).fetchone()
        return int(total)

    def ids_starting_with(self, prefix: str, limit: int = 10) -> list[str]:
        """Ids of stored episodes that start with `prefix`, in order (to resolve short ids)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id FROM episodes WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (prefix, prefix + "\U0010ffff", limit),
            ).fetchall()
        return [str(episode_id) for (episode_id,) in rows]

    def delete_episode(self, episode_id: str) -> bool:
        """Delete an episode and its event stream; returns whether the episode existed."""
        with self._writing() as conn:
            deleted = conn.execute("DELETE FROM episodes WHERE id = ?", (episode_id,)).rowcount
            conn.execute("DELETE FROM events WHERE episode_id = ?", (episode_id,))
            conn.execute("DELETE FROM writers WHERE episode_id = ?", (episode_id,))
        return deleted > 0

    # ------------------------------------------------------------------ events

    def append_event(
        self,
        episode_id: str,
        kind: EventKind,
        data: dict[str, JsonValue] | None = None,
        *,
        ts: datetime | None = None,
    ) -> Event:
        """Append an event to an episode's stream and return it with its `seq` (0, 1, 2, ...
        without gaps, also when several writers append to the same stream). The process that
        writes seq 0 is recorded as the stream's writer."""
        draft = Event(episode_id=episode_id, seq=0, kind=kind, ts=ts or utcnow(), data=data or {})
        with self._writing() as conn:
            (seq,) = conn.execute(_NEXT_SEQ, (episode_id,)).fetchone()
            return self._insert_event(conn, draft.model_copy(update={"seq": int(seq)}))

    def put_event(self, event: Event) -> None:
        """Append an event whose `seq` its producer already set (the agent loop numbers its
        own events). It must be the next `seq` of its stream, else `StoreError`: a stream has
        no gaps and no duplicates. The event and its check are one transaction; the process
        that writes seq 0 is recorded as the stream's writer. An event holding text UTF-8
        cannot encode is stored sanitised (`data.sanitised`)."""
        with self._writing() as conn:
            (expected,) = conn.execute(_NEXT_SEQ, (event.episode_id,)).fetchone()
            if event.seq != expected:
                raise StoreError(
                    f"event seq {event.seq} of episode {event.episode_id} is out of order: "
                    f"the stream expects seq {expected} next"
                )
            self._insert_event(conn, event)

    def events(
        self, episode_id: str, *, after_seq: int = -1, limit: int | None = None
    ) -> list[Event]:
        """The events of an episode with `seq > after_seq`, in order. A viewer follows a live
        episode by calling this again with the last `seq` it has seen."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT json FROM events WHERE episode_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (episode_id, after_seq, -1 if limit is None else limit),
            ).fetchall()
        with gc_paused():
            return [Event.model_validate_json(text) for (text,) in rows]

    def open_streams(self, since: datetime | None = None) -> list[Event]:
        """The last event of every live event stream: its episode is not stored yet and its
        writer is not known to be gone (episodes running now, in this process or another),
        newest first. With `since`, only the streams whose last event is that recent (the
        only test for streams written on another host, whose writer cannot be checked)."""
        return self._streams(since, abandoned=False)

    def abandoned_streams(self, since: datetime | None = None) -> list[Event]:
        """The last event of every abandoned event stream: its episode is not stored and its
        writer, a process on this host, is gone (it exited or was killed mid-episode), newest
        first; with `since`, only those whose last event is that recent."""
        return self._streams(since, abandoned=True)

    def _streams(self, since: datetime | None, *, abandoned: bool) -> list[Event]:
        sql = _OPEN_STREAMS if self._schema >= 2 else _OPEN_STREAMS_V1
        with self._reading() as conn:
            rows = conn.execute(sql).fetchall()
        found: list[Event] = []
        with gc_paused():
            for text, host, pid, started in rows:
                dead = host is not None and gone(Writer(host, pid, started))
                if dead == abandoned:
                    found.append(Event.model_validate_json(text))
        recent = [event for event in found if since is None or event.ts >= since]
        return sorted(recent, key=lambda event: event.ts, reverse=True)

    # ------------------------------------------------------------------ experience

    def put_experience(self, experience: Experience) -> None:
        """Save what was learnt about one version of a tool, replacing older notes for it."""
        key = experience.key
        row = (
            key.server,
            key.tool,
            key.schema_hash,
            to_micros(experience.created_at),
            experience.model_dump_json(),
        )
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO experience (server, tool, schema_hash, created_us, json) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (server, tool, schema_hash) DO UPDATE SET "
                "created_us = excluded.created_us, json = excluded.json",
                row,
            )

    def get_experience(self, key: ToolKey) -> Experience | None:
        """The experience saved for exactly this version of this tool, or `None`."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT json FROM experience WHERE server = ? AND tool = ? AND schema_hash = ?",
                (key.server, key.tool, key.schema_hash),
            ).fetchone()
        return None if row is None else Experience.model_validate_json(row[0])

    def experiences(self, server: str | None = None, tool: str | None = None) -> list[Experience]:
        """Saved experience, optionally of one server (and one tool), by server, tool, age.

        `server` is a key's server: an identity (`mcp-server-memory@0.6.0`), or a server's
        name, which matches every version of it (`mcp-server-memory`), or a configuration name
        (experience of servers that announced no identity, or saved before keys were
        identities)."""
        clauses: list[str] = []
        params: list[str | int] = []
        if server is not None:
            clauses.append("(server = ? OR substr(server, 1, ?) = ?)")
            params += [server, len(server) + 1, f"{server}@"]
        if tool is not None:
            clauses.append("tool = ?")
            params.append(tool)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT json FROM experience{where} ORDER BY server, tool, created_us", params
            ).fetchall()
        return [Experience.model_validate_json(text) for (text,) in rows]

    def forget_experience(self, key: ToolKey) -> bool:
        """Delete the experience of one tool version; returns whether there was any."""
        with self._writing() as conn:
            cursor = conn.execute(
                "DELETE FROM experience WHERE server = ? AND tool = ? AND schema_hash = ?",
                (key.server, key.tool, key.schema_hash),
            )
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ JSONL

    def export_jsonl(self, out: TextSink, query: EpisodeQuery | None = None) -> int:
        """Write the matching episodes to `out`, one episode JSON per line, newest first;
        returns how many. Importing the output into an empty store and exporting again gives
        the same bytes."""
        where, params = where_clause(query or EpisodeQuery())
        tail, page = page_clause(query or EpisodeQuery())
        written = 0
        with self._reading() as conn:
            cursor = conn.execute(f"SELECT json FROM episodes{where}{tail}", [*params, *page])
            while rows := cursor.fetchmany(_CHUNK):
                out.write("".join(f"{text}\n" for (text,) in rows))
                written += len(rows)
        return written

    def import_jsonl(self, lines: Iterable[str | bytes]) -> int:
        """Import episodes from JSONL lines (a file object in text or binary mode works);
        episodes with ids already stored are replaced. Every line is checked before anything
        is written, then all are written in one transaction: on a bad line `ImportFormatError`
        names it and the store is unchanged. Returns how many episodes it stored: lines that
        repeat an id count once (the last of them is kept)."""
        episodes = list(parse_lines(lines))
        with self._writing() as conn:
            conn.executemany(_PUT_EPISODE, [_episode_row(episode) for episode in episodes])
        return len({episode.id for episode in episodes})

    # ------------------------------------------------------------------ internals

    def _select(self, columns: str, query: EpisodeQuery) -> list[tuple[object, ...]]:
        where, params = where_clause(query)
        tail, page = page_clause(query)
        sql = f"SELECT {columns} FROM episodes{where}{tail}"
        with self._reading() as conn:
            return conn.execute(sql, [*params, *page]).fetchall()

    def _parse_episode(self, episode_id: object, text: object) -> Episode:
        assert isinstance(text, str)
        try:
            return Episode.from_json(text)
        except ValidationError as exc:
            raise StoreError(
                f"episode {episode_id} in {self._where} is damaged and cannot be read: {exc}"
            ) from exc

    @contextmanager
    def _reading(self) -> Generator[sqlite3.Connection]:
        with self._lock, translated(self._where):
            yield self._live()

    def _insert_event(self, conn: sqlite3.Connection, event: Event) -> Event:
        text, event = record_json(event, "data")
        conn.execute(_PUT_EVENT, (event.episode_id, event.seq, event.kind, text))
        if event.seq == 0:
            writer = this_writer()
            conn.execute(_PUT_WRITER, (event.episode_id, writer.host, writer.pid, writer.started))
        return event

    @contextmanager
    def _writing(self) -> Generator[sqlite3.Connection]:
        if self.read_only:
            raise StoreError(f"the session store {self._where} was opened read-only")
        with self._lock, translated(self._where):
            conn = self._live()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the session store {self._where} is closed")
        return self._conn


def _episode_row(episode: Episode) -> _EpisodeRow:
    verdict = episode.verdict
    finished = episode.timings.finished_at
    return (
        episode.id,
        episode.task.id,
        episode.task.env,
        episode.policy.name,
        episode.mode,
        None if verdict is None else int(verdict.passed),
        None if verdict is None else verdict.score,
        to_micros(episode.timings.started_at),
        None if finished is None else to_micros(finished),
        episode.format_version,
        episode_json(episode),
    )


def _summary(row: tuple[object, ...]) -> EpisodeSummary:
    episode_id, task_id, env, policy, mode, passed, score, started_us, finished_us = row
    assert isinstance(started_us, int)
    return EpisodeSummary(
        id=str(episode_id),
        task_id=str(task_id),
        env=None if env is None else str(env),
        policy=str(policy),
        mode="trial" if mode == "trial" else "direct",
        passed=None if passed is None else bool(passed),
        score=None if not isinstance(score, int | float) else float(score),
        started_at=from_micros(started_us),
        finished_at=None if not isinstance(finished_us, int) else from_micros(finished_us),
    )
