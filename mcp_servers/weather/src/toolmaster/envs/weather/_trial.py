"""The trial phase of the weather teacher: probe each convention, slip sometimes, write notes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from toolmaster.envs.kit import Returning, Step, error_text, payload
from toolmaster.envs.weather._lookups import Lookups
from toolmaster.envs.weather._world import KELVIN


def trial(teacher: Lookups) -> Step:
    """Trial find_city and get_forecast (and the favourites when the task needs them), then call
    `finish_trial` with what was learnt. Within the trial budget: the probes the task needs are
    kept, slips and extra probes only where calls are left."""
    script, known = teacher.script, teacher.known
    label = teacher.places[0]
    name = label.split(", ", 1)[0]
    # find_city, the default forecast, day=1, metric; imperial and add_favorite when needed.
    need = Need(4 + (teacher.kind == "min_f") + (teacher.kind == "favorite"))
    say = "These weather tools are new to me; let me try them before doing the task."
    if teacher.may(0.4, need.left):
        result = yield from script.call(
            "get_forecast", {"city": name}, say + " Does it take a name?"
        )
        known.notes.add(
            "get_forecast",
            f'`city` is not a name: city={name!r} failed with "{error_text(result)}"; it takes '
            "the id from find_city.",
        )
        say = "The city argument is a key, not a name. Let me look the city up."
    city = yield from teacher.resolve(label, say, reserve=need.done())
    data = yield from _forecast(
        teacher, {"city": city}, "A forecast with only the city, to see the defaults."
    )
    need.done()
    today = date.fromisoformat(str(data["date"]))
    known.today = today
    kelvin = float(data["temp_max"])
    if kelvin > 150:
        known.notes.add(
            "get_forecast",
            f"Without `units`, temperatures are in Kelvin (temp_max {kelvin} for {label}).",
        )
    known.notes.add(
        "get_forecast",
        f"Without `day` it is today's forecast ({today}). `wind` is a string with its unit, in "
        f"knots (e.g. {data['wind']!r}). `precip_prob` is a fraction 0-1, not a percentage.",
    )
    yield from _days(teacher, city, today, need)
    yield from _units(teacher, city, kelvin, need)
    if teacher.kind == "favorite" or teacher.may(0.25, need.left):
        yield from _favorites(teacher, city, label, need)
    yield from script.finish_trial(
        known.notes.render(), "I know how these tools behave now; writing down what I learnt."
    )


class Need:
    """How many planned trial calls are still to come (slips must leave room for them)."""

    def __init__(self, left: int) -> None:
        self.left = left

    def done(self) -> int:
        """One planned call is being made now; returns how many come after it."""
        self.left = max(0, self.left - 1)
        return self.left


def _forecast(teacher: Lookups, arguments: dict[str, Any], say: str) -> Returning[dict[str, Any]]:
    result = yield from teacher.script.call("get_forecast", arguments, say)
    data = payload(result)
    if data is None:
        raise RuntimeError(f"get_forecast failed: {result.text}")
    return data


def _days(teacher: Lookups, city: str, today: date, need: Need) -> Step:
    script, known = teacher.script, teacher.known
    tomorrow = (today + timedelta(days=1)).isoformat()
    say = "What does `day` mean? Trying tomorrow's date."
    if teacher.may(0.45, need.left):
        result = yield from script.call("get_forecast", {"city": city, "day": tomorrow}, say)
        known.notes.add(
            "get_forecast",
            f'A date for `day` fails: day={tomorrow!r} gave "{error_text(result)}".',
        )
        say = "Dates are refused; maybe `day` counts days from today."
    else:
        say = "Does `day` count days from today? Trying day=1."
    data = yield from _forecast(teacher, {"city": city, "day": 1}, say)
    need.done()
    if data["date"] == tomorrow:
        known.offsets = True
        known.notes.add(
            "get_forecast",
            f"`day` is an integer offset from today: day=0 is {today}, day=1 gave {tomorrow}.",
        )
    if teacher.may(0.3, need.left):
        result = yield from script.call(
            "get_forecast", {"city": city, "day": 7}, "How far ahead does it go? Trying day=7."
        )
        if result.is_error:
            known.notes.add(
                "get_forecast",
                f'day=7 fails with "{error_text(result)}": offsets run from 0 to 6.',
            )


def _units(teacher: Lookups, city: str, kelvin: float, need: Need) -> Step:
    script, known = teacher.script, teacher.known
    say = "Now the unit systems: metric should give °C."
    if teacher.may(0.4, need.left):
        result = yield from script.call(
            "get_forecast", {"city": city, "units": "celsius"}, "Can I ask for Celsius directly?"
        )
        known.notes.add("get_forecast", f'units="celsius" fails: "{error_text(result)}".')
        say = "Only standard, metric and imperial exist; metric should be °C."
    data = yield from _forecast(teacher, {"city": city, "units": "metric"}, say)
    need.done()
    celsius = float(data["temp_max"])
    if abs(kelvin - KELVIN - celsius) < 0.1:
        known.units["C"] = "metric"
        known.notes.add(
            "get_forecast",
            f'units="metric" gives °C ({celsius} = {kelvin} K - 273.15); wind stays in knots.',
        )
    if teacher.kind == "min_f" or teacher.may(0.5, need.left):
        if teacher.kind == "min_f":
            need.done()
        data = yield from _forecast(
            teacher, {"city": city, "units": "imperial"}, "And imperial, presumably °F."
        )
        fahrenheit = float(data["temp_max"])
        if abs(celsius * 9 / 5 + 32 - fahrenheit) < 0.2:
            known.units["F"] = "imperial"
            known.notes.add("get_forecast", f'units="imperial" gives °F ({fahrenheit}).')


def _favorites(teacher: Lookups, city: str, label: str, need: Need) -> Step:
    script, known = teacher.script, teacher.known
    if teacher.kind == "favorite":
        need.done()  # the add_favorite call below is planned
    say = f"Adding {label} to the favourites as a test (trial calls are sandboxed)."
    if teacher.may(0.6, need.left + 1):
        result = yield from script.call("list_favorites", {}, "First, the favourites as they are.")
        count = len((payload(result) or {}).get("favorites", []))
        known.notes.add(
            "list_favorites", f"Returns {{favorites: [{{id, name}}]}} ({count} saved at first)."
        )
    if teacher.may(0.4, need.left + 1):
        name = label.split(", ", 1)[0]
        result = yield from script.call("add_favorite", {"city": name}, say)
        known.notes.add(
            "add_favorite",
            f'Takes the city id, not a name: city={name!r} gave "{error_text(result)}".',
        )
        say = "It needs the id."
    result = yield from script.call("add_favorite", {"city": city}, say)
    after = len((payload(result) or {}).get("favorites", []))
    known.notes.add(
        "add_favorite",
        f"add_favorite(city=<id>) appends the city and returns the whole list ({after} now).",
    )
    if teacher.may(0.5, need.left):
        yield from script.call("remove_favorite", {"city": city}, "And removing it again.")
        known.notes.add(
            "remove_favorite", "remove_favorite(city=<id>) removes it and returns the list."
        )
