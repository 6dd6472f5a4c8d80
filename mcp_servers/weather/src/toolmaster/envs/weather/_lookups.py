"""What the weather teacher knows in one episode and how it looks things up: city ids, the day
offset, the units, forecasts. It learns the conventions from tool results only."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast

from toolmaster.core import Mode, Task
from toolmaster.envs.kit import Notes, Returning, TeacherRun, error_text, payload
from toolmaster.envs.weather._world import KELVIN

TempUnit = Literal["C", "F"]


@dataclass
class Known:
    """What the teacher has learnt about the tools, and its notes per tool."""

    ids: dict[str, str] = field(default_factory=dict[str, str])
    """City label -> id, from find_city."""
    today: date | None = None
    offsets: bool = False
    """`day` is confirmed to be an offset from today."""
    units: dict[str, str] = field(default_factory=dict[str, str])
    """"C" / "F" -> the `units` value that gives it."""
    notes: Notes = field(default_factory=lambda: Notes(unique=True))


class Lookups(TeacherRun):
    """One scripted episode on one task: what it knows, and the lookups both phases use."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        super().__init__(task, rng, mode)
        self.known = Known()
        meta = task.metadata
        self.kind = str(meta["kind"])
        self.places = [str(p) for p in cast(list[str], meta["places"])]
        self.when = str(meta.get("when", "today"))
        self.tried_name = False

    def may(self, chance: float, needed_after: int = 0) -> bool:
        """Whether to take an optional step (a slip, an extra probe): by chance, and only if it
        fits the trial budget with `needed_after` calls still to make."""
        return self.script.spare(needed_after) and self.slip(chance)

    # ------------------------------------------------------------------ lookups

    def resolve(self, label: str, say: str | None = None, reserve: int = 0) -> Returning[str]:
        """The id of the city `label` ("Name, Region-or-Country"), via find_city (keeping
        `reserve` trial calls for what follows the lookup)."""
        if label in self.known.ids:
            return self.known.ids[label]
        name, qualifier = label.split(", ", 1)
        if not self.known.ids and self.may(0.3, reserve + 1):
            result = yield from self.script.call(
                "find_city", {"query": label}, say or f"Looking up {label}."
            )
            if not (payload(result) or {}).get("matches"):
                self.known.notes.add(
                    "find_city",
                    f"It matches the city name only: query {label!r} found nothing, "
                    f"{name!r} works.",
                )
                say = f"No match with the region in the query; searching for {name!r} alone."
        result = yield from self.script.call(
            "find_city", {"query": name}, say or f"Looking up {label}."
        )
        matches = cast(list[dict[str, Any]], (payload(result) or {}).get("matches", []))
        chosen = [m for m in matches if qualifier in (m.get("region"), m.get("country"))]
        if not chosen:
            raise RuntimeError(f"find_city did not return {label}")
        if len(matches) > 1:
            self.known.notes.add(
                "find_city",
                f"Several cities can share a name ({len(matches)} for {name!r}): pick by "
                "`region`/`country`.",
            )
        self.known.notes.add(
            "find_city",
            f"Returns {{matches: [{{id, name, region, country}}]}}; ids look like "
            f"{chosen[0]['id']!r}.",
        )
        self.known.ids[label] = str(chosen[0]["id"])
        return self.known.ids[label]

    def lookup(self, label: str) -> Returning[str]:
        """`resolve`, after (sometimes, in direct mode) first passing the name to get_forecast."""
        if label not in self.known.ids and self.mode == "direct" and not self.tried_name:
            self.tried_name = True
            if self.slip(0.35):
                name = label.split(", ", 1)[0]
                result = yield from self.script.call(
                    "get_forecast", {"city": name}, f"Getting the forecast for {label}."
                )
                return (
                    yield from self.resolve(
                        label,
                        f'That failed ("{error_text(result)}"): `city` must be a location key, not '
                        "a name. find_city should give me the key.",
                    )
                )
        return (yield from self.resolve(label))

    def offset(self, city: str) -> Returning[int]:
        """The `day` offset for the task's day phrase (learning today's date if needed)."""
        when = self.when
        if when.startswith("on "):
            target = date.fromisoformat(when[3:])
            if self.known.today is None:
                say = f"I need the forecast for {target}."
                if self.slip(0.5):
                    result = yield from self.script.call(
                        "get_forecast", {"city": city, "day": target.isoformat()}, say
                    )
                    say = (
                        f'A date is not accepted ("{error_text(result)}"). `day` is probably an '
                        "offset from today, so first let me see which date day 0 is."
                    )
                else:
                    say += " `day` looks like an offset, so first: which date is day 0?"
                result = yield from self.script.call("get_forecast", {"city": city, "day": 0}, say)
                self.known.today = date.fromisoformat(str((payload(result) or {})["date"]))
            return (target - self.known.today).days
        if when == "today":
            return 0
        if when in ("tomorrow", "the day after tomorrow"):
            return 1 if when == "tomorrow" else 2
        return int(when.split()[1])

    def day_value(self, city: str, offset: int) -> Returning[int]:
        """`offset`, after (sometimes, in direct mode) first passing the word "tomorrow"."""
        if self.mode == "direct" and not self.known.offsets and self.when == "tomorrow":
            self.known.offsets = True
            if self.slip(0.4):
                result = yield from self.script.call(
                    "get_forecast", {"city": city, "day": "tomorrow"}, "Forecast for tomorrow."
                )
                result = yield from self.script.call(
                    "get_forecast",
                    {"city": city, "day": 0},
                    f'"{error_text(result)}": `day` wants a number, probably an offset. '
                    "Checking which date day 0 is.",
                )
                self.known.today = date.fromisoformat(str((payload(result) or {})["date"]))
        return offset

    # ------------------------------------------------------------------ forecasts

    def forecast(
        self, city: str, offset: int, units: str | None = None, say: str | None = None
    ) -> Returning[dict[str, Any]]:
        arguments: dict[str, Any] = {"city": city, "day": offset}
        if units is not None:
            arguments["units"] = units
        result = yield from self.script.call("get_forecast", arguments, say)
        data = payload(result)
        if data is None:
            raise RuntimeError(f"get_forecast failed: {result.text}")
        return data

    def temperature(
        self, city: str, offset: int, field_name: str, unit: TempUnit
    ) -> Returning[float]:
        """A temperature in °C or °F, finding out how to get it if need be."""
        system = self.known.units.get(unit)
        if system is not None:
            data = yield from self.forecast(city, offset, system, f"Fetching it in °{unit}.")
            return float(data[field_name])
        if unit == "F" and "C" in self.known.units:
            data = yield from self.forecast(
                city, offset, self.known.units["C"], "Fetching it in °C."
            )
            return round(float(data[field_name]) * 9 / 5 + 32, 2)
        guess = "metric" if unit == "C" else "imperial"
        path = self.rng.choice(("omit", "name", "guess"))
        if path == "name":
            named = "celsius" if unit == "C" else "fahrenheit"
            result = yield from self.script.call(
                "get_forecast",
                {"city": city, "day": offset, "units": named},
                f"Asking for the temperature with units={named!r}.",
            )
            say = f'"{error_text(result)}". So the °{unit} system must be {guess!r}.'
            data = yield from self.forecast(city, offset, guess, say)
            return float(data[field_name])
        if path == "guess":
            data = yield from self.forecast(
                city, offset, guess, f"units={guess!r} should give °{unit}."
            )
            return float(data[field_name])
        data = yield from self.forecast(city, offset, None, "Fetching the forecast.")
        kelvin = float(data[field_name])
        if kelvin < 150:
            raise RuntimeError("expected Kelvin by default")
        celsius = kelvin - KELVIN
        return round(celsius if unit == "C" else celsius * 9 / 5 + 32, 2)
