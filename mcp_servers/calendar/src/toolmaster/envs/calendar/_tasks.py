"""The task generator of the calendar environment.

Train tasks use tool version v1; test tasks alternate v1 and v2 (the drifted API), name
held-out meeting titles and durations, and have seeds of their own.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from typing import Any

from toolmaster.core import Split, Task
from toolmaster.envs.calendar._world import (
    DAY_END,
    World,
    build_world,
    day_events,
    first_free,
    hhmm,
    overlapping,
    weekdays,
)
from toolmaster.envs.kit import task

ENV_NAME = "calendar"
TASK_COUNTS: dict[Split, int] = {"train": 160, "test": 80}
SEED_BASE: dict[Split, int] = {"train": 20_000, "test": 70_000}
KINDS = ("book_first_free", "cancel", "book_at", "move", "count", "end_time", "first_start")
NEW_TITLES: dict[Split, tuple[str, ...]] = {
    "train": ("Project kickoff", "Interview", "Offsite prep", "Board prep", "Demo dry run"),
    "test": ("Tax advisor", "Quarterly review", "Onboarding chat", "Partner sync"),
}
DURATIONS: dict[Split, tuple[int, ...]] = {"train": (30, 45, 60, 90), "test": (20, 40, 50, 75)}


def date_text(day: str, rng: random.Random) -> str:
    """How a person might write `day` in a request."""
    d = date.fromisoformat(day)
    forms = (day, f"{d:%B} {d.day}, {d.year}", f"{d:%A} {d.day} {d:%B} {d.year}")
    return rng.choice(forms)


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically."""
    rng = random.Random(f"{ENV_NAME}/{split}")
    tasks: list[Task] = []
    for index in range(TASK_COUNTS[split]):
        seed = SEED_BASE[split] + index
        world = build_world(seed)
        version = "v2" if split == "test" and index % 2 else "v1"
        kind = KINDS[index % len(KINDS)]
        day = rng.choice(weekdays(seed))
        prompt, expected, params = _pose(kind, world, day, split, rng)
        params.update({"kind": kind, "version": version, "date": day})
        tasks.append(
            task(
                ENV_NAME,
                split,
                index,
                seed=seed,
                prompt=prompt,
                expected={"kind": kind, **expected},
                metadata=params,
            )
        )
    return tuple(tasks)


def _pose(
    kind: str, world: World, day: str, split: Split, rng: random.Random
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The prompt, the expected outcome and the prompt's parameters of one task."""
    if kind in ("book_first_free", "book_at"):
        return _pose_booking(kind, world, day, split, rng)
    on = date_text(day, rng)
    events = day_events(world, day)
    event = rng.choice(events)
    title = event["title"]
    if kind == "cancel":
        return f"Cancel '{title}' on {on}.", {"remove": event["id"]}, {"title": title}
    if kind == "move":
        while True:
            start = rng.randrange(8 * 60, DAY_END - event["duration"] + 1, 15)
            end = start + event["duration"]
            if start != event["start"] and overlapping(world, day, start, end, event["id"]) is None:
                break
        prompt = f"Move '{title}' on {on} so that it starts at {hhmm(start)}."
        return prompt, {"move": event["id"], "start": start}, {"title": title, "start": start}
    if kind == "count":
        return f"How many events do I have on {on}?", {"count": len(events)}, {}
    if kind == "end_time":
        end = hhmm(event["start"] + event["duration"])
        return f"When does '{title}' on {on} end?", {"time": end}, {"title": title}
    return f"What time does my first event on {on} start?", {"time": hhmm(events[0]["start"])}, {}


def _pose_booking(
    kind: str, world: World, day: str, split: Split, rng: random.Random
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    on = date_text(day, rng)
    busy = [(e["start"], e["start"] + e["duration"]) for e in day_events(world, day)]
    title = rng.choice(NEW_TITLES[split])
    duration = rng.choice(DURATIONS[split])
    if kind == "book_first_free":
        while True:
            after = rng.choice([*(s for s, _ in busy), rng.randrange(9 * 60, 15 * 60, 15)])
            start = first_free(busy, after, duration)
            if start + duration <= DAY_END:
                break
        prompt = (
            f"Book a {duration}-minute meeting called '{title}' on the first free slot at "
            f"or after {hhmm(after)} on {on}."
        )
        params: dict[str, Any] = {"title": title, "duration": duration, "after": after}
    else:
        while True:
            start = rng.randrange(8 * 60, DAY_END - duration + 1, 15)
            if overlapping(world, day, start, start + duration) is None:
                break
        prompt = f"Schedule '{title}' on {on} from {hhmm(start)} to {hhmm(start + duration)}."
        params = {"title": title, "start": start, "end": start + duration}
    add = {"title": title, "date": day, "start": start, "duration": duration}
    return prompt, {"add": add}, params
