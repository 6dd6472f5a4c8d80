"""The verifier of the calendar environment.

Changes are judged on the final state alone: it must equal the task's initial calendar (rebuilt
from its seed) with exactly the asked change, compared as (title, date, start, duration) with
ids ignored. Questions must leave the calendar untouched and answer right: counts as the first
number, times in any common notation (`14:45`, `2:45 pm`, `14h45`), at most two times named.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs import kit
from toolmaster.envs.calendar._world import EventRow, as_world, build_world

Key = tuple[str, str, int, int]


def _key(event: EventRow) -> Key:
    return (
        " ".join(event["title"].lower().split()),
        event["date"],
        event["start"],
        event["duration"],
    )


def times_in(text: str) -> list[int]:
    """Every clock time mentioned in `text`, as minutes after midnight, in order."""
    found: list[int] = []
    pattern = r"\b(\d{1,2})(?:[:h.](\d{2}))?(?:\s*([ap])\.?m\b)?"
    for match in re.finditer(pattern, text.lower()):
        hours, minutes, half = match.group(1), match.group(2), match.group(3)
        if minutes is None and half is None:
            continue
        value = int(hours) % 12 + (12 if half == "p" else 0) if half else int(hours)
        if value < 24 and int(minutes or 0) < 60:
            found.append(value * 60 + int(minutes or 0))
    return found


def first_number(text: str) -> int | None:
    """The first whole number in `text` (digits, or a word up to nine)."""
    return kit.first_number(text, up_to=9)


def expected_events(task: Task) -> Counter[Key]:
    """The calendar the task should end with."""
    keys = Counter(_key(e) for e in build_world(task.seed or 0)["events"])
    want = task.expected
    added = want.get("add")
    if isinstance(added, dict):
        title, day = str(added["title"]), str(added["date"])
        start, duration = int(str(added["start"])), int(str(added["duration"]))
        keys[(" ".join(title.lower().split()), day, start, duration)] += 1
    for event in build_world(task.seed or 0)["events"]:
        if event["id"] == want.get("remove"):
            keys[_key(event)] -= 1
        if event["id"] == want.get("move"):
            keys[_key(event)] -= 1
            keys[_key({**event, "start": int(str(want["start"]))})] += 1
    return +keys


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge the final calendar `state` and, for questions, the `answer`."""
    got = Counter(_key(e) for e in as_world(state)["events"])
    want = expected_events(task)
    reasons: list[str] = []
    if got != want:
        missing, extra = want - got, got - want
        reasons.append(f"calendar differs: missing {sorted(missing)}, unexpected {sorted(extra)}")
    kind = task.expected["kind"]
    text = answer or ""
    if kind == "count":
        number = first_number(text)
        if number != task.expected["count"]:
            reasons.append(f"expected {task.expected['count']} events, answer says {number}")
    elif kind in ("end_time", "first_start"):
        hours, minutes = str(task.expected["time"]).split(":")
        target = int(hours) * 60 + int(minutes)
        named = set(times_in(text))
        if target not in named or len(named) > 2:
            reasons.append(f"expected the time {task.expected['time']} in the answer")
    if reasons:
        return Verdict(score=0.0, passed=False, reasons=reasons)
    return Verdict(score=1.0, passed=True)
