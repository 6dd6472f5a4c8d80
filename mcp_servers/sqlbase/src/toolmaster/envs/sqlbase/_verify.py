"""The `sqlbase` verifier: tolerant answer parsing for questions, exact final state for changes
(and untouched data for questions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs import kit
from toolmaster.envs.sqlbase._world import FIRST_NAMES, LAST_NAMES, build_world, render_tables

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_DATE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")


def last_number(text: str) -> float | None:
    """The last number written in `text` (`$1,234.50` -> 1234.5), or None."""
    return kit.last_number(text, _NUMBER)


def _check_number(expected: dict[str, Any], answer: str) -> Verdict:
    value = last_number(answer)
    want, tolerance = float(expected["value"]), float(expected["tolerance"])
    if value is None:
        return Verdict(score=0.0, passed=False, reasons=["no number in the answer"])
    if abs(value - want) <= tolerance + 1e-9:
        return Verdict(score=1.0, passed=True, reasons=[f"{value:g} matches"])
    return Verdict(score=0.0, passed=False, reasons=[f"answered {value:g}, expected {want:g}"])


def _check_date(expected: dict[str, Any], answer: str) -> Verdict:
    dates = {f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in _DATE.findall(answer)}
    if dates == {expected["value"]}:
        return Verdict(score=1.0, passed=True, reasons=["date matches"])
    got = ", ".join(sorted(dates)) or "no date"
    return Verdict(
        score=0.0, passed=False, reasons=[f"answered {got}, expected {expected['value']}"]
    )


def _check_name(expected: dict[str, Any], answer: str) -> Verdict:
    words = {w.casefold() for w in re.findall(r"[A-Za-z]+", answer)}
    known = {n.casefold() for n in (*FIRST_NAMES, *LAST_NAMES)}
    named = words & known
    want = {str(expected["first"]).casefold(), str(expected["last"]).casefold()}
    if named == want:
        return Verdict(score=1.0, passed=True, reasons=["name matches"])
    return Verdict(
        score=0.0,
        passed=False,
        reasons=[f"expected {expected['first']} {expected['last']}, answer names {sorted(named)}"],
    )


def expected_tables(task: Task) -> dict[str, JsonValue]:
    """The tables as they must be at the end of `task`: changed as asked, or untouched."""
    assert task.seed is not None
    world = build_world(task.seed)
    if task.expected["kind"] != "state":
        return world.tables()
    change = cast(dict[str, Any], task.expected["change"])
    orders, products = world.orders, world.products
    if change["op"] == "set_status":
        ids = set(change["order_ids"])
        orders = tuple(replace(o, status=change["status"]) if o.id in ids else o for o in orders)
    elif change["op"] == "delete_orders":
        ids = set(change["order_ids"])
        orders = tuple(o for o in orders if o.id not in ids)
    elif change["op"] == "set_price":
        products = tuple(
            replace(p, price_cents=change["price_cents"]) if p.id == change["product_id"] else p
            for p in products
        )
    else:
        raise ValueError(f"unknown change {change['op']!r}")
    return render_tables(world.schema, world.customers, products, orders)


def _rows(table: JsonValue) -> list[str]:
    rows = cast(list[list[Any]], cast(dict[str, Any], table)["rows"])
    return sorted(repr([float(v) if isinstance(v, int | float) else v for v in r]) for r in rows)


def _state_problems(task: Task, state: dict[str, JsonValue]) -> list[str]:
    want = expected_tables(task)
    got = cast(dict[str, JsonValue], state.get("tables", {}))
    reasons: list[str] = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            reasons.append(f"table {name} is missing")
        elif name not in want:
            reasons.append(f"unexpected table {name}")
        else:
            want_rows, got_rows = _rows(want[name]), _rows(got[name])
            if want_rows != got_rows:
                missing = len(set(want_rows) - set(got_rows))
                extra = len(set(got_rows) - set(want_rows))
                reasons.append(f"{name}: {missing} expected rows missing, {extra} unexpected rows")
    return reasons


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge `answer` (questions) or the final `state` (changes) of `task`."""
    expected = cast(dict[str, Any], task.expected)
    kind = expected["kind"]
    problems = _state_problems(task, state)
    if kind == "state":
        if problems:
            return Verdict(score=0.0, passed=False, reasons=problems)
        return Verdict(score=1.0, passed=True, reasons=["final state matches"])
    if problems:
        return Verdict(score=0.0, passed=False, reasons=["a question changed the data", *problems])
    if not answer:
        return Verdict(score=0.0, passed=False, reasons=["no answer"])
    return _CHECKS[kind](expected, answer)


_CHECKS: dict[str, Callable[[dict[str, Any], str], Verdict]] = {
    "number": _check_number,
    "date": _check_date,
    "name": _check_name,
}
