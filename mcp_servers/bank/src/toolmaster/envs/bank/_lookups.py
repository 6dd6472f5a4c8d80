"""What the bank teacher knows and how it looks things up, from tool outputs only.

`Lookups` keeps what an episode has shown so far (account ids, the unit of amounts, which way
`convert` works) and offers the lookups both phases use; a lookup that does not know a
convention yet goes the way a model without trials would, and learns from the answer.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from toolmaster.envs.kit import Notes, Script, Step, error_of, fields


def last_first(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"{last}, {first}"


@dataclass
class Lookups:
    """One episode's scripted teacher state, and the lookups both phases use."""

    script: Script
    rng: random.Random
    careful: bool = False
    """After a trial: conventions are known, no beginner's mistakes."""
    accounts: dict[tuple[str, str], str] = field(default_factory=dict[tuple[str, str], str])
    cents: bool | None = None
    """Whether amounts are cents (None: not known yet)."""
    base_is_result: bool | None = None
    """Whether `convert(x, 'A/B')` gives A (None: not known yet)."""
    notes: Notes = field(default_factory=Notes)

    def note(self, tool: str, text: str) -> None:
        """Note `text` about `tool`, during the trial only."""
        if self.script.trial:
            self.notes.add(tool, text)

    def render(self) -> str:
        return self.notes.render("What I learnt about the bank tools:", bullet="- ")

    def account(self, name: str, kind: str) -> Step:
        """The id of `name`'s `kind` account, looked up with `find_account` when not known."""
        if (name, kind) in self.accounts:
            return self.accounts[(name, kind)]
        if not self.accounts and (self.script.trial or self.rng.random() < 0.6):
            empty = yield from self.script.call(
                "find_account", {"name": name}, say=f"Looking up {name}'s accounts."
            )
            found = fields(empty).get("accounts", [])
            self.note(
                "find_account",
                f"the full name '{name}' found {len(found)} accounts: owners are stored as "
                f"'Last, First', so search by the last name.",
            )
        last = name.split(" ", 1)[1]
        result = yield from self.script.call("find_account", {"name": last})
        for row in fields(result)["accounts"]:
            if row["owner"] == last_first(name):
                self.accounts[(name, row["type"])] = row["account_id"]
        self.note(
            "find_account",
            f"find_account(name='{last}') lists account_id (like "
            f"'{self.accounts[(name, 'checking')]}'), owner, type (checking/savings), currency.",
        )
        return self.accounts[(name, kind)]

    def units_from(self, rows: list[dict[str, Any]]) -> bool | None:
        """Whether `rows` show amounts in cents: a memo like `... 12.50 EUR ...` beside an
        amount of -1250 (None when no memo shows an amount)."""
        for row in rows:
            shown = re.search(r"(\d[\d,]*\.\d{2}) EUR", row["memo"])
            if shown:
                value = float(shown.group(1).replace(",", ""))
                cents = abs(row["amount"]) == round(value * 100)
                self.note(
                    "list_transactions",
                    f"amounts are integer cents: the memo '{row['memo']}' has amount "
                    f"{row['amount']}. Rows come newest first, {len(rows)} a page; next_page is "
                    "the page to ask for next (null at the end).",
                )
                self.note("get_balance", "balance is in cents too (divide by 100).")
                return cents
        return None

    def learn_units(self, account_id: str) -> Step:
        """Read a statement page and work out from a memo whether amounts are cents."""
        args = {"account_id": account_id}
        result = yield from self.script.call(
            "list_transactions", args, say="How are amounts written?"
        )
        page = fields(result)
        self.cents = self.units_from(page["transactions"])
        return page

    def statement(self, account_id: str, since: str) -> Step:
        """All rows of `account_id` back to the day `since`, page by page."""
        rows: list[dict[str, Any]] = []
        page: int | None = 1
        while page is not None:
            say = None if page == 1 else f"There is a next_page; reading page {page}."
            args = {"account_id": account_id, "page": page}
            shown = fields((yield from self.script.call("list_transactions", args, say=say)))
            rows.extend(shown["transactions"])
            if rows and rows[-1]["date"] < since:
                break
            page = shown["next_page"]
        return rows

    def converted(self, cents: int, target: str) -> Step:
        """`cents` EUR in `target` cents, using `convert` the right way round."""
        pair = f"{target}/EUR" if self.base_is_result else f"EUR/{target}"
        result = fields((yield from self.script.call("convert", {"amount": cents, "pair": pair})))
        if result["currency"] == target:
            self.base_is_result = pair.startswith(target)
            return result["result"]
        self.base_is_result = True
        self.note(
            "convert",
            f"convert(amount, pair='A/B') converts an amount of B into A: 'EUR/{target}' gave "
            f"currency EUR (rate {result['rate']}), so use '{target}/EUR' to get {target}.",
        )
        say = f"That came back in {result['currency']}; the pair works the other way round."
        args = {"amount": cents, "pair": f"{target}/EUR"}
        return fields((yield from self.script.call("convert", args, say=say)))["result"]

    def transfer(self, source: str, target: str, cents: int, statement: str) -> Step:
        """Send `cents`; when units are unknown, first the beginner's way (an amount in euros),
        then read the `statement` account's memos to learn them."""
        if self.cents is None:
            if cents % 100 and self.rng.random() < 0.5:
                first = yield from self.script.call(
                    "transfer",
                    {"from_account": source, "to_account": target, "amount": cents / 100},
                )
                self.note("transfer", f'amount={cents / 100} fails: "{error_of(first)}".')
            yield from self.learn_units(statement)
        args = {"from_account": source, "to_account": target, "amount": cents}
        return (yield from self.script.call("transfer", args))
