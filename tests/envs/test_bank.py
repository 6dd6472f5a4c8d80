"""The bank environment: tools, tasks, verifier and reference solver over real MCP."""

from __future__ import annotations

from typing import Any, cast

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import JsonValue
from toolmaster.core import FINISH_TRIAL, Split, Task
from toolmaster.envs.bank import ENV
from toolmaster.envs.bank._tasks import CATEGORIES, FOREIGN
from toolmaster.envs.bank._verify import amounts_in
from toolmaster.envs.bank._world import DAILY_LIMIT, PEOPLE, as_world, sent_today

from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio

ALL_TASKS = [*ENV.tasks("train"), *ENV.tasks("test")]


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _task(kind: str, split: Split = "test") -> Task:
    return next(t for t in ENV.tasks(split) if t.metadata["kind"] == kind)


def _rows(state: dict[str, JsonValue], key: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], state[key])


def test_test_split_holds_out_values() -> None:
    train, test = ENV.tasks("train"), ENV.tasks("test")
    for split, tasks in (("train", train), ("test", test)):
        names = {str(v) for t in tasks for k, v in t.metadata.items() if "name" in k}
        assert names <= set(PEOPLE[split])
        categories = {t.metadata["category"] for t in tasks if t.metadata["kind"] == "spend"}
        assert categories <= set(CATEGORIES[split])
        currencies = {t.metadata["currency"] for t in tasks if t.metadata["kind"] == "fx_balance"}
        assert currencies == {FOREIGN[split]}
    kinds = {t.metadata["kind"] for t in test}
    assert kinds == {"transfer", "over_limit", "balance", "spend", "fx_balance"}


def test_amounts_are_read_tolerantly() -> None:
    text = "It is 1,234.56 EUR (EUR 12.5, €3, 7 euros) or $10.25 and 99 pounds; ACC-123456."
    assert amounts_in(text) == [
        (123456, "EUR"),
        (1250, "EUR"),
        (300, "EUR"),
        (700, "EUR"),
        (1025, "USD"),
        (9900, "GBP"),
    ]


async def test_tools_hide_their_conventions_until_tried() -> None:
    session = ENV.open(seed=5)
    account = _rows(session.state(), "accounts")[0]
    last, first = str(account["owner"]).split(", ")
    async with Client(session.server) as client:
        hints = {t.name: t.annotations for t in (await client.list_tools()).tools}
        flags = {n: (h.read_only_hint, h.destructive_hint) for n, h in hints.items() if h}
        assert flags == {
            "find_account": (True, None),
            "get_balance": (True, None),
            "list_transactions": (True, None),
            "convert": (True, None),
            "transfer": (False, True),
        }
        full = await client.call_tool("find_account", {"name": f"{first} {last}"})
        assert full.structured_content == {"accounts": []}
        by_last = await client.call_tool("find_account", {"name": last})
        assert by_last.structured_content is not None
        assert by_last.structured_content["accounts"]
        page = await client.call_tool("list_transactions", {"account_id": account["id"]})
        assert page.structured_content is not None
        assert page.structured_content["next_page"] == 2
        row = page.structured_content["transactions"][0]
        assert isinstance(row["amount"], int)
        assert (
            await client.call_tool("list_transactions", {"account_id": account["id"], "page": 0})
        ).is_error
        pair = await client.call_tool("convert", {"amount": 10_000, "pair": "EUR/USD"})
        assert pair.structured_content is not None
        assert pair.structured_content["currency"] == "EUR"
        assert (await client.call_tool("convert", {"amount": 1, "pair": "EURUSD"})).is_error


async def test_daily_limit_counts_what_was_sent_today() -> None:
    session = ENV.open(seed=12)
    accounts = _rows(session.state(), "accounts")
    rich = max(accounts, key=lambda a: a["balance"])
    other = next(a for a in accounts if a["id"] != rich["id"])
    left = DAILY_LIMIT - sent_today(as_world(session.data), rich["id"])
    async with Client(session.server) as client:
        args = {"from_account": rich["id"], "to_account": other["id"]}
        over = await client.call_tool("transfer", {**args, "amount": left + 1})
        assert over.is_error
        assert "DAILY_LIMIT_EXCEEDED" in _text(over)
        ok = await client.call_tool("transfer", {**args, "amount": left})
        assert not ok.is_error
        assert "Transferred" in _text(ok)
        again = await client.call_tool("transfer", {**args, "amount": 1})
        assert again.is_error
        euros = await client.call_tool("transfer", {**args, "amount": 12.5})
        assert euros.is_error


async def test_snapshot_and_restore_undo_a_transfer() -> None:
    session = ENV.open(seed=3)
    before = session.snapshot()
    accounts = _rows(session.state(), "accounts")
    async with Client(session.server) as client:
        sent = await client.call_tool(
            "transfer",
            {"from_account": accounts[0]["id"], "to_account": accounts[1]["id"], "amount": 100},
        )
        assert not sent.is_error
    assert session.state() != before
    session.restore(before)
    assert session.state() == before


