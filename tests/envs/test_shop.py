"""The shop environment: tasks, verifier, reference solver, server conventions, stdio."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp import Client
from toolmaster.core import Split, Task
from toolmaster.envs.kit import JsonSession
from toolmaster.envs.shop import ENV
from toolmaster.envs.shop._tasks import THRESHOLDS, generate
from toolmaster.envs.shop._verify import pick_count, pick_dollars
from toolmaster.envs.shop._world import KINDS, build_state

from tests.envs.common import Blindfolded
from tests.envs.driver import run_solver

pytestmark = pytest.mark.anyio


def _task(kind: str, split: Split = "train", index: int = 0) -> Task:
    return [t for t in ENV.tasks(split) if t.metadata["kind"] == kind][index]


async def _calls(session: JsonSession, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """Make `calls` in order against the session's server; return their results."""
    results: list[Any] = []
    async with Client(session.server) as client:
        for name, arguments in calls:
            results.append(await client.call_tool(name, arguments))
    return results


def _text(result: Any) -> str:
    return str(result.content[0].text)


# ---------------------------------------------------------------- the environment object


# ---------------------------------------------------------------- tasks


def test_prompts_are_distinct_and_tasks_name_their_kind() -> None:
    everything = ENV.tasks("train") + ENV.tasks("test")
    assert len({t.prompt for t in everything}) == len(everything)
    for task in everything:
        assert task.expected["kind"] == task.metadata["kind"]


def test_test_split_uses_held_out_products_and_thresholds() -> None:
    held_out = {k.noun.lower() for k in KINDS if k.held_out}

    def noun(task: Task) -> str:
        if "noun" in task.metadata:
            return str(task.metadata["noun"])
        product = str(task.metadata["product"]).lower()
        return next(n for n in sorted({k.noun.lower() for k in KINDS}) if product.endswith(n))

    for split in ("train", "test"):
        for task in ENV.tasks(split):
            if task.metadata["kind"] == "count_under":
                assert task.metadata["threshold"] in THRESHOLDS[split]
            else:
                assert (noun(task) in held_out) == (split == "test"), task.prompt
    assert set(THRESHOLDS["train"]).isdisjoint(THRESHOLDS["test"])


def test_tasks_and_states_are_deterministic() -> None:
    for split in ("train", "test"):
        assert list(generate.__wrapped__(split)) == ENV.tasks(split)
    assert build_state(5) == build_state(5)
    assert build_state(5) != build_state(6)
    assert ENV.open(seed=5).state() == build_state(5)


# ---------------------------------------------------------------- the server


async def test_tool_annotations_are_truthful() -> None:
    async with Client(ENV.open(seed=1).server) as client:
        tools = {t.name: t.annotations for t in (await client.list_tools()).tools}
    read_only = {
        "search_products",
        "get_product",
        "list_categories",
        "view_cart",
        "list_orders",
        "get_account",
    }
    destructive = {"remove_from_cart", "place_order", "cancel_order"}
    assert set(tools) == read_only | destructive | {"add_to_cart"}
    for name, notes in tools.items():
        assert notes is not None
        assert notes.read_only_hint is (name in read_only), name
        if name not in read_only:
            assert notes.destructive_hint is (name in destructive), name


async def test_an_empty_search_lists_the_catalog_and_the_account_is_in_dollars() -> None:
    state = build_state(1)
    page, account = await _calls(
        ENV.open(seed=1), ("search_products", {"query": ""}), ("get_account", {})
    )
    assert [r["id"] for r in page.structured_content["results"]] == list(state["products"])[:5]
    assert account.structured_content == {"balance": state["balance"], "currency": "USD"}


async def test_search_pages_with_opaque_tokens() -> None:
    session = ENV.open(seed=2)
    mugs = [p for p in build_state(2)["products"].values() if p["kind"] == "Mug"]
    first, mugs_plural, bad = await _calls(
        session,
        ("search_products", {"query": "mug"}),
        ("search_products", {"query": "mugs"}),
        ("search_products", {"query": "mug", "page_token": "2"}),
    )
    page = first.structured_content
    assert len(page["results"]) == 5
    assert page["results"][0] == {
        "id": mugs[0]["id"],
        "name": mugs[0]["name"],
        "price": mugs[0]["price"],
    }
    assert isinstance(page["results"][0]["price"], int)
    token = page["next_page_token"]
    assert token
    assert mugs_plural.structured_content == {"results": [], "next_page_token": None}
    assert bad.is_error
    assert "invalid page_token" in _text(bad)
    second, other_query = await _calls(
        session,
        ("search_products", {"query": "MUG", "page_token": token}),
        ("search_products", {"query": "bowl", "page_token": token}),
    )
    assert [r["id"] for r in second.structured_content["results"]] == [p["id"] for p in mugs[5:10]]
    assert other_query.is_error


