"""The seeded world of `sqlbase`: a small shop database (customers, products, orders, an order
status lookup) whose table and column names, timestamp unit, name format and city casing vary
with the seed.

The logical data (`World.customers`, `.products`, `.orders`) is what tasks and the verifier reason
about; `World.tables()` renders it under the seed's physical schema, which is what the server
stores and serves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from pydantic import JsonValue

YEAR = 2024
"""Every order is placed in this year (UTC)."""

CITIES = (
    "Oslo", "Lyon", "Porto", "Graz", "Turku", "Ghent",
    "Malmo", "Cork", "Split", "Brno", "Bergen", "Tartu",
)  # fmt: skip
TRAIN_CITIES = CITIES[:8]
TEST_CITIES = CITIES[8:]
"""Cities only ever asked about in the test split (held-out values)."""

CATEGORIES = ("garden", "kitchen", "office", "toys", "audio")
TRAIN_CATEGORIES = CATEGORIES[:3]
TEST_CATEGORIES = CATEGORIES[3:]

PRODUCTS = {
    "garden": ("Hose Reel", "Trowel", "Seed Tray", "Rain Gauge"),
    "kitchen": ("Whisk", "Skillet", "Spice Rack", "Kettle"),
    "office": ("Stapler", "Desk Lamp", "Ledger", "Hole Punch"),
    "toys": ("Kite", "Yo-yo", "Puzzle Box"),
    "audio": ("Earbuds", "Tuner", "Subwoofer"),
}

FIRST_NAMES = (
    "Ada", "Bruno", "Clara", "Dmitri", "Elin", "Farah", "Goran", "Hanna", "Ivo", "Jonas",
    "Kaja", "Lars", "Mira", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tove",
)  # fmt: skip
LAST_NAMES = (
    "Lund", "Berg", "Novak", "Moreau", "Silva", "Keller", "Dahl", "Varga", "Horvat", "Costa",
    "Brandt", "Lindqvist", "Ferreira", "Kowal", "Aalto", "Janssen", "Rossi", "Holm",
)  # fmt: skip

STATUSES = ("pending", "paid", "shipped", "refunded", "cancelled")
STATUS_WEIGHTS = (1, 4, 3, 1, 1)

TABLE_NAMES = {
    "customers": ("customers", "clients", "cust"),
    "products": ("products", "catalog", "sku"),
    "orders": ("orders", "purchases", "ord_hdr"),
    "status": ("order_status", "status_codes", "lk_ost"),
}
COLUMN_NAMES = {
    "customers": {
        "id": ("id", "cust_id", "cid"),
        "name": ("name", "full_name", "nm"),
        "city": ("city", "town", "loc"),
    },
    "products": {
        "id": ("id", "product_id", "pid"),
        "name": ("name", "title", "label"),
        "category": ("category", "cat", "grp"),
        "price": ("price_cents", "unit_amt_c", "px_minor"),
    },
    "orders": {
        "id": ("id", "order_id", "oid"),
        "customer": ("customer_id", "cust_ref", "c_id"),
        "product": ("product_id", "sku_ref", "p_id"),
        "qty": ("qty", "quantity", "n_units"),
        "amount": ("amt_c", "total_cents", "amount_minor"),
        "ts": ("ts", "created", "placed_at"),
        "status": ("st", "status", "state_cd"),
    },
    "status": {
        "code": ("code", "id", "st"),
        "label": ("label", "name", "descr"),
    },
}


@dataclass(frozen=True)
class Customer:
    id: int
    first: str
    last: str
    city: str

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    category: str
    price_cents: int


@dataclass(frozen=True)
class Order:
    id: int
    customer_id: int
    product_id: int
    qty: int
    amount_cents: int
    ts: int
    """Unix seconds, UTC."""
    status: str


@dataclass(frozen=True)
class Schema:
    """The physical names and conventions one seed uses."""

    tables: dict[str, str]
    """Logical table -> physical table name."""
    columns: dict[str, dict[str, str]]
    """Logical table -> logical column -> physical column name."""
    ts_unit: str
    """`s` or `ms`: the unit of the order timestamp column."""
    name_format: str
    """`first_last` (`Ada Lovelace`) or `last_first` (`LOVELACE, Ada`)."""
    city_case: str
    """`title`, `upper` or `lower`: how city names are stored."""
    codes: dict[str, int]
    """Status label -> stored code."""
    extra_table: bool
    """Whether a `schema_migrations` table (irrelevant to every task) is present."""

    def store_name(self, customer: Customer) -> str:
        if self.name_format == "first_last":
            return f"{customer.first} {customer.last}"
        return f"{customer.last.upper()}, {customer.first}"

    def store_city(self, city: str) -> str:
        return {"title": city, "upper": city.upper(), "lower": city.lower()}[self.city_case]

    def store_ts(self, ts: int) -> int:
        return ts * 1000 if self.ts_unit == "ms" else ts


@dataclass(frozen=True)
class World:
    seed: int
    schema: Schema
    customers: tuple[Customer, ...]
    products: tuple[Product, ...]
    orders: tuple[Order, ...]

    def customer(self, customer_id: int) -> Customer:
        return next(c for c in self.customers if c.id == customer_id)

    def product(self, product_id: int) -> Product:
        return next(p for p in self.products if p.id == product_id)

    def tables(self) -> dict[str, JsonValue]:
        """The physical tables as JSON: `{name: {"columns": [...], "rows": [[...], ...]}}`."""
        return render_tables(self.schema, self.customers, self.products, self.orders)


def _schema(rng: random.Random) -> Schema:
    tables = {logical: rng.choice(names) for logical, names in TABLE_NAMES.items()}
    columns = {
        table: {col: rng.choice(names) for col, names in cols.items()}
        for table, cols in COLUMN_NAMES.items()
    }
    code_values = rng.sample(range(1, 10), len(STATUSES))
    return Schema(
        tables=tables,
        columns=columns,
        ts_unit=rng.choice(("s", "ms")),
        name_format=rng.choice(("first_last", "last_first")),
        city_case=rng.choice(("title", "upper", "lower")),
        codes=dict(zip(STATUSES, code_values, strict=True)),
        extra_table=rng.random() < 0.5,
    )


@cache
def build_world(seed: int) -> World:
    """The world of `seed`; deterministic, cached (worlds are immutable)."""
    rng = random.Random(f"sqlbase:{seed}")
    schema = _schema(rng)
    names = rng.sample([(f, la) for f in FIRST_NAMES for la in LAST_NAMES], len(CITIES) * 3)
    customers = tuple(
        Customer(id=100 + i, first=first, last=last, city=CITIES[i % len(CITIES)])
        for i, (first, last) in enumerate(names)
    )
    catalog = [(name, cat) for cat, names_ in PRODUCTS.items() for name in names_]
    rng.shuffle(catalog)
    products = tuple(
        Product(id=10 + i, name=name, category=cat, price_cents=rng.randrange(199, 9999, 25))
        for i, (name, cat) in enumerate(sorted(catalog[:13]))
    )
    start = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(YEAR + 1, 1, 1, tzinfo=UTC).timestamp())
    orders: list[Order] = []
    for i in range(240):
        product = rng.choice(products)
        qty = rng.choice((1, 1, 1, 2, 2, 3, 5))
        orders.append(
            Order(
                id=1 + i,
                customer_id=rng.choice(customers).id,
                product_id=product.id,
                qty=qty,
                amount_cents=qty * product.price_cents,
                ts=rng.randrange(start, end),
                status=rng.choices(STATUSES, STATUS_WEIGHTS)[0],
            )
        )
    orders.sort(key=lambda o: o.ts)
    orders = [
        Order(i + 1, o.customer_id, o.product_id, o.qty, o.amount_cents, o.ts, o.status)
        for i, o in enumerate(orders)
    ]
    return World(seed, schema, customers, products, tuple(orders))


def _column(name: str, sql_type: str, pk: bool = False, ref: str | None = None) -> JsonValue:
    return {"name": name, "type": sql_type, "pk": pk, "references": ref}


def render_tables(
    schema: Schema,
    customers: tuple[Customer, ...],
    products: tuple[Product, ...],
    orders: tuple[Order, ...],
) -> dict[str, JsonValue]:
    """Render logical rows under `schema`'s physical names and conventions."""
    t, c = schema.tables, schema.columns
    cc, pc, oc, sc = c["customers"], c["products"], c["orders"], c["status"]
    tables: dict[str, JsonValue] = {
        t["customers"]: {
            "columns": [
                _column(cc["id"], "INTEGER", pk=True),
                _column(cc["name"], "TEXT"),
                _column(cc["city"], "TEXT"),
            ],
            "rows": [[x.id, schema.store_name(x), schema.store_city(x.city)] for x in customers],
        },
        t["products"]: {
            "columns": [
                _column(pc["id"], "INTEGER", pk=True),
                _column(pc["name"], "TEXT"),
                _column(pc["category"], "TEXT"),
                _column(pc["price"], "INTEGER"),
            ],
            "rows": [[p.id, p.name, p.category, p.price_cents] for p in products],
        },
        t["status"]: {
            "columns": [_column(sc["code"], "INTEGER", pk=True), _column(sc["label"], "TEXT")],
            "rows": [[code, label] for label, code in sorted(schema.codes.items(), key=_by_code)],
        },
        t["orders"]: {
            "columns": [
                _column(oc["id"], "INTEGER", pk=True),
                _column(oc["customer"], "INTEGER", ref=f"{t['customers']}.{cc['id']}"),
                _column(oc["product"], "INTEGER", ref=f"{t['products']}.{pc['id']}"),
                _column(oc["qty"], "INTEGER"),
                _column(oc["amount"], "INTEGER"),
                _column(oc["ts"], "INTEGER"),
                _column(oc["status"], "INTEGER", ref=f"{t['status']}.{sc['code']}"),
            ],
            "rows": [
                [
                    o.id,
                    o.customer_id,
                    o.product_id,
                    o.qty,
                    o.amount_cents,
                    schema.store_ts(o.ts),
                    schema.codes[o.status],
                ]
                for o in orders
            ],
        },
    }
    if schema.extra_table:
        tables["schema_migrations"] = {
            "columns": [_column("version", "INTEGER", pk=True), _column("applied", "TEXT")],
            "rows": [[1, "2023-11-02"], [2, "2023-12-14"], [3, "2024-01-09"]],
        }
    return tables


def _by_code(item: tuple[str, int]) -> int:
    return item[1]
