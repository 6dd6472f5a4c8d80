"""Task generation for `sqlbase`: nine kinds of questions and changes, train and test splits.

Every task has its own state seed (train and test seeds are disjoint) and the test split asks
only about held-out cities, categories and order-id ranges. `Task.metadata["params"]` repeats
what the prompt says in structured form (for the scripted teacher); `Task.expected` is for the
verifier only.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache

from pydantic import JsonValue
from toolmaster.core import Split, Task
from toolmaster.envs.kit import task
from toolmaster.envs.sqlbase._world import (
    TEST_CATEGORIES,
    TEST_CITIES,
    TRAIN_CATEGORIES,
    TRAIN_CITIES,
    YEAR,
    Order,
    World,
    build_world,
)

ENV_NAME = "sqlbase"
PER_KIND = {"train": 18, "test": 6}
SEED_BASE = {"train": 1_000, "test": 50_000}

Params = dict[str, JsonValue]
Expected = dict[str, JsonValue]


class _DegenerateError(Exception):
    """The drawn parameters make a degenerate task; draw again."""


def month_range(month: int) -> tuple[int, int]:
    """Unix seconds of the first instant of `month` of `YEAR` and of the next month."""
    start = datetime(YEAR, month, 1, tzinfo=UTC)
    end = datetime(YEAR + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp())


def _orders_in(world: World, city: str, status: str) -> list[Order]:
    return [
        o for o in world.orders if o.status == status and world.customer(o.customer_id).city == city
    ]


def _cities(split: Split) -> Sequence[str]:
    return TRAIN_CITIES if split == "train" else TEST_CITIES


def _revenue(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    city, month = rng.choice(_cities(split)), rng.randint(1, 12)
    status = rng.choice(("paid", "shipped"))
    start, end = month_range(month)
    cents = sum(o.amount_cents for o in _orders_in(world, city, status) if start <= o.ts < end)
    if cents == 0:
        raise _DegenerateError
    prompt = (
        f"What is the total amount, in dollars, of {status} orders placed by customers in {city} "
        f"in {calendar.month_name[month]} {YEAR} (UTC)?"
    )
    params: Params = {"city": city, "month": month, "status": status}
    return prompt, params, {"kind": "number", "value": cents / 100, "tolerance": 0.005}


def _count(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    city, status = (
        rng.choice(_cities(split)),
        rng.choice(("pending", "paid", "shipped", "refunded")),
    )
    n = len(_orders_in(world, city, status))
    if n == 0:
        raise _DegenerateError
    prompt = f"How many orders from customers in {city} currently have the status '{status}'?"
    return prompt, {"city": city, "status": status}, {"kind": "number", "value": n, "tolerance": 0}


def _order_date(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    order_id = rng.randint(1, 150) if split == "train" else rng.randint(151, len(world.orders))
    order = world.orders[order_id - 1]
    day = datetime.fromtimestamp(order.ts, UTC).date().isoformat()
    prompt = f"On which date (UTC) was order {order_id} placed? Answer as YYYY-MM-DD."
    return prompt, {"order_id": order_id}, {"kind": "date", "value": day}


def _top_customer(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    city, status = rng.choice(_cities(split)), rng.choice(("paid", "shipped"))
    spent: dict[int, int] = {}
    for o in _orders_in(world, city, status):
        spent[o.customer_id] = spent.get(o.customer_id, 0) + o.amount_cents
    ranked = sorted(spent.items(), key=lambda kv: -kv[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        raise _DegenerateError
    winner = world.customer(ranked[0][0])
    prompt = (
        f"Which customer in {city} has spent the most money on {status} orders? "
        "Answer with the customer's full name."
    )
    expected: Expected = {"kind": "name", "first": winner.first, "last": winner.last}
    return prompt, {"city": city, "status": status}, expected


def _category_units(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    categories = TRAIN_CATEGORIES if split == "train" else TEST_CATEGORIES
    category, month = rng.choice(categories), rng.randint(1, 12)
    start, end = month_range(month)
    units = sum(
        o.qty
        for o in world.orders
        if o.status in ("paid", "shipped")
        and start <= o.ts < end
        and world.product(o.product_id).category == category
    )
    if units == 0:
        raise _DegenerateError
    prompt = (
        f"How many units of products in the category '{category}' were sold in "
        f"{calendar.month_name[month]} {YEAR} (UTC)? Count only orders whose status is "
        "'paid' or 'shipped'."
    )
    params: Params = {"category": category, "month": month}
    return prompt, params, {"kind": "number", "value": units, "tolerance": 0}


def _average(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    city, status = rng.choice(_cities(split)), rng.choice(("paid", "shipped"))
    orders = _orders_in(world, city, status)
    if not orders:
        raise _DegenerateError
    mean = sum(o.amount_cents for o in orders) / len(orders) / 100
    prompt = (
        f"What is the average amount, in dollars, of {status} orders from customers in {city}? "
        "Round to the cent."
    )
    params: Params = {"city": city, "status": status}
    return prompt, params, {"kind": "number", "value": round(mean, 4), "tolerance": 0.006}


def _refund(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    city = rng.choice(_cities(split))
    customer = rng.choice([c for c in world.customers if c.city == city])
    ids = [o.id for o in world.orders if o.customer_id == customer.id and o.status == "paid"]
    if not ids:
        raise _DegenerateError
    prompt = (
        f"Customer {customer.full_name} ({city}) gets refunds: mark every one of their orders "
        "that is currently 'paid' as 'refunded'. Change nothing else."
    )
    params: Params = {"first": customer.first, "last": customer.last, "city": city}
    change: Expected = {"op": "set_status", "order_ids": list(ids), "status": "refunded"}
    return prompt, params, {"kind": "state", "change": change}


def _purge(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    month = rng.randint(3, 7) if split == "train" else rng.randint(8, 11)
    cut = month_range(month)[0]
    ids = [o.id for o in world.orders if o.status == "cancelled" and o.ts < cut]
    if not ids:
        raise _DegenerateError
    prompt = (
        f"Delete every cancelled order placed before {calendar.month_name[month]} 1, {YEAR} "
        "(UTC). Leave all other orders alone."
    )
    change: Expected = {"op": "delete_orders", "order_ids": list(ids)}
    return prompt, {"month": month}, {"kind": "state", "change": change}


def _set_price(world: World, rng: random.Random, split: Split) -> tuple[str, Params, Expected]:
    categories = TRAIN_CATEGORIES if split == "train" else TEST_CATEGORIES
    candidates = [p for p in world.products if p.category in categories]
    product = rng.choice(candidates)
    cents = rng.randrange(150, 12_000, 1 if split == "test" else 10)
    if cents == product.price_cents:
        raise _DegenerateError
    prompt = f"Set the price of the product '{product.name}' to ${cents / 100:.2f}."
    params: Params = {"product": product.name, "price": f"{cents / 100:.2f}"}
    change: Expected = {"op": "set_price", "product_id": product.id, "price_cents": cents}
    return prompt, params, {"kind": "state", "change": change}


Generator = Callable[[World, random.Random, Split], tuple[str, Params, Expected]]
KINDS: dict[str, Generator] = {
    "revenue": _revenue,
    "count": _count,
    "order_date": _order_date,
    "top_customer": _top_customer,
    "category_units": _category_units,
    "average": _average,
    "refund": _refund,
    "purge": _purge,
    "set_price": _set_price,
}


def _make(split: Split, index: int) -> Task:
    kind = list(KINDS)[index % len(KINDS)]
    seed = SEED_BASE[split] + index
    world = build_world(seed)
    rng = random.Random(f"sqlbase-task:{split}:{index}")
    for _ in range(200):
        try:
            prompt, params, expected = KINDS[kind](world, rng, split)
        except _DegenerateError:
            continue
        return task(
            ENV_NAME,
            split,
            index,
            seed=seed,
            prompt=prompt,
            expected=expected,
            metadata={"kind": kind, "params": params, "version": "v1"},
        )
    raise RuntimeError(f"no {kind} task fits the world of seed {seed}")


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically, in a fixed order."""
    return tuple(_make(split, i) for i in range(PER_KIND[split] * len(KINDS)))
