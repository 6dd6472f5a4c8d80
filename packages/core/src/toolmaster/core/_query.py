"""Which episodes to read from the store, and the one-row summary of an episode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from toolmaster.core._episode import Mode
from toolmaster.core._errors import UserError

VerdictFilter = Literal["passed", "failed", "unjudged"]
"""`passed` / `failed`: judged episodes by their verdict; `unjudged`: episodes with no verdict."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    """The UTC datetime `micros` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True, kw_only=True)
class EpisodeQuery:
    """A filter over stored episodes. Every field left at `None` matches everything.

    Results come newest first (by `timings.started_at`, then by id, so the order never depends
    on the order of insertion).
    """

    task: str | None = None
    """Task id."""
    env: str | None = None
    """The task's environment."""
    policy: str | None = None
    """`PolicyInfo.name`."""
    mode: Mode | None = None
    verdict: VerdictFilter | None = None
    since: datetime | None = None
    """Episodes started at or after this moment (naive: UTC)."""
    until: datetime | None = None
    """Episodes started before this moment (naive: UTC)."""
    limit: int | None = None
    """At most this many episodes; `None`: all."""
    offset: int = 0
    """Skip this many matching episodes first (paging)."""

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 0:
            raise UserError(f"limit must be 0 or more, not {self.limit}")
        if self.offset < 0:
            raise UserError(f"offset must be 0 or more, not {self.offset}")


def where_clause(query: EpisodeQuery) -> tuple[str, list[object]]:
    """The SQL `WHERE` clause of `query` (empty when nothing is filtered) and its parameters."""
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (
        ("task_id", query.task),
        ("env", query.env),
        ("policy", query.policy),
        ("mode", query.mode),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.verdict == "passed":
        clauses.append("passed = 1")
    elif query.verdict == "failed":
        clauses.append("passed = 0")
    elif query.verdict == "unjudged":
        clauses.append("passed IS NULL")
    if query.since is not None:
        clauses.append("started_us >= ?")
        params.append(to_micros(query.since))
    if query.until is not None:
        clauses.append("started_us < ?")
        params.append(to_micros(query.until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def page_clause(query: EpisodeQuery) -> tuple[str, list[object]]:
    """The `ORDER BY ... LIMIT ... OFFSET ...` tail of `query` and its parameters."""
    limit = -1 if query.limit is None else query.limit
    return " ORDER BY started_us DESC, id DESC LIMIT ? OFFSET ?", [limit, query.offset]


@dataclass(frozen=True)
class EpisodeSummary:
    """The indexed columns of one stored episode: enough for a listing, without parsing it."""

    id: str
    task_id: str
    env: str | None
    policy: str
    """`PolicyInfo.name`."""
    mode: Mode
    passed: bool | None
    """`None`: not judged."""
    score: float | None
    started_at: datetime
    finished_at: datetime | None

    @property
    def verdict(self) -> VerdictFilter:
        if self.passed is None:
            return "unjudged"
        return "passed" if self.passed else "failed"

    @property
    def wall_s(self) -> float | None:
        """Seconds from start to finish, if the episode finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
