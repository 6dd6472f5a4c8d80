"""The trial phase of the shop teacher: probe search, ids, categories, the cart and (in the
sandbox) ordering and cancelling; slip sometimes; write notes.

Each task kind plans the probes it needs; slips and extra probes happen only where the trial
budget leaves room beside them (`Lookups.may`).
"""

from __future__ import annotations

from pydantic import JsonValue
from toolmaster.envs.kit import Returning, Step, error_text, payload
from toolmaster.envs.shop._lookups import Item, Lookups

PLANNED = {"order_cheapest": 6, "cheapest_price": 3, "count_under": 4, "cancel_order": 4}
"""Planned trial calls per task kind: search and its second page, get_product, then
order_cheapest: view_cart, add_to_cart, place_order; count_under: list_categories (instead
of a plain search); cancel_order: list_orders and cancel_order (get_product optional)."""


def trial(teacher: Lookups) -> Step:
    """Trial the tools the task needs, then call `finish_trial` with what was learnt."""
    kind, known = teacher.kind, teacher.known
    teacher.need = PLANNED[kind]
    if kind == "count_under":
        items = yield from _categories(teacher)
    else:
        items = yield from _search(teacher)
    details: Item = {}
    if kind != "cancel_order" or teacher.may(0.6):
        if kind == "cancel_order":
            teacher.need += 1
        details = yield from teacher.product(str(items[0]["id"]), f"Details of {items[0]['name']}.")
        known.notes.add(
            "get_product",
            f"Returns id, name, category (a slug: {details.get('category')!r}), color, price "
            f"and stock (e.g. {details.get('stock')}).",
        )
    if kind == "order_cheapest" or teacher.may(0.5):
        if kind == "order_cheapest":
            teacher.planned()
        yield from _cart(teacher)
    if kind == "order_cheapest":
        yield from _order(teacher, items, details)
    elif kind == "cancel_order":
        yield from _cancel(teacher)
    elif teacher.may(0.3, extra=1):
        teacher.need += 2
        yield from _order(teacher, items, details)
    if not known.cents:
        known.notes.add("search_products", "Prices are integers (e.g. 1299): presumably cents.")
    yield from teacher.script.finish_trial(
        known.notes.render(), "I know how these tools behave now; writing down what I learnt."
    )


def _search(teacher: Lookups) -> Returning[list[Item]]:
    known = teacher.known
    noun = str(teacher.meta.get("noun", ""))
    say = "These shop tools are new to me; let me try them before doing the task."
    if noun and teacher.may(0.35):
        result = yield from teacher.call("search_products", {"query": f"{noun}s"}, say)
        if not (payload(result) or {}).get("results"):
            known.words = True
            known.notes.add(
                "search_products",
                f"It matches whole words of product names: {noun + 's'!r} finds nothing, "
                f"{noun!r} works.",
            )
            say = "Nothing for the plural; whole words, then."
    return (yield from _pages(teacher, {"query": noun}, say))


def _pages(teacher: Lookups, arguments: dict[str, JsonValue], say: str) -> Returning[list[Item]]:
    """A search and its second page (both planned), noting how paging works."""
    known = teacher.known
    teacher.planned()
    result = yield from teacher.call("search_products", arguments, say)
    page = payload(result) or {}
    items: list[Item] = list(page.get("results", []))
    token = page.get("next_page_token")
    known.notes.add(
        "search_products",
        f"Returns {{results: [{{id, name, price}}], next_page_token}}; ids look like "
        f"{items[0]['id']!r}; price is an integer ({items[0]['price']} for {items[0]['name']}).",
    )
    if not token:
        teacher.planned()  # no second page: free the room it would have taken
        return items
    known.notes.add(
        "search_products",
        f"Only {len(items)} results per page (no page size argument); next_page_token is an "
        "opaque string.",
    )
    say = "A page token came back; fetching page two."
    if teacher.may(0.35):
        bad = yield from teacher.call("search_products", {**arguments, "page_token": "2"}, say)
        known.notes.add(
            "search_products", f'page_token is not a page number: "2" gave "{error_text(bad)}".'
        )
        say = "Page numbers are refused; passing next_page_token back as is."
    teacher.planned()
    result = yield from teacher.call("search_products", {**arguments, "page_token": token}, say)
    items.extend((payload(result) or {}).get("results", []))
    known.tokens = True
    known.notes.add(
        "search_products",
        "Pass next_page_token back with the same query (and category) for the next page; it is "
        "null on the last page.",
    )
    return items


