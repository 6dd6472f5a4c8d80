"""The task generator of the bank environment.

Train tasks name customers, spending categories and the foreign currency (USD) of the train
pools; test tasks use held-out customers, categories (restaurants, utilities, shopping), GBP
and larger transfer amounts, on seeds of their own.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from toolmaster.core import Split, Task
from toolmaster.envs.bank._world import (
    DAILY_LIMIT,
    LAST_MONTH,
    PEOPLE,
    AccountRow,
    World,
    build_world,
    convert,
    money,
    sent_today,
    stored_name,
)
from toolmaster.envs.kit import task

ENV_NAME = "bank"
TASK_COUNTS: dict[Split, int] = {"train": 160, "test": 80}
SEED_BASE: dict[Split, int] = {"train": 30_000, "test": 60_000}
KINDS = ("transfer", "spend", "balance", "transfer", "fx_balance", "spend", "over_limit")
CATEGORIES: dict[Split, tuple[str, ...]] = {
    "train": ("groceries", "transport", "entertainment"),
    "test": ("restaurants", "utilities", "shopping"),
}
FOREIGN: dict[Split, str] = {"train": "USD", "test": "GBP"}
TRANSFER_CENTS: dict[Split, tuple[int, int]] = {"train": (1_000, 30_000), "test": (30_001, 60_000)}


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically."""
    rng = random.Random(f"{ENV_NAME}/{split}")
    tasks: list[Task] = []
    for index in range(TASK_COUNTS[split]):
        seed = SEED_BASE[split] + index
        kind = KINDS[index % len(KINDS)]
        prompt, expected, params = _pose(kind, build_world(seed), split, rng)
        tasks.append(
            task(
                ENV_NAME,
                split,
                index,
                seed=seed,
                prompt=prompt,
                expected={"kind": kind, **expected},
                metadata={"kind": kind, **params},
            )
        )
    return tuple(tasks)


def _people(world: World, split: Split) -> list[str]:
    names = {stored_name(n): n for n in PEOPLE[split]}
    return sorted({names[a["owner"]] for a in world["accounts"] if a["owner"] in names})


def _account(world: World, name: str, kind: str) -> AccountRow | None:
    owner = stored_name(name)
    return next((a for a in world["accounts"] if a["owner"] == owner and a["type"] == kind), None)


def _pose(
    kind: str, world: World, split: Split, rng: random.Random
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The prompt, the expected outcome and the prompt's parameters of one task."""
    people = _people(world, split)
    if kind in ("transfer", "over_limit"):
        return _pose_transfer(kind, world, people, split, rng)
    if kind == "spend":
        name = rng.choice(people)
        category = rng.choice(CATEGORIES[split])
        account = _account(world, name, "checking")
        assert account is not None
        rows = [t for t in world["transactions"] if t["account"] == account["id"]]
        spent = -sum(
            t["amount"]
            for t in rows
            if t["date"].startswith(LAST_MONTH) and t["category"] == category.upper()
            if t["amount"] < 0
        )
        prompt = f"Today is 16 March 2026. How much did {name} spend on {category} last month?"
        return prompt, {"cents": spent, "currency": "EUR"}, {"name": name, "category": category}
    with_savings = [p for p in people if _account(world, p, "savings") is not None]
    if kind == "fx_balance" and with_savings:
        name = rng.choice(with_savings)
        account = _account(world, name, "savings")
        assert account is not None
        currency = FOREIGN[split]
        worth = convert(world, account["balance"], currency, "EUR")
        prompt = f"What is {name}'s savings balance worth in {currency} at today's exchange rate?"
        expected = {"cents": worth, "currency": currency}
        return prompt, expected, {"name": name, "currency": currency, "type": "savings"}
    name = rng.choice(with_savings if rng.random() < 0.5 and with_savings else people)
    kind_of = "savings" if _account(world, name, "savings") and rng.random() < 0.5 else "checking"
    account = _account(world, name, kind_of)
    assert account is not None
    prompt = f"What is the balance of {name}'s {kind_of} account?"
    expected = {"kind": "balance", "cents": account["balance"], "currency": "EUR"}
    return prompt, expected, {"name": name, "type": kind_of, "kind": "balance"}


def _pose_transfer(
    kind: str, world: World, people: list[str], split: Split, rng: random.Random
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    low, high = TRANSFER_CENTS[split]
    while True:
        payer, payee = rng.sample(people, 2)
        kind_of = (
            "savings" if _account(world, payer, "savings") and rng.random() < 0.4 else "checking"
        )
        source = _account(world, payer, kind_of)
        target = _account(world, payee, "checking")
        assert source is not None
        assert target is not None
        left = DAILY_LIMIT - sent_today(world, source["id"])
        if kind == "transfer":
            cents = rng.randint(low, high)
            cents = cents - cents % 100 if rng.random() < 0.3 else cents
            if cents <= left and cents <= source["balance"]:
                break
        else:
            cents = left + rng.randint(1, 400) * 100
            if cents <= source["balance"]:
                break
    prompt = (
        f"Transfer {money(cents)} EUR from {payer}'s {kind_of} account to {payee}'s checking "
        "account. If the bank refuses, tell me why."
    )
    expected = {"from": source["id"], "to": target["id"], "cents": cents}
    params = {"from_name": payer, "from_type": kind_of, "to_name": payee, "cents": cents}
    return prompt, expected, params
