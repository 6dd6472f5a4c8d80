"""The seeded state of a bank, and the money arithmetic every part shares.

All amounts are integer cents. Owners are stored as `Last, First`. Exchange rates are units of
a currency per one EUR.
"""

from __future__ import annotations

import random
from typing import TypedDict, cast

from pydantic import JsonValue

TODAY = "2026-03-16"
LAST_MONTH = "2026-02"
DAILY_LIMIT = 100_000
"""Cents one account may send by transfer per day (undocumented)."""
PAGE_SIZE = 6

PEOPLE: dict[str, tuple[str, ...]] = {
    "train": (
        "Alice Martin", "Bruno Keller", "Chloe Dubois", "Daniel Okafor", "Elena Rossi",
        "Farid Haddad", "Grace Liu", "Hugo Fernandes",
    ),
    "test": (
        "Ingrid Larsen", "Jonas Weber", "Keiko Tanaka", "Liam Byrne", "Maya Cohen",
        "Nikolai Petrov", "Olivia Brown", "Pablo Ruiz",
    ),
}  # fmt: skip
MERCHANTS: dict[str, tuple[str, ...]] = {
    "GROCERIES": ("FreshMart", "Green Grocer", "Corner Market"),
    "TRANSPORT": ("City Metro", "RideNow", "Fuel Stop"),
    "ENTERTAINMENT": ("Cinema Lux", "StreamFlix", "Concert Hall"),
    "RESTAURANTS": ("Trattoria Nina", "Sushi Go", "Burger Barn"),
    "UTILITIES": ("PowerGrid Energy", "AquaCity Water", "FiberNet"),
    "SHOPPING": ("MegaStore", "Book Nook", "Style Avenue"),
}


class AccountRow(TypedDict):
    id: str
    owner: str
    """`Last, First`."""
    type: str
    currency: str
    balance: int


class TransactionRow(TypedDict):
    id: str
    account: str
    date: str
    amount: int
    category: str
    memo: str


class World(TypedDict):
    today: str
    accounts: list[AccountRow]
    transactions: list[TransactionRow]
    rates: dict[str, float]
    next_tx: int


def money(cents: int) -> str:
    """`1,234.56` for 123456 (the sign kept)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def stored_name(name: str) -> str:
    """`Martin, Alice` for `Alice Martin`."""
    first, last = name.split(" ", 1)
    return f"{last}, {first}"


def convert(world: World, amount: int, base: str, quote: str) -> int:
    """`amount` cents of `quote` in cents of `base` (what `convert(amount, 'BASE/QUOTE')` does)."""
    per_eur = {"EUR": 1.0, **world["rates"]}
    return round(amount * per_eur[base] / per_eur[quote])


def sent_today(world: World, account: str) -> int:
    """Cents `account` has sent by transfer today."""
    today = world["today"]
    return -sum(
        t["amount"]
        for t in world["transactions"]
        if t["account"] == account and t["date"] == today
        if t["category"] == "TRANSFER" and t["amount"] < 0
    )


def build_world(seed: int) -> World:
    """Four people of each name pool; a checking account each (with a month and a half of card
    payments), a savings account for most; some transfers already sent today."""
    rng = random.Random(seed)
    world = World(
        today=TODAY,
        accounts=[],
        transactions=[],
        rates={
            "USD": rng.randint(10_400, 11_600) / 10_000,
            "GBP": rng.randint(8_200, 8_900) / 10_000,
        },
        next_tx=rng.randint(10_000, 50_000),
    )
    people = [*rng.sample(PEOPLE["train"], 4), *rng.sample(PEOPLE["test"], 4)]
    numbers = iter(rng.sample(range(100_000, 1_000_000), 2 * len(people)))
    for name in people:
        checking = AccountRow(
            id=f"ACC-{next(numbers)}",
            owner=stored_name(name),
            type="checking",
            currency="EUR",
            balance=rng.randint(150_000, 600_000),
        )
        world["accounts"].append(checking)
        _card_payments(world, rng, checking["id"])
        if rng.random() < 0.7:
            savings = AccountRow(
                id=f"ACC-{next(numbers)}",
                owner=stored_name(name),
                type="savings",
                currency="EUR",
                balance=rng.randint(300_000, 2_500_000),
            )
            world["accounts"].append(savings)
        if rng.random() < 0.4:
            amount = rng.randint(10, 60) * 1_000
            memo = f"Transfer to J. Smith {money(amount)} EUR"
            _record(world, checking["id"], TODAY, -amount, category="TRANSFER", memo=memo)
    world["transactions"].sort(key=lambda t: (t["date"], t["id"]), reverse=True)
    return world


def _card_payments(world: World, rng: random.Random, account: str) -> None:
    days = [f"2026-02-{d:02d}" for d in range(1, 29)] + [f"2026-03-{d:02d}" for d in range(1, 16)]
    salary = rng.randint(250_000, 400_000)
    _record(world, account, "2026-02-27", salary, category="INCOME", memo="Salary")
    for day in sorted(rng.sample(days, rng.randint(12, 16))):
        category = rng.choice(list(MERCHANTS))
        cents = rng.randint(300, 12_000)
        merchant = rng.choice(MERCHANTS[category])
        memo = f"Card payment {money(cents)} EUR at {merchant}"
        _record(world, account, day, -cents, category=category, memo=memo)


def _record(world: World, account: str, day: str, amount: int, *, category: str, memo: str) -> None:
    world["transactions"].append(
        TransactionRow(
            id=f"T{world['next_tx']}",
            account=account,
            date=day,
            amount=amount,
            category=category,
            memo=memo,
        )
    )
    world["next_tx"] += 1


def as_json(world: World) -> dict[str, JsonValue]:
    """The world as the JSON object a `JsonSession` holds."""
    return cast(dict[str, JsonValue], world)


def as_world(data: dict[str, JsonValue]) -> World:
    """A session's (or verifier state's) JSON object read as a world."""
    return cast(World, data)
