"""The trial phase of the shop teacher: probe search, ids, categories, the cart and (in the
sandbox) ordering and cancelling; slip sometimes; write notes."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue
from toolmaster.core import ToolResult, Turn
from toolmaster.envs.shop._script import error_text, payload

if TYPE_CHECKING:
    from toolmaster.envs.shop._solver import Item, Teacher

Step = Generator[Turn, list[ToolResult], Any]


def trial(teacher: Teacher) -> Step:
    """Trial the tools the task needs, then call `finish_trial` with what was learnt."""
    items = yield from _search(teacher)
    first = items[0]
    details = yield from teacher.product(str(first["id"]), f"Details of {first['name']}.")
    teacher.known.note(
        "get_product",
        f"Returns id, name, category (a slug: {details.get('category')!r}), color, price and "
        f"stock (e.g. {details.get('stock')}).",
    )
    if teacher.kind == "count_under" or teacher.slip(0.3):
        yield from _categories(teacher)
    result = yield from teacher.call("view_cart", {}, "What is in the cart right now?")
    cart = payload(result) or {}
    leftovers = [str(i["name"]) for i in cart.get("items", [])]
    teacher.known.note(
        "view_cart",
        "Returns {items: [{product_id, name, quantity, unit_price}], subtotal}. "
        + (
            f"It was not empty at the start ({', '.join(leftovers)}): check it before ordering."
            if leftovers
            else "It was empty at the start."
        ),
    )
    if teacher.kind in ("order_cheapest", "cancel_order") or teacher.slip(0.3):
        yield from _order_and_cancel(teacher, items)
    if teacher.kind == "cancel_order":
        yield from _orders(teacher)
    if not teacher.known.cents:
        teacher.known.note("search_products", "Prices are integers (e.g. 1299): presumably cents.")
    yield from teacher.script.finish_trial(
        teacher.known.render(), "I know how these tools behave now; writing down what I learnt."
    )


def _search(teacher: Teacher) -> Generator[Turn, list[ToolResult], list[Item]]:
    known = teacher.known
    noun = str(teacher.meta.get("noun", ""))
    say = "These shop tools are new to me; let me try them before doing the task."
    if noun and teacher.slip(0.35):
        result = yield from teacher.call("search_products", {"query": f"{noun}s"}, say)
        if not (payload(result) or {}).get("results"):
            known.words = True
            known.note(
                "search_products",
                f"It matches whole words of product names: {noun + 's'!r} finds nothing, "
                f"{noun!r} works.",
            )
            say = "Nothing for the plural; whole words, then."
    arguments: dict[str, JsonValue] = {"query": noun}
    result = yield from teacher.call("search_products", arguments, say)
    page = payload(result) or {}
    items: list[Item] = list(page.get("results", []))
    token = page.get("next_page_token")
    known.note(
        "search_products",
        f"Returns {{results: [{{id, name, price}}], next_page_token}}; ids look like "
        f"{items[0]['id']!r}; price is an integer ({items[0]['price']} for {items[0]['name']}).",
    )
    if not token:
        return items
    known.note(
        "search_products",
        f"Only {len(items)} results per page (no page size argument); next_page_token is an "
        "opaque string.",
    )
    say = "A page token came back; fetching page two."
    if teacher.slip(0.35):
        bad = yield from teacher.call("search_products", {**arguments, "page_token": "2"}, say)
        known.note(
            "search_products", f'page_token is not a page number: "2" gave "{error_text(bad)}".'
        )
        say = "Page numbers are refused; passing next_page_token back as is."
    result = yield from teacher.call("search_products", {**arguments, "page_token": token}, say)
    more = (payload(result) or {}).get("results", [])
    items.extend(more)
    known.tokens = True
    known.note(
        "search_products",
        "Pass next_page_token back with the same query (and category) for the next page; it is "
        "null on the last page.",
    )
    return items


def _categories(teacher: Teacher) -> Step:
    known = teacher.known
    display = str(teacher.meta.get("category", "Home & Kitchen"))
    if teacher.slip(0.4):
        result = yield from teacher.call(
            "search_products",
            {"query": "", "category": display},
            f"Does `category` take a name like {display!r}?",
        )
        if not (payload(result) or {}).get("results"):
            known.note(
                "search_products",
                f"`category` wants a slug: {display!r} silently returns no results.",
            )
    slug = yield from teacher.slug(display)
    result = yield from teacher.call(
        "search_products", {"query": "", "category": slug}, f"And with the slug {slug!r}."
    )
    if (payload(result) or {}).get("results"):
        known.note(
            "search_products",
            f'query="" with category={slug!r} lists that whole category, a page at a time.',
        )


def _order_and_cancel(teacher: Teacher, items: list[Item]) -> Step:
    known = teacher.known
    say = "Trial calls run in a sandbox, so I can see what ordering does. Adding one item."
    added: Item | None = None
    for item in items[:4]:
        result = yield from teacher.call(
            "add_to_cart", {"product_id": item["id"], "quantity": 1}, say
        )
        if not result.is_error:
            added = item
            known.note(
                "add_to_cart",
                "add_to_cart(product_id, quantity) returns the cart; adding a product already "
                "in the cart adds to its quantity.",
            )
            break
        known.note(
            "add_to_cart",
            f'It refuses more than the stock: "{error_text(result)}".',
        )
        say = "Out of stock; another one."
    if added is None:
        return
    result = yield from teacher.call("place_order", {}, "Now placing the order.")
    receipt = payload(result) or {}
    order = receipt.get("order", {})
    message = str(receipt.get("message", ""))
    known.cents = True
    known.note(
        "place_order",
        f"Orders everything in the cart and charges the account: {added['name']} at price "
        f"{added['price']} came back as {message!r}, so prices are in cents. Returns "
        "{order: {id, status, items, total}, message}; order ids look like "
        f"{order.get('id')!r}.",
    )
    if len(order.get("items", [])) > 1:
        known.note("place_order", "It also ordered what was already in the cart.")
    order_id = str(order.get("id"))
    say = "And cancelling it again."
    if teacher.slip(0.35):
        number = order_id.rsplit("-", maxsplit=1)[-1]
        bad = yield from teacher.call("cancel_order", {"order_id": number}, say)
        known.note("cancel_order", f'Needs the full order id: {number!r} gave "{error_text(bad)}".')
        say = "It wants the full id."
    result = yield from teacher.call("cancel_order", {"order_id": order_id}, say)
    done = payload(result) or {}
    known.note(
        "cancel_order",
        "cancel_order(order_id) sets the status to cancelled and refunds "
        f"({done.get('message')!r}).",
    )


def _orders(teacher: Teacher) -> Step:
    known = teacher.known
    result = yield from teacher.call("list_orders", {}, "Now the existing orders.")
    orders: list[Item] = list((payload(result) or {}).get("orders", []))
    known.note(
        "list_orders",
        "Returns {orders: [{id, status, items: [{product_id, quantity, unit_price}], total}]}; "
        f"statuses seen: {', '.join(sorted({str(o['status']) for o in orders}))}.",
    )
    done = [o for o in orders if o["status"] in ("shipped", "delivered")]
    if done and teacher.slip(0.5):
        result = yield from teacher.call(
            "cancel_order",
            {"order_id": done[0]["id"]},
            f"Can a {done[0]['status']} order be cancelled?",
        )
        known.note("cancel_order", f'Only placed orders can be cancelled: "{error_text(result)}".')