async def test_categories_ids_stock_and_cents_show_up_only_when_tried() -> None:
    session = ENV.open(seed=3)
    state = build_state(3)
    product = next(p for p in state["products"].values() if p["stock"] > 0)
    number = str(int(product["id"][2:]))
    by_name, by_slug, by_number, too_many = await _calls(
        session,
        ("search_products", {"query": "", "category": "Home & Kitchen"}),
        ("search_products", {"query": "", "category": "kitchen"}),
        ("get_product", {"product_id": number}),
        ("add_to_cart", {"product_id": product["id"], "quantity": product["stock"] + 1}),
    )
    assert by_name.structured_content["results"] == []
    assert len(by_slug.structured_content["results"]) == 5
    assert by_number.is_error
    assert "not found" in _text(by_number)
    assert too_many.is_error
    assert f"({product['stock']} available)" in _text(too_many)
    session.data["cart"] = []
    _, placed = await _calls(
        session,
        ("add_to_cart", {"product_id": product["id"], "quantity": 1}),
        ("place_order", {}),
    )
    cents = product["price"]
    assert placed.structured_content["order"]["total"] == cents
    assert f"Charged ${cents // 100}.{cents % 100:02d}." in placed.structured_content["message"]


async def test_orders_charge_restock_and_cancel() -> None:
    session = ENV.open(seed=4)
    state = build_state(4)
    product = next(p for p in state["products"].values() if p["stock"] >= 2)
    session.data["cart"] = []
    shipped = next((o for o in state["orders"] if o["status"] != "placed"), None)
    _, placed = await _calls(
        session,
        ("add_to_cart", {"product_id": product["id"], "quantity": 2}),
        ("place_order", {}),
    )
    order_id = placed.structured_content["order"]["id"]
    after = session.state()
    assert after["balance"] == state["balance"] - 2 * product["price"]
    assert after["products"][product["id"]]["stock"] == product["stock"] - 2  # type: ignore[index]
    assert after["cart"] == []
    no_prefix, cancelled, again, empty = await _calls(
        session,
        ("cancel_order", {"order_id": order_id.removeprefix("O-")}),
        ("cancel_order", {"order_id": order_id}),
        ("cancel_order", {"order_id": order_id}),
        ("place_order", {}),
    )
    assert no_prefix.is_error
    assert cancelled.structured_content["order"]["status"] == "cancelled"
    assert again.is_error
    assert empty.is_error
    assert session.state()["balance"] == state["balance"]
    if shipped is not None:
        (refused,) = await _calls(session, ("cancel_order", {"order_id": shipped["id"]}))
        assert refused.is_error
        assert "cannot be cancelled" in _text(refused)


async def test_snapshot_and_restore_undo_an_order() -> None:
    session = ENV.open(seed=5)
    before = session.state()
    snapshot = session.snapshot()
    product = next(p for p in build_state(5)["products"].values() if p["stock"] > 1)
    await _calls(
        session,
        ("add_to_cart", {"product_id": product["id"], "quantity": 1}),
        ("place_order", {}),
    )
    assert session.state() != before
    session.restore(snapshot)
    assert session.state() == before
    (orders,) = await _calls(session, ("list_orders", {}))
    assert len(orders.structured_content["orders"]) == len(build_state(5)["orders"])


# ---------------------------------------------------------------- the verifier


@pytest.mark.parametrize(
    ("text", "dollars"),
    [
        ("It costs $12.99.", 12.99),
        ("12.99 USD", 12.99),
        ("The Classic Blue Mug (P-04213) is $7.49", 7.49),
        ("1299 cents", 12.99),
        ("US$1,234.50", 1234.50),
        ("about 8.95", 8.95),
        ("no idea", None),
    ],
)
def test_dollar_amounts_are_read_tolerantly(text: str, dollars: float | None) -> None:
    assert pick_dollars(text) == dollars


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("7 of the 31 products in Clothing cost less than $20.", 7),
        ("Under $15 there are 3.", 3),
        ("None of them.", 0),
        ("I don't know", None),
    ],
)
def test_counts_are_read_tolerantly(text: str, count: int | None) -> None:
    assert pick_count(text) == count


def _state(task: Task) -> dict[str, Any]:
    return copy.deepcopy(dict(build_state(task.seed or 0)))


def _add_order(state: dict[str, Any], lines: dict[str, int], status: str = "placed") -> None:
    items = [
        {"product_id": p, "quantity": q, "unit_price": state["products"][p]["price"]}
        for p, q in lines.items()
    ]
    state["orders"].append(
        {
            "id": f"O-{state['next_order']}",
            "status": status,
            "items": items,
            "total": sum(i["quantity"] * i["unit_price"] for i in items),
        }
    )
    state["next_order"] += 1