def _categories(teacher: Lookups) -> Returning[list[Item]]:
    display = str(teacher.meta["category"])
    slug = yield from teacher.slug(display)
    items = yield from _pages(
        teacher, {"query": "", "category": slug}, f"Listing the {slug!r} category."
    )
    teacher.known.notes.add(
        "search_products",
        f'query="" with category={slug!r} lists that whole category, a page at a time.',
    )
    return items


def _cart(teacher: Lookups) -> Step:
    result = yield from teacher.call("view_cart", {}, "What is in the cart right now?")
    leftovers = [str(i["name"]) for i in (payload(result) or {}).get("items", [])]
    teacher.known.notes.add(
        "view_cart",
        "Returns {items: [{product_id, name, quantity, unit_price}], subtotal}. "
        + (
            f"It was not empty at the start ({', '.join(leftovers)}): check it before ordering."
            if leftovers
            else "It was empty at the start."
        ),
    )


def _order(teacher: Lookups, items: list[Item], details: Item) -> Step:
    """add_to_cart, place_order and (room allowing) cancel_order, in the sandbox."""
    known = teacher.known
    say = "Trial calls run in a sandbox, so I can see what ordering does. Adding one item."
    candidates = items if details.get("stock", 1) else items[1:]
    added: Item | None = None
    for item in candidates:
        teacher.planned()
        result = yield from teacher.call(
            "add_to_cart", {"product_id": item["id"], "quantity": 1}, say
        )
        if not result.is_error:
            added = item
            known.notes.add(
                "add_to_cart",
                "add_to_cart(product_id, quantity) returns the cart; adding a product already "
                "in the cart adds to its quantity.",
            )
            break
        known.notes.add("add_to_cart", f'It refuses more than the stock: "{error_text(result)}".')
        if not teacher.script.spare(teacher.need):
            break
        teacher.need += 1  # another try takes the place of the one just made
        say = "Out of stock; another one."
    if added is None:
        teacher.planned()  # no order to place
        return
    teacher.planned()
    result = yield from teacher.call("place_order", {}, "Now placing the order.")
    receipt = payload(result) or {}
    order = receipt.get("order", {})
    message = str(receipt.get("message", ""))
    known.cents = True
    known.notes.add(
        "place_order",
        f"Orders everything in the cart and charges the account: {added['name']} at price "
        f"{added['price']} came back as {message!r}, so prices are in cents. Returns "
        "{order: {id, status, items, total}, message}; order ids look like "
        f"{order.get('id')!r}.",
    )
    if len(order.get("items", [])) > 1:
        known.notes.add("place_order", "It also ordered what was already in the cart.")
    if teacher.may(0.6):
        teacher.need += 1  # the cancel_order call of _cancel_one
        yield from _cancel_one(teacher, str(order.get("id")), "And cancelling it again.")


def _cancel(teacher: Lookups) -> Step:
    """list_orders, then cancel_order on a placed order (the sandbox undoes it)."""
    known = teacher.known
    teacher.planned()
    result = yield from teacher.call("list_orders", {}, "Now the existing orders.")
    orders: list[Item] = list((payload(result) or {}).get("orders", []))
    known.notes.add(
        "list_orders",
        "Returns {orders: [{id, status, items: [{product_id, quantity, unit_price}], total}]}; "
        f"statuses seen: {', '.join(sorted({str(o['status']) for o in orders}))}.",
    )
    done = [o for o in orders if o["status"] in ("shipped", "delivered")]
    if done and teacher.may(0.5):
        result = yield from teacher.call(
            "cancel_order",
            {"order_id": done[0]["id"]},
            f"Can a {done[0]['status']} order be cancelled?",
        )
        known.notes.add(
            "cancel_order", f'Only placed orders can be cancelled: "{error_text(result)}".'
        )
    placed = next(o for o in orders if o["status"] == "placed")
    yield from _cancel_one(
        teacher, str(placed["id"]), f"Trying cancel_order on {placed['id']} in the sandbox."
    )


def _cancel_one(teacher: Lookups, order_id: str, say: str) -> Step:
    """cancel_order (a planned call), after maybe passing the bare order number."""
    known = teacher.known
    if teacher.may(0.35):
        number = order_id.rsplit("-", maxsplit=1)[-1]
        bad = yield from teacher.call("cancel_order", {"order_id": number}, say)
        known.notes.add(
            "cancel_order", f'Needs the full order id: {number!r} gave "{error_text(bad)}".'
        )
        say = "It wants the full id."
    teacher.planned()
    result = yield from teacher.call("cancel_order", {"order_id": order_id}, say)
    known.notes.add(
        "cancel_order",
        "cancel_order(order_id) sets the status to cancelled and refunds "
        f"({(payload(result) or {}).get('message')!r}).",
    )
