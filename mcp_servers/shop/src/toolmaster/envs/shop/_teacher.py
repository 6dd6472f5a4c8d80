"""The shop scripted teacher (reference solver): it trials the tools, slips, recovers.

It reads the prompt's facts from `Task.metadata` (kind, colour, product noun, quantity,
category, threshold, product name: all stated in the prompt) and everything else from tool
results; it never looks at the state.
"""

from __future__ import annotations

import random
from typing import cast

from toolmaster.core import Mode, Solver, Task
from toolmaster.envs.kit import Returning, error_text, payload, teach
from toolmaster.envs.shop._lookups import Item, Lookups
from toolmaster.envs.shop._trial import trial


class Teacher(Lookups):
    """One scripted episode on one task: the trial (see `_trial`), then the task itself."""

    # ------------------------------------------------------------------ the task

    def execute(self) -> Returning[str]:
        if self.kind == "order_cheapest":
            return (yield from self.order_cheapest())
        if self.kind == "count_under":
            return (yield from self.count_under())
        if self.kind == "cheapest_price":
            color, noun = str(self.meta["color"]), str(self.meta["noun"])
            items = yield from self.find(color, noun)
            best = min(items, key=lambda i: (int(i["price"]), str(i["id"])))
            cents = int(best["price"])
            return (
                f"The cheapest {color} {noun} is the {best['name']} at ${cents / 100:.2f}. "
                f"{self.prices_in_cents(items)}"
            ).strip()
        return (yield from self.cancel())

    def order_cheapest(self) -> Returning[str]:
        color, noun = str(self.meta["color"]), str(self.meta["noun"])
        quantity = int(cast(int, self.meta["quantity"]))
        items = yield from self.find(color, noun)
        ranked = sorted(items, key=lambda i: (int(i["price"]), str(i["id"])))
        chosen: Item | None = None
        in_cart = False
        say = f"{len(ranked)} candidates; starting with the cheapest, {ranked[0]['name']}."
        for item in ranked:
            if self.slip(0.5):
                details = yield from self.product(str(item["id"]), say + " Checking its stock.")
                if int(details["stock"]) >= quantity:
                    chosen = item
                    break
                say = f"Only {details['stock']} in stock; the next cheapest is next."
            else:
                result = yield from self.call(
                    "add_to_cart", {"product_id": item["id"], "quantity": quantity}, say
                )
                if not result.is_error:
                    chosen, in_cart = item, True
                    break
                say = f'"{error_text(result)}". Trying the next cheapest.'
        if chosen is None:
            raise RuntimeError("no candidate has enough stock")
        if not in_cart:
            yield from self.call(
                "add_to_cart",
                {"product_id": chosen["id"], "quantity": quantity},
                f"{chosen['name']} has enough stock; adding {quantity}.",
            )
        result = yield from self.call("view_cart", {}, "Checking the cart before paying.")
        for line in (payload(result) or {}).get("items", []):
            if line["product_id"] != chosen["id"]:
                yield from self.call(
                    "remove_from_cart",
                    {"product_id": line["product_id"]},
                    f"The cart also holds {line['name']}, which I was not asked to buy; "
                    "removing it.",
                )
        result = yield from self.call("place_order", {}, "The cart is right; placing the order.")
        receipt = payload(result) or {}
        order = receipt.get("order", {})
        return (
            f"Ordered {quantity} x {chosen['name']} ({chosen['id']}), the cheapest {color} {noun} "
            f"with enough stock: order {order.get('id')}. {receipt.get('message', '')}"
        ).strip()

    def count_under(self) -> Returning[str]:
        display = str(self.meta["category"])
        threshold = int(cast(int, self.meta["threshold"]))
        slug = yield from self.slug(display)
        items = yield from self.search_all("", slug, f"Listing everything in {slug!r}.")
        count = sum(1 for i in items if int(i["price"]) < threshold * 100)
        return (
            f"{count} of the {len(items)} products in {display} cost less than ${threshold}. "
            f"{self.prices_in_cents(items)}"
        ).strip()

    def cancel(self) -> Returning[str]:
        name = str(self.meta["product"])
        result = yield from self.call("list_orders", {}, "Looking at the orders.")
        orders: list[Item] = list((payload(result) or {}).get("orders", []))
        items = yield from self.search_all(name, say=f"Finding the id of the {name}.")
        product_id = next(str(i["id"]) for i in items if i["name"] == name)
        order = next(
            o
            for o in orders
            if o["status"] == "placed" and any(i["product_id"] == product_id for i in o["items"])
        )
        say = f"Order {order['id']} contains {product_id}; cancelling it."
        if self.mode == "direct" and self.slip(0.3):
            bad = yield from self.call("cancel_order", {"order_id": product_id}, say)
            say = f'"{error_text(bad)}": I passed the product id; it wants {order["id"]}.'
        result = yield from self.call("cancel_order", {"order_id": order["id"]}, say)
        done = payload(result) or {}
        message = done.get("message", "")
        return f"Cancelled order {order['id']} (it contained the {name}). {message}".strip()


def solve(task: Task, rng: random.Random, mode: Mode = "trial") -> Solver:
    """The reference solver for a shop task (see `Environment.solve`)."""
    teacher = Teacher(task, rng, mode)
    return teach(mode, lambda: trial(teacher), teacher.execute)