def test_verifier_checks_the_order_exactly() -> None:
    task = _task("order_cheapest")
    product, quantity = str(task.expected["product_id"]), int(task.expected["quantity"])  # type: ignore[arg-type]
    other = next(p for p in _state(task)["products"] if p != product)

    def judged(*orders: tuple[dict[str, int], str]) -> bool:
        state = _state(task)
        for lines, status in orders:
            _add_order(state, lines, status)
        return ENV.verify(task, "done", state).passed

    assert judged(({product: quantity}, "placed"))
    assert not judged()
    assert not judged(({product: quantity + 1}, "placed"))
    assert not judged(({other: quantity}, "placed"))
    assert not judged(({product: quantity, other: 1}, "placed"))
    assert not judged(({product: quantity}, "placed"), ({other: 1}, "placed"))
    assert not judged(({product: quantity}, "placed"), ({other: 1}, "cancelled"))
    assert not judged(({product: quantity}, "cancelled"))
    changed = _state(task)
    _add_order(changed, {product: quantity})
    changed["orders"][0]["status"] = (
        "cancelled" if changed["orders"][0]["status"] == "placed" else "placed"
    )
    assert not ENV.verify(task, "done", changed).passed


def test_verifier_checks_the_cancellation() -> None:
    task = _task("cancel_order")
    target = str(task.expected["order_id"])
    right = _state(task)
    next(o for o in right["orders"] if o["id"] == target)["status"] = "cancelled"
    assert ENV.verify(task, "done", right).passed
    assert not ENV.verify(task, "done", _state(task)).passed
    wrong = _state(task)
    placed = [o for o in wrong["orders"] if o["status"] == "placed" and o["id"] != target]
    next(o for o in wrong["orders"] if o["id"] == target)["status"] = "cancelled"
    if placed:
        placed[0]["status"] = "cancelled"
        assert not ENV.verify(task, "done", wrong).passed
    extra = copy.deepcopy(right)
    _add_order(extra, {next(iter(extra["products"])): 1})
    assert not ENV.verify(task, "done", extra).passed


def test_verifier_checks_answers_and_that_nothing_was_ordered() -> None:
    count_task = _task("count_under")
    count = int(count_task.expected["count"])  # type: ignore[arg-type]
    threshold = count_task.metadata["threshold"]
    state = _state(count_task)
    assert ENV.verify(count_task, f"{count} products cost less than ${threshold}.", state).passed
    assert not ENV.verify(count_task, f"{count + 1} products.", state).passed
    assert not ENV.verify(count_task, None, state).passed
    ordered = _state(count_task)
    _add_order(ordered, {next(iter(ordered["products"])): 1})
    assert not ENV.verify(count_task, f"{count}", ordered).passed

    price_task = _task("cheapest_price")
    price = float(price_task.expected["price"])  # type: ignore[arg-type]
    state = _state(price_task)
    assert ENV.verify(price_task, f"It is ${price:.2f}.", state).passed
    assert ENV.verify(price_task, f"{round(price * 100)} cents", state).passed
    assert not ENV.verify(price_task, f"{round(price * 100)}", state).passed
    assert not ENV.verify(price_task, f"${price + 1:.2f}", state).passed
    assert not ENV.verify(price_task, "cheap", state).passed


# ---------------------------------------------------------------- the reference solver


async def test_solver_trials_destructive_tools_in_the_sandbox_then_executes() -> None:
    for index in range(3):
        task = _task("order_cheapest", "test", index)
        run = await run_solver(Blindfolded(ENV), task, mode="trial", seed=index)  # type: ignore[arg-type]
        assert run.verdict.passed, run.verdict
        calls = [c for t in run.turns for c in t.tool_calls]
        finish = next(i for i, c in enumerate(calls) if c.tool == "finish_trial")
        trial_tools = {c.tool for c in calls[:finish]}
        assert {"search_products", "add_to_cart", "place_order"} <= trial_tools
        assert all(c.phase == "trial" for c in calls[: finish + 1])
        assert all(c.phase == "execute" for c in calls[finish + 1 :])
        notes = str(calls[finish].arguments["notes"])
        assert "cents" in notes
        assert "next_page_token" in notes
        assert [c.tool for c in calls[finish + 1 :]].count("place_order") == 1
        direct = await run_solver(Blindfolded(ENV), task, mode="direct", seed=index)  # type: ignore[arg-type]
        assert direct.verdict.passed, direct.verdict
        assert direct.trial_calls == 0
