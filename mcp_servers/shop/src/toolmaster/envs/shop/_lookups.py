"""What the shop teacher knows in one episode and how it looks things up: searching page after
page, product details, category slugs. It learns the conventions from tool results only."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue
from toolmaster.core import Mode, Task
from toolmaster.envs.kit import Call, Notes, Returning, TeacherRun, error_text, payload

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
    notes: Notes = field(default_factory=lambda: Notes(unique=True))


class Lookups(TeacherRun):
    """One scripted episode on one task: what it knows, and the lookups both phases use."""

    def __init__(self, task: Task, rng: random.Random, mode: Mode) -> None:
        super().__init__(task, rng, mode)
        self.known = Known()
        self.meta: dict[str, JsonValue] = dict(task.metadata)
        self.kind = str(self.meta["kind"])
        self.need = 0
        """Planned trial calls still to come: slips and extra probes must leave room for them."""

    def may(self, chance: float, extra: int = 0) -> bool:
        """Whether to take an optional step (a slip, an extra probe) of `1 + extra` calls: by
        chance, and only if it fits the trial budget beside the planned calls still to come."""
        return self.script.spare(self.need + extra) and self.slip(chance)

    def planned(self) -> None:
        """A planned trial call is about to be made (no effect outside the trial)."""
        self.need = max(0, self.need - 1)

    def call(self, tool: str, arguments: dict[str, JsonValue], say: str | None = None) -> Call:
        return (yield from self.script.call(tool, arguments, say))

    # ------------------------------------------------------------------ catalog

    def search_all(
        self, query: str, category: str | None = None, say: str | None = None
    ) -> Returning[list[Item]]:
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
                self.known.notes.add(
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

    def find(self, color: str, noun: str) -> Returning[list[Item]]:
        """Every `color` `noun` in the catalog."""
        if not self.known.words and self.may(0.3):
            plural = f"{color} {noun}s"
            found = yield from self.search_all(plural, say=f"Searching for {plural}.")
            if not found:
                self.known.words = True
                self.known.notes.add(
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

    def product(self, product_id: str, say: str) -> Returning[Item]:
        """get_product, after (once, sometimes) passing the id as a bare number."""
        if not self.known.ids and self.may(0.3):
            number = str(int(product_id.rsplit("-", maxsplit=1)[-1]))
            bad = yield from self.call("get_product", {"product_id": number}, say)
            self.known.notes.add(
                "get_product",
                f"Ids must be passed exactly as listed ({product_id!r}); {number!r} gave "
                f'"{error_text(bad)}".',
            )
            say = "It needs the full id, prefix and zeros included."
        self.known.ids = True
        self.planned()
        result = yield from self.call("get_product", {"product_id": product_id}, say)
        return payload(result) or {}

    def slug(self, display: str) -> Returning[str]:
        """The slug of the category called `display`."""
        if display in self.known.slugs:
            return self.known.slugs[display]
        say = "Listing the categories to get the right filter value."
        if self.may(0.4):
            found = yield from self.search_all("", display, f"Searching the {display} category.")
            if not found:
                self.known.notes.add(
                    "search_products",
                    f"`category` takes a slug: {display!r} silently returns nothing.",
                )
                say = "No results at all with the display name; the filter must want an id."
        self.planned()
        result = yield from self.call("list_categories", {}, say)
        for entry in (payload(result) or {}).get("categories", []):
            self.known.slugs[str(entry["name"])] = str(entry["slug"])
        self.known.notes.add(
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
