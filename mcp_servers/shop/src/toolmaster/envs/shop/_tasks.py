"""The shop task generator: four kinds of task, train and test splits.

Test tasks name only held-out product kinds (`Kind.held_out`) or held-out price thresholds, on
seeds from a range train never uses. `Task.metadata` restates the prompt's facts in structured
form; `Task.expected` holds what the verifier needs and is never shown to a model.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from typing import Literal

from pydantic import JsonValue
from toolmaster.core import Split, Task
from toolmaster.envs.kit import task_id
from toolmaster.envs.shop._world import CATEGORIES, KINDS, Kind, ShopState, build_state

ENV_NAME = "shop"
VERSION = "v1"

TaskKind = Literal["order_cheapest", "count_under", "cheapest_price", "cancel_order"]
TASK_KINDS: tuple[TaskKind, ...] = (
    "order_cheapest",
    "count_under",
    "cheapest_price",
    "cancel_order",
)
PER_KIND: dict[Split, int] = {"train": 40, "test": 15}
THRESHOLDS: dict[Split, tuple[int, ...]] = {
    "train": (10, 15, 20, 25, 30, 40, 50, 60),
    "test": (12, 18, 35, 45, 55),
}
"""Dollar thresholds of `count_under`: test ones are held out."""
_SEED_RANGE: dict[Split, tuple[int, int]] = {"train": (0, 500_000), "test": (500_000, 1_000_000)}

Drawn = tuple[str, dict[str, JsonValue], dict[str, JsonValue]] | None
"""A prompt with its metadata and expectations, or None to draw again."""


def kinds(split: Split) -> list[Kind]:
    """The product kinds a split's tasks may name."""
    return [k for k in KINDS if k.held_out == (split == "test")]


@cache
def generate(split: Split) -> tuple[Task, ...]:
    """All tasks of `split`, deterministically, in a fixed order."""
    rng = random.Random(f"shop-tasks-{split}")
    draws: dict[TaskKind, Callable[[random.Random, ShopState, Split], Drawn]] = {
        "order_cheapest": _order_cheapest,
        "count_under": _count_under,
        "cheapest_price": _cheapest_price,
        "cancel_order": _cancel_order,
    }
    seeds: set[int] = set()
    prompts: set[str] = set()
    made: list[Task] = []
    for kind in TASK_KINDS:
        count = 0
        while count < PER_KIND[split]:
            seed = rng.randrange(*_SEED_RANGE[split])
            if seed in seeds:
                continue
            state = build_state(seed)
            drawn = draws[kind](rng, state, split)
            if drawn is None or drawn[0] in prompts:
                continue
            prompt, meta, expected = drawn
            meta.update(kind=kind, version=VERSION)
            expected.update(
                kind=kind, orders_before={o["id"]: o["status"] for o in state["orders"]}
            )
            seeds.add(seed)
            prompts.add(prompt)
            made.append(
                Task(
                    id=task_id(ENV_NAME, split, len(made)),
                    prompt=prompt,
                    env=ENV_NAME,
                    split=split,
                    seed=seed,
                    expected=expected,
                    metadata=meta,
                )
            )
            count += 1
    return tuple(made)


def _matching(state: ShopState, kind: Kind, color: str) -> list[tuple[int, str, int]]:
    """(price, id, stock) of the products of `kind` in `color`, cheapest first."""
    return sorted(
        (p["price"], p["id"], p["stock"])
        for p in state["products"].values()
        if p["kind"] == kind.noun and p["color"] == color
    )


def _pick(rng: random.Random, state: ShopState, split: Split) -> tuple[Kind, str]:
    kind = rng.choice(kinds(split))
    colors = sorted({p["color"] for p in state["products"].values() if p["kind"] == kind.noun})
    return kind, rng.choice(colors)


def _order_cheapest(rng: random.Random, state: ShopState, split: Split) -> Drawn:
    kind, color = _pick(rng, state, split)
    quantity = rng.randint(1, 4)
    found = _matching(state, kind, color)
    eligible = [f for f in found if f[2] >= quantity]
    if len(found) < 2 or not eligible:
        return None
    if len(eligible) > 1 and eligible[0][0] == eligible[1][0]:
        return None
    price, product_id, _ = eligible[0]
    if price * quantity > state["balance"]:
        return None
    if any(c["product_id"] in {f[1] for f in found} for c in state["cart"]):
        return None
    noun = kind.noun.lower()
    prompt = (
        f"Order {quantity} units of the cheapest {color} {noun} that has at least {quantity} in "
        "stock."
    )
    meta: dict[str, JsonValue] = {"color": color, "noun": noun, "quantity": quantity}
    return prompt, meta, {"product_id": product_id, "quantity": quantity}


def _count_under(rng: random.Random, state: ShopState, split: Split) -> Drawn:
    slug = rng.choice(sorted(CATEGORIES))
    threshold = rng.choice(THRESHOLDS[split])
    count = sum(
        1
        for p in state["products"].values()
        if p["category"] == slug and p["price"] < threshold * 100
    )
    name = CATEGORIES[slug]
    if rng.random() < 0.5:
        prompt = f"How many products in the {name} category cost less than ${threshold}?"
    else:
        prompt = f"How many {name} products are priced under ${threshold}?"
    meta: dict[str, JsonValue] = {"category": name, "threshold": threshold}
    return prompt, meta, {"count": count}


def _cheapest_price(rng: random.Random, state: ShopState, split: Split) -> Drawn:
    kind, color = _pick(rng, state, split)
    found = _matching(state, kind, color)
    if len(found) < 2:
        return None
    noun = kind.noun.lower()
    prompt = f"What is the price of the cheapest {color} {noun} in the catalog, in dollars?"
    meta: dict[str, JsonValue] = {"color": color, "noun": noun}
    return prompt, meta, {"price": found[0][0] / 100}


def _cancel_order(rng: random.Random, state: ShopState, split: Split) -> Drawn:
    nouns = {k.noun for k in kinds(split)}
    seen: dict[str, int] = {}
    for order in state["orders"]:
        for item in order["items"]:
            seen[item["product_id"]] = seen.get(item["product_id"], 0) + 1
    candidates = [
        (order["id"], item["product_id"])
        for order in state["orders"]
        if order["status"] == "placed"
        for item in order["items"]
        if seen[item["product_id"]] == 1 and state["products"][item["product_id"]]["kind"] in nouns
    ]
    if not candidates:
        return None
    order_id, product_id = rng.choice(candidates)
    name = state["products"][product_id]["name"]
    prompt = f"Cancel my order that contains the {name}."
    meta: dict[str, JsonValue] = {"product": name}
    return prompt, meta, {"order_id": order_id}
