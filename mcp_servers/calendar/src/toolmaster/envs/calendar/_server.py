"""The MCP server of the calendar environment, in two tool-surface versions.

v1: `create_event(title, date, time, duration)` with dates as DD/MM/YYYY and durations in
minutes (neither documented), integer ids, a terse conflict error. v2 (the drifted API):
`create_event(title, start, end)` with ISO-8601 local datetimes, `list_events(day)` answering
with other keys, ids prefixed `evt_`, `move_event(event_id, start)`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import JsonValue
from toolmaster.envs import kit
from toolmaster.envs.calendar._world import (
    EventRow,
    as_json,
    as_world,
    build_world,
    day_events,
    hhmm,
    overlapping,
)

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_ADD = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
_CHANGE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
_DMY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?")


def _day(text: str, pattern: re.Pattern[str], order: tuple[int, int, int], fmt: str) -> str:
    match = pattern.fullmatch(text.strip())
    if match is not None:
        year, month, day = (int(match.group(i)) for i in order)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            pass
    raise ToolError(f"invalid date '{text}' (expected {fmt})")


def _clock(text: str, label: str = "time") -> int:
    match = re.fullmatch(r"(\d{2}):(\d{2})", text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ToolError(f"invalid {label} '{text}' (expected HH:MM)")
    return int(match.group(1)) * 60 + int(match.group(2))


def _iso_datetime(text: str, label: str) -> tuple[str, int]:
    if re.search(r"(Z|[+-]\d{2}:?\d{2})$", text.strip()):
        raise ToolError(f"{label}: time zone offsets are not supported, use local time")
    match = _ISO_TIME.fullmatch(text.strip())
    if match is None or match.group(4) not in (None, "00"):
        raise ToolError(f"invalid {label} '{text}' (expected ISO 8601 like 2026-03-04T09:30:00)")
    day = _day(match.group(1), _ISO_DAY, (1, 2, 3), "YYYY-MM-DD")
    return day, _clock(f"{match.group(2)}:{match.group(3)}", label)


def _dmy(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


def _v1(event: EventRow) -> dict[str, Any]:
    return {
        "id": event["id"],
        "title": event["title"],
        "time": hhmm(event["start"]),
        "duration": event["duration"],
    }


def _v2(event: EventRow) -> dict[str, Any]:
    return {
        "event_id": f"evt_{event['id']}",
        "summary": event["title"],
        "start": f"{event['date']}T{hhmm(event['start'])}:00",
        "end": f"{event['date']}T{hhmm(event['start'] + event['duration'])}:00",
    }


class CalendarTools:
    """Both versions' tools over one session's JSON state."""

    def __init__(self, data: dict[str, JsonValue]) -> None:
        self._world = as_world(data)

    # ------------------------------------------------------------------ shared
    def _event(self, event_id: int) -> EventRow:
        for event in self._world["events"]:
            if event["id"] == event_id:
                return event
        raise ToolError(f"no event with id {event_id}")

    def _add(self, title: str, day: str, start: int, duration: int, conflict: str) -> EventRow:
        if start + duration > 24 * 60:
            raise ToolError("an event must end on the day it starts")
        clash = overlapping(self._world, day, start, start + duration)
        if clash is not None:
            raise ToolError(conflict.format(**_v2(clash)))
        event = EventRow(
            id=self._world["next_id"], title=title, date=day, start=start, duration=duration
        )
        self._world["next_id"] += 1
        self._world["events"].append(event)
        return event

    def _move(self, event: EventRow, day: str, start: int, conflict: str) -> None:
        if start + event["duration"] > 24 * 60:
            raise ToolError("an event must end on the day it starts")
        clash = overlapping(self._world, day, start, start + event["duration"], skip=event["id"])
        if clash is not None:
            raise ToolError(conflict.format(**_v2(clash)))
        event["date"], event["start"] = day, start

    # ------------------------------------------------------------------ v1
    def list_events_v1(self, date: str) -> CallToolResult:
        """List the events of a day.

        Args:
            date: the day.
        """
        day = _day(date, _DMY, (3, 2, 1), "DD/MM/YYYY")
        return kit.reply(
            {"date": _dmy(day), "events": [_v1(e) for e in day_events(self._world, day)]}
        )

    def create_event_v1(self, title: str, date: str, time: str, duration: int) -> CallToolResult:
        """Create an event in the calendar.

        Args:
            title: what the event is.
            date: the day of the event.
            time: when it starts.
            duration: how long it lasts.
        """
        day = _day(date, _DMY, (3, 2, 1), "DD/MM/YYYY")
        start = _clock(time)
        if duration < 1:
            raise ToolError("duration must be positive")
        event = self._add(title, day, start, duration, "time slot not available")
        span = f"{hhmm(start)}-{hhmm(start + duration)}"
        return kit.reply(
            {
                **_v1(event),
                "date": _dmy(day),
                "message": f"Created event {event['id']} '{title}' on {_dmy(day)} {span}",
            }
        )

    def delete_event_v1(self, event_id: int) -> CallToolResult:
        """Delete an event.

        Args:
            event_id: the event.
        """
        event = self._event(event_id)
        self._world["events"].remove(event)
        return kit.reply(
            {"deleted": event_id, "message": f"Deleted event {event_id} '{event['title']}'"}
        )

    def move_event_v1(self, event_id: int, date: str, time: str) -> CallToolResult:
        """Move an event to another date and time.

        Args:
            event_id: the event.
            date: the new day.
            time: the new start.
        """
        event = self._event(event_id)
        day = _day(date, _DMY, (3, 2, 1), "DD/MM/YYYY")
        self._move(event, day, _clock(time), "time slot not available")
        span = f"{hhmm(event['start'])}-{hhmm(event['start'] + event['duration'])}"
        return kit.reply(
            {
                **_v1(event),
                "date": _dmy(day),
                "message": f"Moved event {event_id} to {_dmy(day)} {span}",
            }
        )

    # ------------------------------------------------------------------ v2
    def _event_v2(self, event_id: str) -> EventRow:
        match = re.fullmatch(r"evt_(\d+)", event_id.strip())
        if match is None:
            raise ToolError(f"unknown event id '{event_id}'")
        try:
            return self._event(int(match.group(1)))
        except ToolError:
            raise ToolError(f"unknown event id '{event_id}'") from None

    def list_events_v2(self, day: str) -> CallToolResult:
        """List the events of a day.

        Args:
            day: the day.
        """
        iso = _day(day, _ISO_DAY, (1, 2, 3), "YYYY-MM-DD")
        return kit.reply({"day": iso, "items": [_v2(e) for e in day_events(self._world, iso)]})

    def create_event_v2(self, title: str, start: str, end: str) -> CallToolResult:
        """Create an event.

        Args:
            title: what the event is.
            start: when it starts.
            end: when it ends.
        """
        day, begin = _iso_datetime(start, "start")
        end_day, finish = _iso_datetime(end, "end")
        if end_day != day:
            raise ToolError("an event must end on the day it starts")
        if finish <= begin:
            raise ToolError("end must be after start")
        conflict = "conflicts with {event_id} '{summary}' ({start} to {end})"
        return kit.reply(_v2(self._add(title, day, begin, finish - begin, conflict)))

    def delete_event_v2(self, event_id: str) -> CallToolResult:
        """Cancel an event.

        Args:
            event_id: the event.
        """
        event = self._event_v2(event_id)
        self._world["events"].remove(event)
        return kit.reply({"event_id": event_id, "status": "cancelled"})

    def move_event_v2(self, event_id: str, start: str) -> CallToolResult:
        """Move an event to a new start; it keeps its length.

        Args:
            event_id: the event.
            start: the new start.
        """
        event = self._event_v2(event_id)
        day, begin = _iso_datetime(start, "start")
        self._move(event, day, begin, "conflicts with {event_id} '{summary}' ({start} to {end})")
        return kit.reply(_v2(event))


_SURFACES: dict[str, tuple[tuple[str, ToolAnnotations], ...]] = {
    version: (
        (f"list_events_{version}", _READ),
        (f"create_event_{version}", _ADD),
        (f"delete_event_{version}", _CHANGE),
        (f"move_event_{version}", _CHANGE),
    )
    for version in ("v1", "v2")
}


@cache
def _prototypes(version: str) -> tuple[tuple[str, Tool], ...]:
    """The tools' schemas per version, built once (most of the cost of a new server)."""
    blank = CalendarTools({"events": [], "next_id": 1})
    return tuple(
        (
            method,
            Tool.from_function(
                getattr(blank, method), name=method.rsplit("_", 1)[0], annotations=notes
            ),
        )
        for method, notes in _SURFACES[version]
    )


def build_server(data: dict[str, JsonValue], version: str) -> MCPServer:
    """A server of tool-surface `version` whose tools act on `data` (a session's state)."""
    tools = CalendarTools(data)
    return kit.server(
        "calendar",
        instructions="A personal calendar.",
        version="1.0.0" if version == "v1" else "2.0.0",
        tools=[
            proto.model_copy(update={"fn": getattr(tools, method)})
            for method, proto in _prototypes(version)
        ],
    )


def open_session(seed: int, version: str) -> kit.JsonSession:
    """A fresh session on the world of `seed`, served at tool-surface `version`."""
    data = as_json(build_world(seed))
    return kit.JsonSession(build_server(data, version), data, version)
