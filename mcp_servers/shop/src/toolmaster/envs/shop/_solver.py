"""The shop reference solver: a scripted teacher that trials the tools, slips, recovers.

It reads the prompt's facts from `Task.metadata` (kind, colour, product noun, quantity,
category, threshold, product name: all stated in the prompt) and everything else from tool
results; it never looks at the state.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import JsonValue
from toolmaster.core import Mode, Solver, Task, ToolResult, Turn
from toolmaster.envs.kit import Script, error_text, payload
from toolmaster.envs.shop._trial import trial

Item = dict[str, Any]


@dataclass
class Known:
    """What the teacher has learnt about the tools, and its notes per tool."""

    tokens: bool = False
    """How `next_page_token` works."""
    words: bool = False
    """That search matches whole words."""
    ids: bool = False
    """The product id format."""
    cents: bool = False
    slugs: dict[str, str] = field(default_factory=dict[str, str])
    """Category display name -> slug."""
    notes: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    def note(self, tool: str, line: str) -> None:
        lines = self.notes.setdefault(tool, [])
        if line not in lines:
            lines.append(line)

    def render(self) -> str:
        return "\n".join(f"{tool}: " + " ".join(lines) for tool, lines in self.notes.items())


class Teacher:
    """One scripted episode on one task."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        self.rng = rng
        self.mode = mode
        self.script = Script(mode)
        self.known = Known()
        self.meta: dict[str, JsonValue] = dict(task.metadata)
        self.kind = str(self.meta["kind"])
        self.need = 0
        """Planned trial calls still to come: slips and extra probes must leave room for them."""

    def slip(self, chance: float) -> bool:
        """Whether to make a realistic mistake now."""
        return self.rng.random() < chance

    def may(self, chance: float, extra: int = 0) -> bool:
        """Whether to take an optional step (a slip, an extra probe) of `1 + extra` calls: by
        chance, and only if it fits the trial budget beside the planned calls still to come."""
        return self.script.spare(self.need + extra) and self.slip(chance)

    def planned(self) -> None:
        """A planned trial call is about to be made (no effect outside the trial)."""
        self.need = max(0, self.need - 1)

    def run(self) -> Solver:
        if self.mode == "trial":
            yield from trial(self)
        answer = yield from self.execute()
        yield Turn(content=answer)

    def call(
        self, tool: str, arguments: dict[str, JsonValue], say: str | None = None
    ) -> Generator[Turn, list[ToolResult], ToolResult]:
        return (yield from self.script.call(tool, arguments, say))

    # ------------------------------------------------------------------ catalog

    def search_all(
        self, query: str, category: str | None = None, say: str | None = None
    ) -> Generator[Turn, list[ToolResult], list[Item]]:
        """Every result of a search, page after page."""
        arguments: dict[str, JsonValue] = {"query": query}
        if category is not None:
            arguments["category"] = category
        result = yield from self.call("search_products", arguments, say)
        page = payload(result) or {}
        items: list[Item] = list(page.get("results", []))
        while token := page.get("next_page_token"):
            say = "There are more results; next page."
            if not self.known.tokens and self.may(0.35):
                bad = yield from self.call("search_products", {**arguments, "page_token": "2"}, say)
                self.known.note(
                    "search_products",
                    f'page_token is not a page number: "2" gave "{error_text(bad)}".',
                )
                say = "The token must be the opaque next_page_token, passed back as is."
            self.known.tokens = True
            result = yield from self.call(
                "search_products", {**arguments, "page_token": token}, say
            )
            page = payload(result) or {}
            items.extend(page.get("results", []))
        return items

    def find(self, color: str, noun: str) -> Generator[Turn, list[ToolResult], list[Item]]:
        """Every `color` `noun` in the catalog."""
        if not self.known.words and self.may(0.3):
            plural = f"{color} {noun}s"
            found = yield from self.search_all(plural, say=f"Searching for {plural}.")
            if not found:
                self.known.words = True
                self.known.note(
                    "search_products",
                    f"It matches whole words of the name: {plural!r} finds nothing, use the "
                    "singular.",
                )
                return (
                    yield from self.search_all(
                        f"{color} {noun}", say="Nothing: it must match whole words. Singular."
                    )
                )
            return found
        return (yield from self.search_all(f"{color} {noun}", say=f"Searching for {color} {noun}."))

    def product(self, product_id: str, say: str) -> Generator[Turn, list[ToolResult], Item]:
        """get_product, after (once, sometimes) passing the id as a bare number."""
        if not self.known.ids and self.may(0.3):
            number = str(int(product_id.rsplit("-", maxsplit=1)[-1]))
            bad = yield from self.call("get_product", {"product_id": number}, say)
            self.known.note(
                "get_product",
                f"Ids must be passed exactly as listed ({product_id!r}); {number!r} gave "
                f'"{error_text(bad)}".',
            )
            say = "It needs the full id, prefix and zeros included."
        self.known.ids = True
        self.planned()
        result = yield from self.call("get_product", {"product_id": product_id}, say)
        return payload(result) or {}

    def slug(self, display: str) -> Generator[Turn, list[ToolResult], str]:
        """The slug of the category called `display`."""
        if display in self.known.slugs:
            return self.known.slugs[display]
        say = "Listing the categories to get the right filter value."
        if self.may(0.4):
            found = yield from self.search_all("", display, f"Searching the {display} category.")
            if not found:
                self.known.note(
                    "search_products",
                    f"`category` takes a slug: {display!r} silently returns nothing.",
                )
                say = "No results at all with the display name; the filter must want an id."
        self.planned()
        result = yield from self.call("list_categories", {}, say)
        for entry in (payload(result) or {}).get("categories", []):
            self.known.slugs[str(entry["name"])] = str(entry["slug"])
        self.known.note(
            "list_categories",
            "Returns {categories: [{slug, name}]}; search_products' `category` wants the slug.",
        )
        return self.known.slugs[display]

    def prices_in_cents(self, items: list[Item]) -> str:
        """What the teacher says when it first relies on prices being cents."""
        if self.known.cents:
            return ""
        self.known.cents = True
        sample = items[0]["price"] if items else 1299
        return f"(Prices are integers such as {sample}: cents.)"

    # ------------------------------------------------------------------ the task

    def execute(self) -> Generator[Turn, list[ToolResult], str]:
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

    def order_cheapest(self) -> Generator[Turn, list[ToolResult], str]:
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

    def count_under(self) -> Generator[Turn, list[ToolResult], str]:
        display = str(self.meta["category"])
        threshold = int(cast(int, self.meta["threshold"]))
        slug = yield from self.slug(display)
        items = yield from self.search_all("", slug, f"Listing everything in {slug!r}.")
        count = sum(1 for i in items if int(i["price"]) < threshold * 100)
        return (
            f"{count} of the {len(items)} products in {display} cost less than ${threshold}. "
            f"{self.prices_in_cents(items)}"
        ).strip()

    def cancel(self) -> Generator[Turn, list[ToolResult], str]:
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
    return Teacher(task, rng, mode).run()
