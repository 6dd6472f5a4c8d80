"""The verifier of the jokes environment: judges the answer against the catalogue in the state.

Parsing is tolerant: joke texts are compared with case, punctuation, quotes and whitespace
ignored; ids are found anywhere in the answer; numbers may be digits or words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs import kit
from toolmaster.envs.jokes._world import JokeRow, as_world


def normalize(text: str) -> str:
    """Lower case, curly quotes straightened, everything but letters and digits a single space."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(re.findall(r"[a-z0-9]+", text.replace("'", "")))


def quoted(answer: str, jokes: list[JokeRow]) -> list[JokeRow]:
    """The jokes whose full text occurs in `answer`."""
    haystack = f" {normalize(answer)} "
    return [j for j in jokes if f" {normalize(j['text'])} " in haystack]


def first_number(answer: str) -> int | None:
    """The first whole number in `answer`, written in digits or as a word up to twelve."""
    return kit.first_number(answer, up_to=12)


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge `answer` for `task` against the catalogue in `state`."""
    if not answer:
        return Verdict(score=0.0, passed=False, reasons=["no answer"])
    judge = _JUDGES.get(str(task.metadata.get("kind")))
    if judge is None:
        return Verdict(
            score=0.0, passed=False, reasons=[f"unknown task kind {task.metadata.get('kind')!r}"]
        )
    return judge(task.expected, answer, as_world(state)["jokes"])


def _judge_jokes(expected: dict[str, JsonValue], answer: str, jokes: list[JokeRow]) -> Verdict:
    wanted = int(str(expected["count"]))
    found = quoted(answer, [j for j in jokes if j["category"] == expected["category"]])
    if len(found) >= wanted:
        return Verdict(score=1.0, passed=True)
    return Verdict(
        score=len(found) / wanted,
        passed=False,
        reasons=[f"quoted {len(found)} of {wanted} jokes of {expected['category']}"],
    )


def _judge_id(expected: dict[str, JsonValue], answer: str, jokes: list[JokeRow]) -> Verdict:
    ids = {j["id"].lower() for j in jokes}
    named = set(re.findall(r"\bj\d{4}\b", answer.lower())) & ids
    want = str(expected["joke_id"]).lower()
    if named == {want}:
        return Verdict(score=1.0, passed=True)
    return Verdict(score=0.0, passed=False, reasons=[f"expected id {want}, named {sorted(named)}"])


def _judge_count(expected: dict[str, JsonValue], answer: str, jokes: list[JokeRow]) -> Verdict:
    got = first_number(answer)
    if got == expected["total"]:
        return Verdict(score=1.0, passed=True)
    return Verdict(score=0.0, passed=False, reasons=[f"expected {expected['total']}, got {got}"])


def _judge_top(expected: dict[str, JsonValue], answer: str, jokes: list[JokeRow]) -> Verdict:
    found = [
        j["id"] for j in quoted(answer, [j for j in jokes if j["category"] == expected["category"]])
    ]
    if found == [expected["joke_id"]]:
        return Verdict(score=1.0, passed=True)
    return Verdict(
        score=0.0,
        passed=False,
        reasons=[f"expected only joke {expected['joke_id']}, quoted {found}"],
    )


_JUDGES: dict[str, Callable[[dict[str, JsonValue], str, list[JokeRow]], Verdict]] = {
    "jokes": _judge_jokes,
    "joke_id": _judge_id,
    "count": _judge_count,
    "top": _judge_top,
}
