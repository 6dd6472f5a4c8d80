"""The MCP server of the bank environment.

Undocumented on purpose: amounts are integer cents; owners are stored `Last, First` so a full
name finds nothing; transactions come newest first, six a page, pages from 1; transfers stop at
a daily limit per account; `convert(amount, "A/B")` turns an amount of B into A.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import JsonValue
from toolmaster.envs import kit
from toolmaster.envs.bank._world import (
    DAILY_LIMIT,
    PAGE_SIZE,
    AccountRow,
    TransactionRow,
    as_json,
    as_world,
    build_world,
    convert,
    money,
    sent_today,
)

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_MOVE_MONEY = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)


class BankTools:
    """The tools, over one session's JSON state (read at every call, so `restore` is seen)."""

    def __init__(self, data: dict[str, JsonValue]) -> None:
        self._world = as_world(data)

    def _account(self, account_id: str) -> AccountRow:
        for account in self._world["accounts"]:
            if account["id"] == account_id.strip():
                return account
        raise ToolError(f"account not found: '{account_id}'")

    def find_account(self, name: str) -> CallToolResult:
        """Find the accounts of a customer.

        Args:
            name: the customer's name.
        """
        wanted = name.strip().lower()
        found = [a for a in self._world["accounts"] if wanted and wanted in a["owner"].lower()]
        return kit.reply(
            {
                "accounts": [
                    {
                        "account_id": a["id"],
                        "owner": a["owner"],
                        "type": a["type"],
                        "currency": a["currency"],
                    }
                    for a in found
                ]
            }
        )

    def get_balance(self, account_id: str) -> CallToolResult:
        """Get the balance of an account.

        Args:
            account_id: the account.
        """
        account = self._account(account_id)
        return kit.reply(
            {
                "account_id": account["id"],
                "balance": account["balance"],
                "currency": account["currency"],
                "as_of": self._world["today"],
            }
        )

    def list_transactions(self, account_id: str, page: int = 1) -> CallToolResult:
        """List the transactions of an account.

        Args:
            account_id: the account.
            page: which page.
        """
        account = self._account(account_id)
        rows = sorted(
            (t for t in self._world["transactions"] if t["account"] == account["id"]),
            key=lambda t: (t["date"], t["id"]),
            reverse=True,
        )
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        if not 1 <= page <= pages:
            raise ToolError(f"page {page} out of range (1..{pages})")
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return kit.reply(
            {
                "account_id": account["id"],
                "page": page,
                "transactions": [_public(t) for t in shown],
                "next_page": page + 1 if page < pages else None,
            }
        )

    def transfer(
        self, from_account: str, to_account: str, amount: int, memo: str = ""
    ) -> CallToolResult:
        """Transfer money between two accounts.

        Args:
            from_account: the account to take the money from.
            to_account: the account to pay it into.
            amount: how much.
            memo: a note for both statements.
        """
        source, target = self._account(from_account), self._account(to_account)
        if source["id"] == target["id"]:
            raise ToolError("from_account and to_account are the same account")
        if amount <= 0:
            raise ToolError("amount must be positive")
        if source["currency"] != target["currency"]:
            raise ToolError("transfer declined: CURRENCY_MISMATCH")
        if sent_today(self._world, source["id"]) + amount > DAILY_LIMIT:
            raise ToolError("transfer declined: DAILY_LIMIT_EXCEEDED")
        if amount > source["balance"]:
            raise ToolError("transfer declined: INSUFFICIENT_FUNDS")
        shown = f"{money(amount)} {source['currency']}"
        note = f" ({memo})" if memo else ""
        debit = self._record(source, -amount, f"Transfer to {_name(target)} {shown}{note}")
        self._record(target, amount, f"Transfer from {_name(source)} {shown}{note}")
        return kit.reply(
            {
                "transfer_id": debit["id"],
                "status": "completed",
                "from_account": source["id"],
                "to_account": target["id"],
                "amount": amount,
                "message": f"Transferred {shown} from {source['id']} to {target['id']}",
            }
        )

    def convert(self, amount: int, pair: str) -> CallToolResult:
        """Convert an amount at today's exchange rate.

        Args:
            amount: the amount.
            pair: the currency pair, like EUR/USD.
        """
        match = re.fullmatch(r"([A-Za-z]{3})/([A-Za-z]{3})", pair.strip())
        if match is None:
            raise ToolError(f"invalid pair '{pair}' (expected like 'EUR/USD')")
        base, quote = match.group(1).upper(), match.group(2).upper()
        for code in (base, quote):
            if code not in ("EUR", *self._world["rates"]):
                raise ToolError(f"unknown currency '{code}'")
        result = convert(self._world, amount, base, quote)
        rate = round(convert(self._world, 1_000_000, base, quote) / 1_000_000, 4)
        return kit.reply(
            {
                "pair": f"{base}/{quote}",
                "amount": amount,
                "rate": rate,
                "result": result,
                "currency": base,
            }
        )

    def _record(self, account: AccountRow, amount: int, memo: str) -> TransactionRow:
        world = self._world
        row = TransactionRow(
            id=f"T{world['next_tx']}",
            account=account["id"],
            date=world["today"],
            amount=amount,
            category="TRANSFER",
            memo=memo,
        )
        world["next_tx"] += 1
        world["transactions"].append(row)
        account["balance"] += amount
        return row


def _name(account: AccountRow) -> str:
    last, first = account["owner"].split(", ", 1)
    return f"{first} {last}"


def _public(row: TransactionRow) -> dict[str, Any]:
    keys = ("id", "date", "amount", "category", "memo")
    return {key: row[key] for key in keys}


_TOOLS: tuple[tuple[str, ToolAnnotations], ...] = (
    ("find_account", _READ),
    ("get_balance", _READ),
    ("list_transactions", _READ),
    ("transfer", _MOVE_MONEY),
    ("convert", _READ),
)


@cache
def _prototypes() -> tuple[Tool, ...]:
    """The tools' schemas, built once: building them is most of the cost of a new server."""
    blank = BankTools({"accounts": [], "transactions": [], "rates": {}, "today": "", "next_tx": 0})
    return tuple(
        Tool.from_function(getattr(blank, name), annotations=notes) for name, notes in _TOOLS
    )


def build_server(data: dict[str, JsonValue]) -> MCPServer:
    """A server whose tools act on `data` (a session's state)."""
    tools = BankTools(data)
    return kit.server(
        "bank",
        instructions="Retail banking: accounts, balances, statements, transfers, exchange rates.",
        version="1.0.0",
        tools=kit.bind(_prototypes(), tools),
    )


def open_session(seed: int, version: str) -> kit.JsonSession:
    """A fresh session on the world of `seed`."""
    data = as_json(build_world(seed))
    return kit.JsonSession(build_server(data), data, version)
