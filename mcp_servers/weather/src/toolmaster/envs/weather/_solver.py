"""The weather reference solver: a scripted teacher that trials the tools, slips, recovers.

It reads the task's prompt facts from `Task.metadata` (kind, city labels, the day phrase: all
stated in the prompt) and everything else from tool results; it never looks at the state.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast

from toolmaster.core import Mode, Solver, Task, ToolResult, Turn
from toolmaster.envs.kit import Script, error_text, payload
from toolmaster.envs.weather._trial import trial
from toolmaster.envs.weather._world import KELVIN, KNOT_KMH

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
    notes: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    def note(self, tool: str, line: str) -> None:
        lines = self.notes.setdefault(tool, [])
        if line not in lines:
            lines.append(line)

    def render(self) -> str:
        return "\n".join(f"{tool}: " + " ".join(lines) for tool, lines in self.notes.items())


class Teacher:
    """One scripted episode on one task."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        self.task = task
        self.rng = rng
        self.mode = mode
        self.script = Script(mode)
        self.known = Known()
        meta = task.metadata
        self.kind = str(meta["kind"])
        self.places = [str(p) for p in cast(list[str], meta["places"])]
        self.when = str(meta.get("when", "today"))
        self.tried_name = False

    def slip(self, chance: float) -> bool:
        """Whether to make a realistic mistake now."""
        return self.rng.random() < chance

    def may(self, chance: float, needed_after: int = 0) -> bool:
        """Whether to take an optional step (a slip, an extra probe): by chance, and only if it
        fits the trial budget with `needed_after` calls still to make."""
        return self.script.spare(needed_after) and self.slip(chance)

    def run(self) -> Solver:
        if self.mode == "trial":
            yield from trial(self)
        answer = yield from self.execute()
        yield Turn(content=answer)

    # ------------------------------------------------------------------ lookups

    def resolve(
        self, label: str, say: str | None = None, reserve: int = 0
    ) -> Generator[Turn, list[ToolResult], str]:
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
                self.known.note(
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
            self.known.note(
                "find_city",
                f"Several cities can share a name ({len(matches)} for {name!r}): pick by "
                "`region`/`country`.",
            )
        self.known.note(
            "find_city",
            f"Returns {{matches: [{{id, name, region, country}}]}}; ids look like "
            f"{chosen[0]['id']!r}.",
        )
        self.known.ids[label] = str(chosen[0]["id"])
        return self.known.ids[label]

    def lookup(self, label: str) -> Generator[Turn, list[ToolResult], str]:
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

    def offset(self, city: str) -> Generator[Turn, list[ToolResult], int]:
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

    def day_value(self, city: str, offset: int) -> Generator[Turn, list[ToolResult], int]:
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
    ) -> Generator[Turn, list[ToolResult], dict[str, Any]]:
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
    ) -> Generator[Turn, list[ToolResult], float]:
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

    # ------------------------------------------------------------------ the task

    def execute(self) -> Generator[Turn, list[ToolResult], str]:
        if self.kind in ("warmer", "favorite"):
            return (yield from self.compare())
        label = self.places[0]
        city = yield from self.lookup(label)
        if self.kind == "warmest_day":
            return (yield from self.warmest(label, city))
        offset = yield from self.offset(city)
        offset = yield from self.day_value(city, offset)
        when = self.when
        if self.kind in ("max_c", "min_f"):
            unit: TempUnit = "C" if self.kind == "max_c" else "F"
            field_name = "temp_max" if unit == "C" else "temp_min"
            value = yield from self.temperature(city, offset, field_name, unit)
            which = "maximum" if unit == "C" else "minimum"
            return f"The {which} temperature in {label} {when} will be {value:.1f} °{unit}."
        data = yield from self.forecast(city, offset, None, f"Fetching the forecast for {label}.")
        if self.kind == "wind_kmh":
            speed, _, wind_unit = str(data["wind"]).partition(" ")
            kmh = float(speed) * KNOT_KMH if wind_unit.startswith("kn") else float(speed)
            return f"Wind in {label} {when}: about {kmh:.1f} km/h ({data['wind']})."
        chance = float(data["precip_prob"]) * 100
        return f"The chance of precipitation in {label} {when} is {chance:.0f}%."

    def compare(self) -> Generator[Turn, list[ToolResult], str]:
        first = yield from self.lookup(self.places[0])
        second = yield from self.lookup(self.places[1])
        cities = [first, second]
        offset = yield from self.offset(cities[0])
        units = self.known.units.get("C")
        args: list[dict[str, Any]] = [{"city": c, "day": offset} for c in cities]
        if units:
            for a in args:
                a["units"] = units
        results = yield from self.script.calls(
            [("get_forecast", a) for a in args], "Fetching both forecasts."
        )
        highs = [float((payload(r) or {})["temp_max"]) for r in results]
        win = 0 if highs[0] > highs[1] else 1
        winner, label = cities[win], self.places[win]
        if self.kind == "warmer":
            unit = " °C" if units else " K" if highs[0] > 150 else ""
            return (
                f"{label} will be warmer {self.when} "
                f"(max {highs[win]}{unit} vs {highs[1 - win]}{unit})."
            )
        if self.mode == "direct" and self.slip(0.3):
            result = yield from self.script.call(
                "add_favorite", {"city": label.split(", ")[0]}, f"Adding {label} to favourites."
            )
            say = f'"{error_text(result)}": it needs the city id as well.'
        else:
            say = f"{label} is warmer; adding it to the favourites."
        result = yield from self.script.call("add_favorite", {"city": winner}, say)
        listed = [f["id"] for f in (payload(result) or {}).get("favorites", [])]
        if winner not in listed:
            raise RuntimeError("add_favorite did not add the city")
        return f"Added {label} to your favourite cities: it will be warmer {self.when}."

    def warmest(self, label: str, city: str) -> Generator[Turn, list[ToolResult], str]:
        days = int(cast(int, self.task.metadata["days"]))
        results = yield from self.script.calls(
            [("get_forecast", {"city": city, "day": d}) for d in range(days)],
            f"Fetching the next {days} days for {label}.",
        )
        forecasts = [payload(r) or {} for r in results]
        best = max(forecasts, key=lambda f: float(f["temp_max"]))
        return f"The warmest of the next {days} days in {label} will be {best['date']}."


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """The reference solver for a weather task (see `Environment.solve`)."""
    return Teacher(task, rng, mode).run()