@pytest.mark.parametrize(
    ("kind", "learnt"),
    [
        ("transfer", "cents"),
        ("over_limit", "limit"),
        ("fx_balance", "convert"),
        ("spend", "next_page"),
    ],
)
async def test_trial_notes_state_what_was_learnt(kind: str, learnt: str) -> None:
    run = await run_solver(ENV, _task(kind), mode="trial", seed=2)
    assert run.verdict.passed
    (finish,) = [c for turn in run.turns for c in turn.tool_calls if c.tool == FINISH_TRIAL]
    notes = str(finish.arguments["notes"])
    assert learnt in notes
    assert "Last, First" in notes


async def test_direct_mode_recovers_from_mistakes() -> None:
    runs = [await run_solver(ENV, _task("fx_balance"), mode="direct", seed=s) for s in range(6)]
    assert all(r.verdict.passed for r in runs)
    assert all(any(c.tool == "convert" for t in r.turns for c in t.tool_calls) for r in runs)
    assert not any(c.tool == FINISH_TRIAL for r in runs for t in r.turns for c in t.tool_calls)


def _transfer(data: dict[str, JsonValue], source: str, target: str, cents: int) -> None:
    """Book a transfer into `data` by hand, as a tool would."""
    accounts = {a["id"]: a for a in _rows(data, "accounts")}
    transactions = _rows(data, "transactions")
    for account, amount in ((source, -cents), (target, cents)):
        accounts[account]["balance"] += amount
        row = {"id": f"X{len(transactions)}", "account": account, "date": "2026-03-16"}
        transactions.append({**row, "amount": amount, "category": "TRANSFER", "memo": "test"})


def _state_after(task: Task, *transfers: tuple[str, str, int]) -> dict[str, JsonValue]:
    session = ENV.open(task)
    for source, target, cents in transfers:
        _transfer(session.data, source, target, cents)
    return session.state()


def test_wrong_final_states_fail() -> None:
    task = _task("transfer")
    source, target = str(task.expected["from"]), str(task.expected["to"])
    cents = int(str(task.expected["cents"]))
    assert ENV.verify(task, "done", _state_after(task, (source, target, cents))).passed
    assert not ENV.verify(task, "done", _state_after(task)).passed
    assert not ENV.verify(task, "done", _state_after(task, (source, target, cents // 100))).passed
    assert not ENV.verify(task, "done", _state_after(task, (target, source, cents))).passed
    extra = _state_after(task, (source, target, cents), (source, target, 1))
    assert not ENV.verify(task, "done", extra).passed

    refused = _task("over_limit")
    untouched = _state_after(refused)
    assert ENV.verify(refused, "Declined: DAILY_LIMIT_EXCEEDED, the daily limit.", untouched).passed
    assert not ENV.verify(refused, "Done.", untouched).passed
    src, dst = str(refused.expected["from"]), str(refused.expected["to"])
    split_up = _state_after(refused, (src, dst, 50_000))
    assert not ENV.verify(refused, "Over the limit, so I sent part of it.", split_up).passed


def test_wrong_answers_fail() -> None:
    balance = _task("balance")
    state = ENV.open(balance).state()
    cents = int(str(balance.expected["cents"]))
    euros = f"{cents // 100:,}.{cents % 100:02d}"
    assert ENV.verify(balance, f"It is {euros} EUR.", state).passed
    assert ENV.verify(balance, f"It is €{euros}.", state).passed
    assert not ENV.verify(balance, f"It is {cents} EUR.", state).passed
    assert not ENV.verify(balance, f"It is {cents / 100 + 1:.2f} EUR.", state).passed
    assert not ENV.verify(balance, None, state).passed

    fx = _task("fx_balance")
    state = ENV.open(fx).state()
    worth = int(str(fx.expected["cents"]))
    right = f"{worth // 100}.{worth % 100:02d} {fx.expected['currency']}"
    assert ENV.verify(fx, f"About {right}.", state).passed
    wrong = f"{worth // 100 + 3}.{worth % 100:02d} {fx.expected['currency']}"
    assert not ENV.verify(fx, f"About {wrong}.", state).passed
    assert not ENV.verify(fx, f"About {worth // 100}.{worth % 100:02d} EUR.", state).passed

    spend = _task("spend")
    state = ENV.open(spend).state()
    spent = int(str(spend.expected["cents"]))
    said = f"{spent // 100}.{spent % 100:02d} EUR"
    assert ENV.verify(spend, f"Spent {said}.", state).passed
    assert not ENV.verify(spend, f"Spent {spent + 100} cents, i.e. {spent + 1} EUR.", state).passed
