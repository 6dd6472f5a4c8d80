"""How the `sqlbase` teacher executes each kind of task once it knows the schema.

In direct mode (`Plan.naive`) it first writes literals the way the prompt spells them and
milliseconds-unaware dates, and recovers when the result comes back empty or NULL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from toolmaster.core import Task, ToolResult
from toolmaster.envs.kit import Returning, Step
from toolmaster.envs.sqlbase._knowledge import Knowledge
from toolmaster.envs.sqlbase._lookups import Lookups
from toolmaster.envs.sqlbase._reading import affected_of, first_value, table_of
from toolmaster.envs.sqlbase._tasks import month_range


@dataclass(frozen=True)
class Plan:
    task: Task
    k: Knowledge
    naive: bool

    @property
    def kind(self) -> str:
        return str(self.task.metadata["kind"])

    @property
    def params(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.task.metadata["params"])


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rows(result: ToolResult) -> list[list[Any]]:
    return table_of(result).rows


def _first(result: ToolResult) -> Any:
    return first_value(result)


def _join_customers(k: Knowledge) -> str:
    return (
        f"FROM {k.t('orders')} o JOIN {k.t('customers')} c "
        f"ON c.{k.c('customers', 'id')} = o.{k.c('orders', 'customer')}"
    )


def _city_scalar(t: Lookups, plan: Plan, say: str, build: Callable[[str], str]) -> Step:
    """Run the query built for the city literal; on an empty answer, fix the spelling."""
    city = str(plan.params["city"])
    literal = city if plan.naive else plan.k.city(city)
    (result,) = yield from t.sql(say, build(literal))
    value = _first(result)
    if value in (None, 0):
        if not plan.k.cities:
            yield from t.look_at_cities()
        literal = plan.k.city(city)
        (result,) = yield from t.sql(
            f"Nothing matched {city!r}; the table spells it {literal!r}. Again:", build(literal)
        )
        value = _first(result)
    return value


def _status_filter(k: Knowledge, status: str) -> str:
    return f"o.{k.c('orders', 'status')} = {k.codes[status]}"


def _month_filter(k: Knowledge, month: int) -> str:
    start, end = month_range(month)
    ts = k.c("orders", "ts")
    return f"o.{ts} >= {k.ts(start)} AND o.{ts} < {k.ts(end)}"


def _revenue(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    amount, city = k.c("orders", "amount"), k.c("customers", "city")

    def build(lit: str) -> str:
        return (
            f"SELECT SUM(o.{amount}) {_join_customers(k)} WHERE c.{city} = {_q(lit)} AND "
            f"{_status_filter(k, p['status'])} AND {_month_filter(k, p['month'])}"
        )

    cents = yield from _city_scalar(t, plan, "Summing the amounts (cents) with a join.", build)
    return f"The total is ${int(cents) / 100:,.2f}."


def _count(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    city = k.c("customers", "city")

    def build(lit: str) -> str:
        return (
            f"SELECT COUNT(*) {_join_customers(k)} WHERE c.{city} = {_q(lit)} AND "
            f"{_status_filter(k, p['status'])}"
        )

    n = yield from _city_scalar(t, plan, "Counting with the status code.", build)
    return f"{n} orders."


def _average(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    amount, city = k.c("orders", "amount"), k.c("customers", "city")

    def build(lit: str) -> str:
        return (
            f"SELECT AVG(o.{amount}) {_join_customers(k)} WHERE c.{city} = {_q(lit)} AND "
            f"{_status_filter(k, p['status'])}"
        )

    cents = yield from _city_scalar(t, plan, "Averaging the amounts (cents).", build)
    return f"The average is ${float(cents) / 100:.2f}."


def _top_customer(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    amount, city = k.c("orders", "amount"), k.c("customers", "city")
    name, cid = k.c("customers", "name"), k.c("customers", "id")

    def build(lit: str) -> str:
        return (
            f"SELECT c.{name}, SUM(o.{amount}) AS spent {_join_customers(k)} WHERE "
            f"c.{city} = {_q(lit)} AND {_status_filter(k, p['status'])} GROUP BY c.{cid} "
            "ORDER BY spent DESC LIMIT 2"
        )

    stored = yield from _city_scalar(t, plan, "Ranking the customers by spend.", build)
    return Knowledge.display_name(str(stored))


def _category_units(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    codes = f"{k.codes['paid']}, {k.codes['shipped']}"
    sql = (
        f"SELECT SUM(o.{k.c('orders', 'qty')}) FROM {k.t('orders')} o JOIN {k.t('products')} p "
        f"ON p.{k.c('products', 'id')} = o.{k.c('orders', 'product')} WHERE "
        f"p.{k.c('products', 'category')} = {_q(p['category'])} AND "
        f"o.{k.c('orders', 'status')} IN ({codes}) AND {_month_filter(k, p['month'])}"
    )
    (result,) = yield from t.sql("Summing the units with the product join.", sql)
    return f"{_first(result)} units."


def _order_date(t: Lookups, plan: Plan) -> Returning[str]:
    k, order_id = plan.k, plan.params["order_id"]
    ts, oid = k.c("orders", "ts"), k.c("orders", "id")
    scale = "" if plan.naive or not k.ts_ms else "/1000"
    sql = f"SELECT date({ts}{scale}, 'unixepoch') FROM {k.t('orders')} WHERE {oid} = {order_id}"
    (result,) = yield from t.sql("Converting the timestamp to a date.", sql)
    day = _first(result)
    if day is None:
        sql = f"SELECT date({ts}/1000, 'unixepoch') FROM {k.t('orders')} WHERE {oid} = {order_id}"
        (result,) = yield from t.sql("NULL: the timestamp is in milliseconds. Again:", sql)
        day = _first(result)
    return f"Order {order_id} was placed on {day}."


def _refund(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    cust, cid, name = k.t("customers"), k.c("customers", "id"), k.c("customers", "name")
    literal = f"{p['first']} {p['last']}" if plan.naive else k.stored_name(p["first"], p["last"])
    find = f"SELECT {cid}, {name} FROM {cust} WHERE {name} = "
    (result,) = yield from t.sql("Finding the customer.", find + _q(literal))
    if not _rows(result):
        literal = k.stored_name(p["first"], p["last"])
        (result,) = yield from t.sql(
            f"No row; names are stored like {literal!r}.", find + _q(literal)
        )
    customer_id = _first(result)
    orders, st = k.t("orders"), k.c("orders", "status")
    where = f"{k.c('orders', 'customer')} = {customer_id} AND {st} = {k.codes['paid']}"
    (result,) = yield from t.sql(
        "How many paid orders?", f"SELECT COUNT(*) FROM {orders} WHERE {where}"
    )
    (result,) = yield from t.sql(
        f"Updating those {_first(result)} orders to the refunded code.",
        f"UPDATE {orders} SET {st} = {k.codes['refunded']} WHERE {where}",
        tool="execute",
    )
    return f"Marked {_affected(result)} paid orders of {p['first']} {p['last']} as refunded."


def _purge(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    orders, st, ts = k.t("orders"), k.c("orders", "status"), k.c("orders", "ts")
    cut = k.ts(month_range(int(p["month"]))[0])
    where = f"{st} = {k.codes['cancelled']} AND {ts} < {cut}"
    (result,) = yield from t.sql(
        "Checking what would go.", f"SELECT COUNT(*) FROM {orders} WHERE {where}"
    )
    (result,) = yield from t.sql(
        f"Deleting those {_first(result)} orders.", f"DELETE FROM {orders} WHERE {where}", "execute"
    )
    return f"Deleted {_affected(result)} cancelled orders."


def _set_price(t: Lookups, plan: Plan) -> Returning[str]:
    k, p = plan.k, plan.params
    products, pid = k.t("products"), k.c("products", "id")
    name, price = k.c("products", "name"), k.c("products", "price")
    (result,) = yield from t.sql(
        "Finding the product.",
        f"SELECT {pid}, {price} FROM {products} WHERE {name} = {_q(p['product'])}",
    )
    product_id = _first(result)
    cents = round(float(p["price"]) * 100)
    (result,) = yield from t.sql(
        f"Prices are in cents: ${p['price']} is {cents}.",
        f"UPDATE {products} SET {price} = {cents} WHERE {pid} = {product_id}",
        tool="execute",
    )
    return f"Set the price of {p['product']} to ${p['price']} ({_affected(result)} row updated)."


def _affected(result: ToolResult) -> int:
    return affected_of(result)


_HANDLERS: dict[str, Callable[[Lookups, Plan], Returning[str]]] = {
    "revenue": _revenue,
    "count": _count,
    "average": _average,
    "top_customer": _top_customer,
    "category_units": _category_units,
    "order_date": _order_date,
    "refund": _refund,
    "purge": _purge,
    "set_price": _set_price,
}


def execute_plan(t: Lookups, plan: Plan) -> Returning[str]:
    """Carry out `plan`; returns the final answer text."""
    return (yield from _HANDLERS[plan.kind](t, plan))
