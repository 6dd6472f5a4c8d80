"""How the scripted teacher speaks each tool version: the arguments it sends and how it reads
what comes back. It only ever reads tool outputs, never the state behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from toolmaster.envs.calendar._world import hhmm


@dataclass(frozen=True)
class Seen:
    """An event as a tool output showed it."""

    ref: int | str
    """The id as the tools want it back (`12` in v1, `evt_12` in v2)."""
    title: str
    start: int
    end: int


def minutes(clock: str) -> int:
    """Minutes after midnight of `HH:MM` (or of the time part of an ISO datetime)."""
    clock = clock.rsplit("T", maxsplit=1)[-1]
    hours, mins = clock.split(":")[:2]
    return int(hours) * 60 + int(mins)


def dmy(day: str) -> str:
    """`04/03/2026` for `2026-03-04`."""
    return date.fromisoformat(day).strftime("%d/%m/%Y")


class V1:
    """`list_events(date)`, `create_event(title, date, time, duration)`: DD/MM/YYYY, minutes."""

    version = "v1"

    def list_args(self, day: str) -> dict[str, Any]:
        return {"date": dmy(day)}

    def events(self, payload: dict[str, Any]) -> list[Seen]:
        return [
            Seen(e["id"], e["title"], minutes(e["time"]), minutes(e["time"]) + e["duration"])
            for e in payload["events"]
        ]

    def create_args(self, title: str, day: str, start: int, end: int) -> dict[str, Any]:
        return {"title": title, "date": dmy(day), "time": hhmm(start), "duration": end - start}

    def created(self, payload: dict[str, Any]) -> Seen:
        start = minutes(payload["time"])
        return Seen(payload["id"], payload["title"], start, start + payload["duration"])

    def move_args(self, ref: int | str, day: str, start: int) -> dict[str, Any]:
        return {"event_id": ref, "date": dmy(day), "time": hhmm(start)}

    def delete_args(self, ref: int | str) -> dict[str, Any]:
        return {"event_id": ref}


class V2:
    """`list_events(day)`, `create_event(title, start, end)`: ISO 8601, ids `evt_N`."""

    version = "v2"

    def list_args(self, day: str) -> dict[str, Any]:
        return {"day": day}

    def events(self, payload: dict[str, Any]) -> list[Seen]:
        return [
            Seen(e["event_id"], e["summary"], minutes(e["start"]), minutes(e["end"]))
            for e in payload["items"]
        ]

    def create_args(self, title: str, day: str, start: int, end: int) -> dict[str, Any]:
        return {"title": title, "start": f"{day}T{hhmm(start)}:00", "end": f"{day}T{hhmm(end)}:00"}

    def created(self, payload: dict[str, Any]) -> Seen:
        return Seen(
            payload["event_id"],
            payload["summary"],
            minutes(payload["start"]),
            minutes(payload["end"]),
        )

    def move_args(self, ref: int | str, day: str, start: int) -> dict[str, Any]:
        return {"event_id": ref, "start": f"{day}T{hhmm(start)}:00"}

    def delete_args(self, ref: int | str) -> dict[str, Any]:
        return {"event_id": ref}


Dialect = V1 | V2
