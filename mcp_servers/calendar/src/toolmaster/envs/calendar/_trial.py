"""The trial phase of the calendar teacher: probe the tools on the task's day (in the sandbox)
and write down what they turned out to mean."""

from __future__ import annotations

import random
from typing import Any

from toolmaster.envs.calendar._dialect import V1, Dialect, Seen, dmy
from toolmaster.envs.calendar._world import first_free, hhmm
from toolmaster.envs.kit import Notes, Script, Step, error_of, fields


def trial(script: Script, dialect: Dialect, day: str, rng: random.Random, notes: Notes) -> Step:
    """Probe list, create (with a typical mistake), conflicts, move and delete on `day`."""
    events = yield from _trial_list(script, dialect, day, rng, notes)
    busy = [(e.start, e.end) for e in events]
    slot = first_free(busy, 8 * 60, 60)
    probe = yield from _trial_create(script, dialect, day, slot, rng=rng, notes=notes)
    if events and rng.random() < 0.6 and script.spare(1):
        clash = events[0]
        args = dialect.create_args("Trial clash", day, clash.start, clash.start + 30)
        result = yield from script.call("create_event", args, say="What happens on a clash?")
        notes.add(
            "create_event",
            f'an overlapping event is refused: "{error_of(result)}" (check the day first).',
        )
    if rng.random() < 0.5 and script.spare(1):
        later = first_free([*busy, (probe.start, probe.end)], probe.end, probe.end - probe.start)
        moved = yield from script.call("move_event", dialect.move_args(probe.ref, day, later))
        seen = dialect.created(fields(moved))
        how = (
            "(event_id, date DD/MM/YYYY, time HH:MM)"
            if dialect.version == "v1"
            else ("(event_id, start ISO datetime)")
        )
        notes.add(
            "move_event",
            f"move_event{how} keeps the length: moving to {hhmm(later)} gave "
            f"{hhmm(seen.start)}-{hhmm(seen.end)}.",
        )
    yield from _trial_delete(script, dialect, probe, rng, notes)


def _trial_list(
    script: Script, dialect: Dialect, day: str, rng: random.Random, notes: Notes
) -> Step:
    if dialect.version == "v1":
        wrong = {"date": day}
    else:
        wrong = {"day": dmy(day)} if rng.random() < 0.5 else None
    if wrong is not None:
        result = yield from script.call("list_events", wrong, say="Let me look at that day.")
        notes.add("list_events", f'{wrong} fails: "{error_of(result)}".')
    listing = fields((yield from script.call("list_events", dialect.list_args(day))))
    events = dialect.events(listing)
    if dialect.version == "v1":
        notes.add(
            "list_events",
            f"list_events(date='{dmy(day)}') works (dates are DD/MM/YYYY); each event has an "
            "integer id, title, time (HH:MM start) and duration, no end time.",
        )
    else:
        notes.add(
            "list_events",
            f"list_events(day='{day}') works (YYYY-MM-DD); the events are under 'items', each "
            "with event_id like 'evt_12', summary (the title), start and end as ISO datetimes.",
        )
    return events


def _trial_create(
    script: Script, dialect: Dialect, day: str, slot: int, *, rng: random.Random, notes: Notes
) -> Step:
    good = dialect.create_args("Trial probe", day, slot, slot + 30)
    if isinstance(dialect, V1):
        mistake = rng.choice(("hours", "text", "iso"))
        if mistake == "hours":
            trial_args = {**good, "duration": 1}
            first = yield from script.call("create_event", trial_args, say="Is duration in hours?")
            seen = dialect.created(fields(first))
            notes.add(
                "create_event",
                f"duration is in minutes, not hours: duration=1 made {fields(first)['message']!r} "
                f"({hhmm(seen.start)}-{hhmm(seen.end)}, one minute).",
            )
            return seen
        bad = {**good, "duration": "30 minutes"} if mistake == "text" else {**good, "date": day}
        failed = yield from script.call("create_event", bad, say="Trying a probe event.")
        notes.add("create_event", f'{bad} fails: "{error_of(failed)}".')
        created = yield from script.call("create_event", good)
        notes.add(
            "create_event",
            f"create_event(title, date DD/MM/YYYY, time HH:MM, duration=30) made "
            f"{fields(created)['message']!r}: duration is an integer number of minutes.",
        )
        return dialect.created(fields(created))
    mistake = rng.choice(("space", "zone", "duration"))
    if mistake == "space":
        bad: dict[str, Any] = {**good, "start": good["start"].replace("T", " ")}
    elif mistake == "zone":
        bad = {**good, "start": good["start"] + "Z", "end": good["end"] + "Z"}
    else:
        bad = {"title": good["title"], "start": good["start"], "duration": 30}
    failed = yield from script.call("create_event", bad, say="Trying a probe event.")
    notes.add("create_event", f'{bad} fails: "{error_of(failed)}".')
    created = yield from script.call("create_event", good)
    notes.add(
        "create_event",
        f"create_event(title, start='{good['start']}', end='{good['end']}') works: start and end "
        f"are local ISO datetimes with a 'T'; the answer gives event_id "
        f"'{fields(created)['event_id']}'.",
    )
    return dialect.created(fields(created))


def _trial_delete(
    script: Script, dialect: Dialect, probe: Seen, rng: random.Random, notes: Notes
) -> Step:
    if dialect.version == "v2" and rng.random() < 0.5 and script.spare(1):
        bare = str(probe.ref).removeprefix("evt_")
        failed = yield from script.call("delete_event", {"event_id": bare})
        notes.add("delete_event", f"a bare number ('{bare}') fails: \"{error_of(failed)}\".")
    elif rng.random() < 0.3 and script.spare(1):
        unknown = 999_999 if dialect.version == "v1" else "evt_999999"
        failed = yield from script.call("delete_event", dialect.delete_args(unknown))
        notes.add("delete_event", f'an unknown id fails: "{error_of(failed)}".')
    done = yield from script.call(
        "delete_event", dialect.delete_args(probe.ref), say="Cleaning up the probe."
    )
    notes.add(
        "delete_event",
        f"delete_event(event_id={probe.ref!r}) removes the event and answers {fields(done)}.",
    )
