"""The seeded state of a calendar, and the time arithmetic every part shares.

Internally a day is an ISO date (`2026-03-04`) and a time is minutes after midnight; the tool
versions only differ in how they show and parse them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TypedDict, cast

from pydantic import JsonValue

FIRST_MONDAY = date(2026, 3, 2)
DAY_START = 8 * 60
DAY_END = 18 * 60
"""Seeded events lie within working hours, 08:00 to 18:00."""

TITLES = (
    "Standup", "Design review", "Budget sync", "Lunch with Sam", "1:1 with Dana", "Team retro",
    "Hiring panel", "Client call", "Dentist", "Gym", "Roadmap planning", "Vendor demo",
    "Coffee with Lee", "Sprint planning", "All hands", "Security training",
)  # fmt: skip


class EventRow(TypedDict):
    id: int
    title: str
    date: str
    start: int
    duration: int


class World(TypedDict):
    events: list[EventRow]
    next_id: int


def hhmm(minutes: int) -> str:
    """`14:05` for 845."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekdays(seed: int) -> list[str]:
    """The ten weekdays (two weeks from a Monday) a world of `seed` has events on."""
    monday = FIRST_MONDAY + timedelta(weeks=seed % 20)
    days = [monday + timedelta(days=d) for d in range(12)]
    return [d.isoformat() for d in days if d.weekday() < 5]


def build_world(seed: int) -> World:
    """Two to four non-overlapping events on each of ten weekdays, with unique titles per day."""
    rng = random.Random(seed)
    events: list[EventRow] = []
    next_id = rng.randint(10, 60)
    for day in weekdays(seed):
        titles = rng.sample(TITLES, 4)
        busy: list[tuple[int, int]] = []
        for title in titles[: rng.randint(2, 4)]:
            duration = rng.choice((30, 30, 45, 60, 90))
            for _ in range(20):
                start = rng.randrange(DAY_START, DAY_END - duration + 1, 15)
                if all(start + duration <= s or e <= start for s, e in busy):
                    busy.append((start, start + duration))
                    events.append(
                        EventRow(id=next_id, title=title, date=day, start=start, duration=duration)
                    )
                    next_id += rng.randint(1, 3)
                    break
    return World(events=events, next_id=next_id)


def day_events(world: World, day: str) -> list[EventRow]:
    """The events of `day`, by start time."""
    return sorted((e for e in world["events"] if e["date"] == day), key=lambda e: e["start"])


def overlapping(
    world: World, day: str, start: int, end: int, skip: int | None = None
) -> EventRow | None:
    """The first event of `day` overlapping `[start, end)`, other than the one with id `skip`."""
    for event in day_events(world, day):
        if (
            event["id"] != skip
            and event["start"] < end
            and start < event["start"] + event["duration"]
        ):
            return event
    return None


def first_free(busy: list[tuple[int, int]], after: int, duration: int) -> int:
    """The earliest start at or after `after` where `duration` minutes fit between `busy` spans."""
    candidates = sorted({after, *(end for _, end in busy if end >= after)})
    for start in candidates:
        if all(start + duration <= s or e <= start for s, e in busy):
            return start
    raise ValueError("no free slot")  # unreachable: the last end is always free


def as_json(world: World) -> dict[str, JsonValue]:
    """The world as the JSON object a `JsonSession` holds."""
    return cast(dict[str, JsonValue], world)


def as_world(data: dict[str, JsonValue]) -> World:
    """A session's (or verifier state's) JSON object read as a world."""
    return cast(World, data)
