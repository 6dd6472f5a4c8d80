"""The shop verifier: the final orders (exactly the right order, nothing else ordered or
cancelled) and tolerant reading of counts and dollar amounts in free text."""

from __future__ import annotations

import re
from collections import Counter
from typing import cast

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs.shop._world import ShopState, as_state

PRICE_TOLERANCE = 0.01

_MONEY = re.compile(
    r"(?P<pre>\$|usd\s*|us\$)?\s*(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s*(?P<post>usd\b|dollars?\b|bucks\b|cents?\b|¢|c\b)?",
    re.IGNORECASE,
)


def read_amounts(text: str) -> list[tuple[float, str | None]]:
    """Every number in `text` with its currency tag: "usd", "cents" or None."""
    found: list[tuple[float, str | None]] = []
    for match in _MONEY.finditer(text):
        value = float(match.group("num").replace(",", ""))
        post = (match.group("post") or "").lower()
        if post.startswith(("cent", "¢", "c")):
            tag: str | None = "cents"
        elif match.group("pre") or post:
            tag = "usd"
        else:
            tag = None
        found.append((value, tag))
    return found


def pick_dollars(text: str) -> float | None:
    """The amount an answer gives in dollars: the first one marked as dollars, else the first
    unmarked number; amounts in cents are converted."""
    amounts = read_amounts(text)
    for value, tag in amounts:
        if tag == "usd":
            return value
    for value, tag in amounts:
        if tag is None:
            return value
        if tag == "cents":
            return value / 100
    return None


def pick_count(text: str) -> int | None:
    """The count an answer gives: the first whole number that is not an amount of money."""
    for value, tag in read_amounts(text):
        if tag is None and value.is_integer():
            return int(value)
    if re.search(r"\b(none|no products|zero)\b", text, re.IGNORECASE):
        return 0
    return None


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge a shop task: the answer where one is asked for, and always the final orders."""
    expected = task.expected
    kind = expected["kind"]
    shop = as_state(state)
    before = cast(dict[str, str], expected["orders_before"])
    reasons: list[str] = []
    if kind == "order_cheapest":
        ok = _ordered(
            shop, before, str(expected["product_id"]), int(cast(int, expected["quantity"])), reasons
        )
    elif kind == "cancel_order":
        ok = _cancelled(shop, before, str(expected["order_id"]), reasons)
    else:
        ok = _untouched(shop, before, reasons)
        if kind == "count_under":
            ok = _count(answer or "", int(cast(int, expected["count"])), reasons) and ok
        else:
            ok = _price(answer or "", float(cast(float, expected["price"])), reasons) and ok
    return Verdict(score=1.0 if ok else 0.0, passed=ok, reasons=reasons)


def _changes(shop: ShopState, before: dict[str, str]) -> tuple[list[str], list[str]]:
    """New order ids, and earlier orders whose status changed."""
    new = [o["id"] for o in shop["orders"] if o["id"] not in before]
    changed = [
        o["id"] for o in shop["orders"] if o["id"] in before and o["status"] != before[o["id"]]
    ]
    return new, changed


def _untouched(shop: ShopState, before: dict[str, str], reasons: list[str]) -> bool:
    new, changed = _changes(shop, before)
    if new:
        reasons.append(f"orders placed though none was asked for: {', '.join(new)}")
    if changed:
        reasons.append(f"orders changed though none was asked for: {', '.join(changed)}")
    return not new and not changed


def _ordered(
    shop: ShopState, before: dict[str, str], product_id: str, quantity: int, reasons: list[str]
) -> bool:
    new, changed = _changes(shop, before)
    if changed:
        reasons.append(f"earlier orders changed: {', '.join(changed)}")
    if len(new) != 1:
        reasons.append(f"expected exactly one new order, found {len(new)}")
        return False
    order = next(o for o in shop["orders"] if o["id"] == new[0])
    lines: Counter[str] = Counter()
    for item in order["items"]:
        lines[item["product_id"]] += item["quantity"]
    if order["status"] != "placed":
        reasons.append(f"order {order['id']} is {order['status']}")
    if dict(lines) != {product_id: quantity}:
        got = ", ".join(f"{q} x {p}" for p, q in lines.items())
        reasons.append(f"order {order['id']} has {got}; expected {quantity} x {product_id}")
    ok = not changed and order["status"] == "placed" and dict(lines) == {product_id: quantity}
    if ok:
        reasons.append(f"order {order['id']} is exactly {quantity} x {product_id}")
    return ok


def _cancelled(shop: ShopState, before: dict[str, str], order_id: str, reasons: list[str]) -> bool:
    new, changed = _changes(shop, before)
    if new:
        reasons.append(f"new orders placed: {', '.join(new)}")
    status = next((o["status"] for o in shop["orders"] if o["id"] == order_id), None)
    if status != "cancelled":
        reasons.append(f"order {order_id} is {status}, not cancelled")
    others = [o for o in changed if o != order_id]
    if others:
        reasons.append(f"other orders changed: {', '.join(others)}")
    ok = not new and not others and status == "cancelled"
    if ok:
        reasons.append(f"order {order_id} cancelled, nothing else changed")
    return ok


def _count(text: str, expected: int, reasons: list[str]) -> bool:
    got = pick_count(text)
    if got == expected:
        reasons.append(f"count {got} is right")
        return True
    reasons.append(f"answered {got}, expected {expected}" if got is not None else "no count found")
    return False


def _price(text: str, expected: float, reasons: list[str]) -> bool:
    got = pick_dollars(text)
    if got is not None and abs(got - expected) <= PRICE_TOLERANCE:
        reasons.append(f"${got:.2f} is right")
        return True
    reasons.append(
        f"answered {got}, expected ${expected:.2f}" if got is not None else "no amount found"
    )
    return False
