"""The weather scripted teacher (reference solver): it trials the tools, slips, recovers.

It reads the task's prompt facts from `Task.metadata` (kind, city labels, the day phrase: all
stated in the prompt) and everything else from tool results; it never looks at the state.
"""

from __future__ import annotations

import random
from typing import Any, cast

from toolmaster.core import Mode, Solver, Task
from toolmaster.envs.kit import Returning, error_text, payload, teach
from toolmaster.envs.weather._lookups import Lookups, TempUnit
from toolmaster.envs.weather._trial import trial
from toolmaster.envs.weather._world import KNOT_KMH


class Teacher(Lookups):
    """One scripted episode on one task: the trial (see `_trial`), then the task itself."""

    # ------------------------------------------------------------------ the task

    def execute(self) -> Returning[str]:
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

    def compare(self) -> Returning[str]:
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

    def warmest(self, label: str, city: str) -> Returning[str]:
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
    teacher = Teacher(task, rng, mode)
    return teach(mode, lambda: trial(teacher), teacher.execute)
