"""The shop world: a seeded catalog, earlier orders, a cart and an account, all plain JSON.

Everything here is mutable (stock, orders, cart, balance), so the whole state lives in the
session's `JsonSession`. Money is in integer cents throughout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

from pydantic import JsonValue

CATEGORIES: dict[str, str] = {
    "kitchen": "Home & Kitchen",
    "office": "Office Supplies",
    "apparel": "Clothing",
    "outdoor": "Sports & Outdoors",
    "decor": "Home Decor",
}
"""Category slug -> display name."""

COLORS = ("Blue", "Red", "Green", "Black", "White", "Grey", "Yellow", "Pink")
STYLES = (
    "Classic",
    "Modern",
    "Rustic",
    "Compact",
    "Deluxe",
    "Urban",
    "Nordic",
    "Vintage",
    "Essential",
    "Studio",
    "Coastal",
    "Alpine",
)


@dataclass(frozen=True)
class Kind:
    """A kind of product: its noun, category and price range (whole dollars)."""

    noun: str
    category: str
    low: int
    high: int
    held_out: bool = False
    """Test-split kind: never named by a train task."""


KINDS: tuple[Kind, ...] = (
    Kind("Mug", "kitchen", 6, 25),
    Kind("Teapot", "kitchen", 15, 60),
    Kind("Bowl", "kitchen", 5, 30),
    Kind("Cutting Board", "kitchen", 10, 45),
    Kind("Kettle", "kitchen", 20, 90, held_out=True),
    Kind("Notebook", "office", 3, 20),
    Kind("Pen", "office", 1, 15),
    Kind("Desk Lamp", "office", 15, 80),
    Kind("Stapler", "office", 5, 30, held_out=True),
    Kind("Binder", "office", 2, 15, held_out=True),
    Kind("T-Shirt", "apparel", 8, 35),
    Kind("Hoodie", "apparel", 25, 70),
    Kind("Cap", "apparel", 10, 35),
    Kind("Socks", "apparel", 4, 18),
    Kind("Scarf", "apparel", 10, 45, held_out=True),
    Kind("Water Bottle", "outdoor", 8, 40),
    Kind("Backpack", "outdoor", 25, 120),
    Kind("Flashlight", "outdoor", 8, 50),
    Kind("Tent", "outdoor", 60, 300, held_out=True),
    Kind("Candle", "decor", 5, 35),
    Kind("Cushion", "decor", 12, 45),
    Kind("Picture Frame", "decor", 8, 40),
    Kind("Blanket", "decor", 20, 90),
    Kind("Vase", "decor", 12, 70, held_out=True),
)

OrderStatus = Literal["placed", "shipped", "delivered", "cancelled"]


class ProductRecord(TypedDict):
    id: str
    name: str
    kind: str
    """The noun of its `Kind` (internal: never shown by a tool)."""
    category: str
    color: str
    price: int
    """Cents."""
    stock: int


class LineRecord(TypedDict):
    product_id: str
    quantity: int
    unit_price: int


class OrderRecord(TypedDict):
    id: str
    status: OrderStatus
    items: list[LineRecord]
    total: int


class CartLine(TypedDict):
    product_id: str
    quantity: int


class ShopState(TypedDict):
    products: dict[str, ProductRecord]
    """By id, in catalog order (ascending id)."""
    orders: list[OrderRecord]
    cart: list[CartLine]
    balance: int
    """Cents."""
    next_order: int


def build_state(seed: int) -> ShopState:
    """A fresh state for `seed`: about 150 products, 3-5 earlier orders, maybe a leftover cart."""
    rng = random.Random(f"shop-state-{seed}")
    drafts: list[tuple[str, Kind, str]] = []
    for kind in KINDS:
        colors = rng.sample(COLORS, 3)
        used: dict[str, list[str]] = {c: [] for c in colors}
        for _ in range(rng.randint(5, 8)):
            color = rng.choice(colors)
            style = rng.choice([s for s in STYLES if s not in used[color]])
            used[color].append(style)
            drafts.append((f"{style} {color} {kind.noun}", kind, color))
    ids = sorted(rng.sample(range(1, 100_000), len(drafts)))
    rng.shuffle(drafts)
    products: dict[str, ProductRecord] = {}
    for number, (name, kind, color) in zip(ids, drafts, strict=True):
        product_id = f"P-{number:05d}"
        products[product_id] = {
            "id": product_id,
            "name": name,
            "kind": kind.noun,
            "category": kind.category,
            "color": color.lower(),
            "price": rng.randrange(kind.low, kind.high) * 100 + rng.choice((29, 49, 95, 99)),
            "stock": 0 if rng.random() < 0.2 else rng.randint(1, 15),
        }
    first = rng.randrange(1000, 9000)
    orders = [_order(rng, products, f"O-{first + n}") for n in range(rng.randint(3, 5))]
    if all(o["status"] != "placed" for o in orders):
        orders[-1]["status"] = "placed"
    cart: list[CartLine] = []
    if rng.random() < 0.4:
        leftover = rng.choice([p for p in products.values() if p["stock"] > 0])
        cart.append({"product_id": leftover["id"], "quantity": 1})
    return {
        "products": products,
        "orders": orders,
        "cart": cart,
        "balance": rng.randint(300, 900) * 100,
        "next_order": first + len(orders),
    }


def _order(rng: random.Random, products: dict[str, ProductRecord], order_id: str) -> OrderRecord:
    picked = rng.sample(list(products.values()), rng.randint(1, 2))
    items: list[LineRecord] = [
        {"product_id": p["id"], "quantity": rng.randint(1, 3), "unit_price": p["price"]}
        for p in picked
    ]
    status: OrderStatus = rng.choice(("placed", "placed", "shipped", "delivered"))
    return {
        "id": order_id,
        "status": status,
        "items": items,
        "total": sum(i["quantity"] * i["unit_price"] for i in items),
    }


def dollars(cents: int) -> str:
    """`1299` -> `"$12.99"`."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def as_json(state: ShopState) -> dict[str, JsonValue]:
    """The state as the JSON object a `JsonSession` holds."""
    return cast(dict[str, JsonValue], state)


def as_state(data: dict[str, JsonValue]) -> ShopState:
    """A `JsonSession`'s JSON object read as the shop state (the session only ever holds one)."""
    return cast(ShopState, data)
