"""The weather verifier: tolerant reading of numbers, units, dates and city names in free text,
and a check of the favourites for the task that changes state."""

from __future__ import annotations

import re
from typing import cast

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs.weather._world import as_state

TOLERANCE = 0.5

_UNIT_WORDS: tuple[tuple[str, str], ...] = (
    (r"°\s*c|º\s*c|degrees?\s+c(?:elsius)?\b|celsius|c\b", "C"),
    (r"°\s*f|º\s*f|degrees?\s+f(?:ahrenheit)?\b|fahrenheit|f\b", "F"),
    (r"kelvin|k\b", "K"),
    (r"km\s*/\s*h|kph\b|kmh\b|kilomet(?:er|re)s?\s+(?:per|an|/)\s*hour", "kmh"),
    (r"knots?\b|kn\b|kts?\b", "kn"),
    (r"mph\b|miles", "mph"),
    (r"m\s*/\s*s\b|meters?\s+per\s+second|metres?\s+per\s+second", "ms"),
    (r"%|percent\b|per\s*cent\b", "pct"),
    (r"days?\b", "day"),
    (r"degrees?\b|°", "deg"),
)
_MINUS = "\u2212"
_NUMBER = re.compile(r"(?<![\w.])([-\u2212]?\d+(?:[.,]\d+)?)")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def read_quantities(text: str) -> list[tuple[float, str | None]]:
    """Every number in `text` with the unit written after it (canonical name, or None).

    Dates (YYYY-MM-DD) are not numbers; a decimal comma is read as a point.
    """
    text = _ISO_DATE.sub(" ", text)
    found: list[tuple[float, str | None]] = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(_MINUS, "-").replace(",", "."))
        tail = text[match.end() : match.end() + 40].lstrip().lower()
        unit = next((name for pattern, name in _UNIT_WORDS if re.match(pattern, tail)), None)
        found.append((value, unit))
    return found


def pick_number(text: str, unit: str) -> float | None:
    """The number an answer gives in `unit`: the first one written with that unit, else the
    first one written with no unit (or just "degrees" for a temperature)."""
    quantities = read_quantities(text)
    for value, found in quantities:
        if found == unit:
            return value
    bare = {None, "deg"} if unit in ("C", "F") else {None}
    for value, found in quantities:
        if found in bare:
            return value
    return None


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge a weather task: numbers within ±0.5, the right city or date, the right favourites."""
    expected = task.expected
    kind = expected["kind"]
    text = answer or ""
    if kind in ("max_c", "min_f", "wind_kmh", "rain_pct"):
        return _number(text, float(cast(float, expected["value"])), str(expected["unit"]))
    if kind == "warmer":
        return _city(text, str(expected["winner"]), str(expected["loser"]))
    if kind == "warmest_day":
        return _date(text, str(expected["date"]))
    return _favorites(state, cast(list[str], expected["favorites"]))


def _number(text: str, expected: float, unit: str) -> Verdict:
    got = pick_number(text, unit)
    if got is None:
        return Verdict(
            score=0.0, passed=False, reasons=[f"no number in {unit} found in the answer"]
        )
    if abs(got - expected) <= TOLERANCE:
        return Verdict(score=1.0, passed=True, reasons=[f"{got} {unit} is within ±{TOLERANCE}"])
    return Verdict(
        score=0.0, passed=False, reasons=[f"answered {got} {unit}, expected {expected} {unit}"]
    )


def _city(text: str, winner: str, loser: str) -> Verdict:
    lowered = text.casefold()
    spots = {name: lowered.find(name.casefold()) for name in (winner, loser)}
    named = [name for name, at in sorted(spots.items(), key=lambda kv: kv[1]) if at >= 0]
    if not named:
        return Verdict(score=0.0, passed=False, reasons=["the answer names neither city"])
    if named[0] == winner:
        why = "names the warmer city" + (" first" if len(named) == 2 else "")
        return Verdict(score=1.0, passed=True, reasons=[why])
    return Verdict(score=0.0, passed=False, reasons=[f"answered {loser}, expected {winner}"])


def _date(text: str, expected: str) -> Verdict:
    match = _ISO_DATE.search(text)
    if match is None:
        return Verdict(score=0.0, passed=False, reasons=["no YYYY-MM-DD date in the answer"])
    if match.group(0) == expected:
        return Verdict(score=1.0, passed=True, reasons=[f"{expected} is the warmest day"])
    return Verdict(
        score=0.0, passed=False, reasons=[f"answered {match.group(0)}, expected {expected}"]
    )


def _favorites(data: dict[str, JsonValue], expected: list[str]) -> Verdict:
    got = as_state(data)["favorites"]
    if got == expected:
        return Verdict(score=1.0, passed=True, reasons=["favourites are exactly as expected"])
    reasons: list[str] = []
    if missing := [c for c in expected if c not in got]:
        reasons.append(f"missing from favourites: {', '.join(missing)}")
    if extra := [c for c in got if c not in expected]:
        reasons.append(f"unexpected favourites: {', '.join(extra)}")
    if not reasons:
        reasons.append("favourites are right but in another order")
        return Verdict(score=1.0, passed=True, reasons=reasons)
    return Verdict(score=0.0, passed=False, reasons=reasons)
