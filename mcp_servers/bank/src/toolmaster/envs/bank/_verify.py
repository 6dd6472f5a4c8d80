"""The verifier of the bank environment.

The final state must be the task's initial bank (rebuilt from its seed) with exactly the asked
transfer and nothing else: every balance as expected and, as new statement lines, just the
debit and the credit. Questions and refused transfers must leave the bank untouched. Amounts in
answers are read tolerantly (`1,234.56 EUR`, `EUR 1234.56`, `€1,234.56`, `1234.56 euros`), to
the cent, in the currency asked for; at most two distinct amounts in that currency.
"""

from __future__ import annotations

import re
from collections import Counter

from pydantic import JsonValue
from toolmaster.core import Task, Verdict
from toolmaster.envs.bank._world import World, as_world, build_world

_CURRENCY = {
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "€": "EUR",
    "usd": "USD", "dollar": "USD", "dollars": "USD", "$": "USD",
    "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "£": "GBP",
}  # fmt: skip
_MARK = r"(eur|euros?|usd|dollars?|gbp|pounds?|€|\$|£)"
_NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"


def amounts_in(text: str) -> list[tuple[int, str]]:
    """Every amount with a currency marker in `text`, as (cents, currency), in order."""
    found: list[tuple[int, int, str]] = []
    lowered = text.lower()
    for pattern, number_group, mark_group in (
        (rf"{_NUMBER}\s*{_MARK}(?![a-z])", 1, 2),
        (rf"(?<![a-z]){_MARK}\s*{_NUMBER}", 2, 1),
    ):
        for match in re.finditer(pattern, lowered):
            value = match.group(number_group).replace(",", "")
            cents = round(float(value) * 100)
            found.append((match.start(), cents, _CURRENCY[match.group(mark_group)]))
    return [(cents, currency) for _, cents, currency in sorted(found)]


def _changes(task: Task, state: World) -> list[str]:
    """What differs between the final state and the initial one plus the expected transfer."""
    initial = build_world(task.seed or 0)
    balances = {a["id"]: a["balance"] for a in initial["accounts"]}
    new_lines: Counter[tuple[str, int]] = Counter()
    want = task.expected
    if want["kind"] == "transfer":
        cents = int(str(want["cents"]))
        source, target = str(want["from"]), str(want["to"])
        balances[source] -= cents
        balances[target] += cents
        new_lines.update([(source, -cents), (target, cents)])
    problems: list[str] = []
    got = {a["id"]: a["balance"] for a in state["accounts"]}
    if got != balances:
        off = sorted(k for k in balances.keys() | got.keys() if balances.get(k) != got.get(k))
        problems.append(f"balances differ on {off}")
    old = {t["id"]: t for t in initial["transactions"]}
    kept = [t for t in state["transactions"] if t["id"] in old]
    if len(kept) != len(old) or any(t != old[t["id"]] for t in kept):
        problems.append("existing statement lines were changed")
    added = Counter(
        (t["account"], t["amount"]) for t in state["transactions"] if t["id"] not in old
    )
    if added != new_lines:
        problems.append(
            f"new statement lines {sorted(added.elements())}, wanted {sorted(new_lines.elements())}"
        )
    return problems


def verify(task: Task, answer: str | None, state: dict[str, JsonValue]) -> Verdict:
    """Judge the final bank `state` and, for questions and refusals, the `answer`."""
    reasons = _changes(task, as_world(state))
    kind, text = task.expected["kind"], answer or ""
    if kind == "over_limit" and "limit" not in text.lower():
        reasons.append("the answer does not say the daily limit stopped the transfer")
    if kind in ("balance", "spend", "fx_balance"):
        currency = str(task.expected["currency"])
        named = {cents for cents, cur in amounts_in(text) if cur == currency}
        if task.expected["cents"] not in named or len(named) > 2:
            reasons.append(
                f"expected {int(str(task.expected['cents'])) / 100:.2f} {currency} in the answer"
            )
    if reasons:
        return Verdict(score=0.0, passed=False, reasons=reasons)
    return Verdict(score=1.0, passed=True)
