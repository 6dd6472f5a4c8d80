"""Tolerant reading of answers: numbers written in digits or words, and verdicts."""

from __future__ import annotations

import re

from toolmaster.core import Verdict

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
"""Number words an answer may use instead of digits."""

_TOKEN = re.compile(r"[a-z]+|\d+")


def first_number(text: str, up_to: int = 12) -> int | None:
    """The first whole number in `text`, in digits or as a word up to `up_to` (at most twelve)."""
    for token in _TOKEN.findall(text.lower()):
        if token.isdigit():
            return int(token)
        value = NUMBER_WORDS.get(token)
        if value is not None and value <= up_to:
            return value
    return None


def last_number(text: str, pattern: re.Pattern[str]) -> float | None:
    """The last match of `pattern` in `text` as a number (`1,234.50` -> 1234.5), or None."""
    found = pattern.findall(text)
    if not found:
        return None
    return float(found[-1].replace(",", ""))


def fail(*reasons: str) -> Verdict:
    """A failing verdict."""
    return Verdict(score=0.0, passed=False, reasons=list(reasons))


def success(*reasons: str) -> Verdict:
    """A passing verdict."""
    return Verdict(score=1.0, passed=True, reasons=list(reasons))
