"""The scripted teacher (reference solver) of the calendar environment.

Trial mode probes the tools first (see `_trial`); both modes then execute. In direct mode the
teacher makes the mistakes a model without trials makes (an ISO date where v1 wants
DD/MM/YYYY, a duration in hours, a bare id in v2, a space in an ISO datetime, booking straight
into a conflict) and corrects them from what the tools answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from toolmaster.core import Mode, Solver, Task, Turn
from toolmaster.envs.calendar._dialect import V1, V2, Dialect, Seen
from toolmaster.envs.calendar._trial import trial
from toolmaster.envs.calendar._world import first_free, hhmm
from toolmaster.envs.kit import Notes, Script, Step, error_of, fields


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """Trial (in `trial` mode), then execute `task` and answer."""
    script = Script(mode)
    dialect: Dialect = V2() if task.metadata.get("version") == "v2" else V1()
    if mode == "trial":
        notes = Notes()
        yield from trial(script, dialect, str(task.metadata["date"]), rng, notes)
        yield from script.finish_trial(
            notes.render("What I learnt about the calendar tools:", bullet="- "),
            say="Trial done; executing.",
        )
    run = _Run(script, dialect, rng, careful=mode == "trial")
    answer = yield from run.execute(task)
    yield Turn(content=answer)


@dataclass
class _Run:
    """One execution: `careful` after a trial; otherwise formats are learnt from errors."""

    script: Script
    dialect: Dialect
    rng: random.Random
    careful: bool

    def __post_init__(self) -> None:
        self.date_format_known = self.careful or isinstance(self.dialect, V2)

    def dated(self, tool: str, good: dict[str, Any], say: str | None = None) -> Step:
        """Call a v1 tool that takes a date: with an ISO date first until the error tells the
        format, then as the error says."""
        if not self.date_format_known:
            self.date_format_known = True
            iso = {**good, "date": _iso_of(good["date"])}
            failed = yield from self.script.call(tool, iso, say=say)
            if not failed.is_error:
                return failed
            say = f'"{error_of(failed)}" - using that format.'
        return (yield from self.script.call(tool, good, say=say))

    def execute(self, task: Task) -> Step:
        meta = task.metadata
        kind, day = meta["kind"], str(meta["date"])
        if kind in ("book_first_free", "book_at"):
            return (yield from self.book(task))
        events = yield from self.events(day)
        if kind == "count":
            return f"You have {len(events)} events on {day}."
        if kind == "first_start":
            first = min(events, key=lambda e: e.start)
            return f"Your first event that day, '{first.title}', starts at {hhmm(first.start)}."
        event = next(e for e in events if e.title == meta["title"])
        if kind == "end_time":
            return f"'{event.title}' ends at {hhmm(event.end)}."
        if kind == "cancel":
            yield from self.delete(event)
            return f"Cancelled '{event.title}' on {day}."
        args = self.dialect.move_args(event.ref, day, int(str(meta["start"])))
        moved = yield from (
            self.dated("move_event", args)
            if "date" in args
            else self.script.call("move_event", args)
        )
        seen = self.dialect.created(fields(moved))
        return f"Moved '{event.title}' to {hhmm(seen.start)}-{hhmm(seen.end)} on {day}."

    def events(self, day: str) -> Step:
        """The day's events."""
        args = self.dialect.list_args(day)
        if "date" in args:
            listing = yield from self.dated("list_events", args, say="Let me look at that day.")
        else:
            listing = yield from self.script.call(
                "list_events", args, say="Let me look at that day."
            )
        return self.dialect.events(fields(listing))

    def delete(self, event: Seen) -> Step:
        say = None
        if isinstance(self.dialect, V2) and not self.careful and self.rng.random() < 0.4:
            bare = str(event.ref).removeprefix("evt_")
            failed = yield from self.script.call("delete_event", {"event_id": bare})
            say = f'"{error_of(failed)}" - the id needs its evt_ prefix.'
        yield from self.script.call("delete_event", self.dialect.delete_args(event.ref), say=say)

    def book(self, task: Task) -> Step:
        meta = task.metadata
        day, title = str(meta["date"]), str(meta["title"])
        if meta["kind"] == "book_at":
            seen = yield from self.create(
                title, day, int(str(meta["start"])), int(str(meta["end"]))
            )
            return f"Booked '{title}' on {day} from {hhmm(seen.start)} to {hhmm(seen.end)}."
        duration, after = int(str(meta["duration"])), int(str(meta["after"]))
        if not self.careful and self.rng.random() < 0.35:
            args = self.dialect.create_args(title, day, after, after + duration)
            say = f"Trying {hhmm(after)} directly."
            naive = yield from (
                self.dated("create_event", args, say)
                if "date" in args
                else self.script.call("create_event", args, say=say)
            )
            if not naive.is_error:
                seen = self.dialect.created(fields(naive))
                return f"Booked '{title}' on {day} from {hhmm(seen.start)} to {hhmm(seen.end)}."
        events = yield from self.events(day)
        start = first_free([(e.start, e.end) for e in events], after, duration)
        seen = yield from self.create(title, day, start, start + duration)
        return f"Booked '{title}' on {day} from {hhmm(seen.start)} to {hhmm(seen.end)}."

    def create(self, title: str, day: str, start: int, end: int) -> Step:
        """Create the event; when not careful, sometimes first with a typical mistake."""
        good = self.dialect.create_args(title, day, start, end)
        say = None
        if not self.careful and self.rng.random() < 0.35:
            if isinstance(self.dialect, V1):
                hours = (end - start) / 60
                bad: dict[str, Any] = {
                    **good,
                    "duration": int(hours) if hours.is_integer() else hours,
                }
                first = yield from self.dated("create_event", bad)
            else:
                space = {k: v.replace("T", " ") for k, v in good.items() if k in ("start", "end")}
                first = yield from self.script.call("create_event", {**good, **space})
            if first.is_error:
                say = f'"{error_of(first)}" - fixing the arguments.'
            else:
                wrong = self.dialect.created(fields(first))
                if (wrong.start, wrong.end) == (start, end):
                    return wrong
                say = (
                    f"That made {hhmm(wrong.start)}-{hhmm(wrong.end)}: duration must be in "
                    "minutes. Removing it and booking again."
                )
                yield from self.script.call(
                    "delete_event", self.dialect.delete_args(wrong.ref), say=say
                )
                say = None
        created = yield from (
            self.dated("create_event", good, say)
            if "date" in good
            else self.script.call("create_event", good, say=say)
        )
        return self.dialect.created(fields(created))


def _iso_of(dmy: str) -> str:
    day, month, year = dmy.split("/")
    return f"{year}-{month}-{day}"
