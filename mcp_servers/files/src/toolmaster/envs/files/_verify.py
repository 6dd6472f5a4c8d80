"""The `files` verifier: tolerant answer parsing for questions, exact final tree for changes (and
an untouched tree for questions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs.files._world import build_world
from toolmaster.envs.kit import fail

_PATH = re.compile(r"/[\w.\-/]*[\w\-]")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _check_path(want: str, answer: str) -> Verdict:
    paths = {p.rstrip("/.") for p in _PATH.findall(answer)}
    if paths == {want}:
        return Verdict(score=1.0, passed=True, reasons=["path matches"])
    return fail(f"answered {sorted(paths) or 'no path'}, expected {want}")


def _check_number(want: int, answer: str) -> Verdict:
    found = _NUMBER.findall(answer)
    if not found:
        return fail("no number in the answer")
    got = float(found[-1].replace(",", ""))
    if got == want:
        return Verdict(score=1.0, passed=True, reasons=[f"{want} matches"])
    return fail(f"answered {got:g}, expected {want}")


def _check_text(want: str, answer: str) -> Verdict:
    tokens = {t.strip(".") for t in re.findall(r"[\w.@\-]+", answer)}
    if want in tokens or want.strip() == answer.strip().strip("`'\"."):
        return Verdict(score=1.0, passed=True, reasons=["value matches"])
    return fail(f"expected {want!r} in the answer")


def expected_state(task: Task) -> tuple[dict[str, str], set[str]]:
    """File path -> content and the set of directories at the end of `task`: changed as asked,
    or untouched."""
    assert task.seed is not None
    state = build_world(task.seed).state
    files = {
        p: str(f["content"]) for p, f in cast(dict[str, dict[str, Any]], state["files"]).items()
    }
    dirs = set(cast(dict[str, Any], state["dirs"]))
    exp = cast(dict[str, Any], task.expected)
    if exp["kind"] != "state":
        return files, dirs
    dirs |= set(exp["mkdirs"])
    for src, dst in cast(dict[str, str], exp["moves"]).items():
        files[dst] = files.pop(src)
    for gone in cast(list[str], exp["deletes"]):
        prefix = gone + "/"
        files = {p: c for p, c in files.items() if p != gone and not p.startswith(prefix)}
        dirs = {d for d in dirs if d != gone and not d.startswith(prefix)}
    return files, dirs


def _state_problems(task: Task, state: dict[str, JsonValue]) -> list[str]:
    want_files, want_dirs = expected_state(task)
    got_files = {
        p: str(f["content"]) for p, f in cast(dict[str, dict[str, Any]], state["files"]).items()
    }
    got_dirs = set(cast(dict[str, Any], state["dirs"]))
    reasons = [f"missing file {p}" for p in sorted(set(want_files) - set(got_files))]
    reasons += [f"unexpected file {p}" for p in sorted(set(got_files) - set(want_files))]
    reasons += [
        f"content of {p} changed"
        for p in sorted(set(want_files) & set(got_files))
        if want_files[p] != got_files[p]
    ]
    reasons += [
        f"{'missing' if p in want_dirs else 'unexpected'} directory {p}"
        for p in sorted(want_dirs ^ got_dirs)
    ]
    return reasons[:20]


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge `answer` (questions) or the final `state` (changes) of `task`."""
    expected = cast(dict[str, Any], task.expected)
    kind = expected["kind"]
    problems = _state_problems(task, state)
    if kind == "state":
        if problems:
            return Verdict(score=0.0, passed=False, reasons=problems)
        return Verdict(score=1.0, passed=True, reasons=["final tree matches"])
    if problems:
        return fail("a question changed the files: " + "; ".join(problems))
    if not answer:
        return fail("no answer")
    return _CHECKS[kind](expected["value"], answer)


_CHECKS: dict[str, Callable[[Any, str], Verdict]] = {
    "path": lambda want, answer: _check_path(str(want), answer),
    "number": lambda want, answer: _check_number(int(want), answer),
    "text": lambda want, answer: _check_text(str(want), answer),
}
