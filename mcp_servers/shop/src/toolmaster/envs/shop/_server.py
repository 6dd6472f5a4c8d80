"""The shop MCP server: catalog search, cart, orders, over one `ShopState`.

Descriptions are as terse as many real commerce APIs. What they leave out (README, "Hidden
conventions") — cents, page size and opaque tokens, slugs, id formats, a leftover cart — is what
trials reveal.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from typing import Annotated, Any, cast

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field
from toolmaster.envs import kit
from toolmaster.envs.shop._models import (
    Account,
    Cancellation,
    Cart,
    CartItem,
    Categories,
    Category,
    Line,
    Order,
    Orders,
    Product,
    Receipt,
    SearchPage,
    Summary,
)
from toolmaster.envs.shop._world import (
    CATEGORIES,
    LineRecord,
    OrderRecord,
    ProductRecord,
    ShopState,
    as_json,
    build_state,
    dollars,
)

PAGE_SIZE = 5


class ShopTools:
    """The tools, bound to one state object that they change in place."""

    def __init__(self, state: ShopState) -> None:
        self.state = state

    async def search_products(
        self,
        query: Annotated[str, Field(description="search words")],
        category: Annotated[str | None, Field(description="category filter")] = None,
        page_token: Annotated[str | None, Field(description="page token")] = None,
    ) -> SearchPage:
        words = query.casefold().split()
        offset = 0 if page_token is None else _read_token(page_token, words, category)
        found = [
            p
            for p in self.state["products"].values()
            if all(w in p["name"].casefold().split() for w in words)
            and (category is None or p["category"] == category)
        ]
        page = found[offset : offset + PAGE_SIZE]
        more = offset + PAGE_SIZE < len(found)
        return SearchPage(
            results=[Summary(id=p["id"], name=p["name"], price=p["price"]) for p in page],
            next_page_token=_token(words, category, offset + PAGE_SIZE) if more else None,
        )

    async def get_product(
        self, product_id: Annotated[str, Field(description="the product")]
    ) -> Product:
        return _product(self._find(product_id))

    async def list_categories(self) -> Categories:
        return Categories(categories=[Category(slug=s, name=n) for s, n in CATEGORIES.items()])

    async def add_to_cart(
        self,
        product_id: Annotated[str, Field(description="the product")],
        quantity: Annotated[int, Field(description="how many")] = 1,
    ) -> Cart:
        product = self._find(product_id)
        if quantity < 1:
            raise ToolError("quantity must be at least 1")
        line = next((c for c in self.state["cart"] if c["product_id"] == product["id"]), None)
        wanted = quantity + (line["quantity"] if line else 0)
        if wanted > product["stock"]:
            raise ToolError(
                f"insufficient stock for {product['id']} ({product['stock']} available)"
            )
        if line is None:
            self.state["cart"].append({"product_id": product["id"], "quantity": quantity})
        else:
            line["quantity"] = wanted
        return self._cart()

    async def view_cart(self) -> Cart:
        return self._cart()

    async def remove_from_cart(
        self, product_id: Annotated[str, Field(description="the product")]
    ) -> Cart:
        cart = self.state["cart"]
        kept = [c for c in cart if c["product_id"] != product_id]
        if len(kept) == len(cart):
            raise ToolError(f"{product_id!r} is not in the cart")
        cart[:] = kept
        return self._cart()

    async def place_order(self) -> Receipt:
        state = self.state
        if not state["cart"]:
            raise ToolError("cart is empty")
        items: list[LineRecord] = []
        for line in state["cart"]:
            product = state["products"][line["product_id"]]
            if line["quantity"] > product["stock"]:
                raise ToolError(f"insufficient stock for {product['id']}")
            items.append(
                {
                    "product_id": product["id"],
                    "quantity": line["quantity"],
                    "unit_price": product["price"],
                }
            )
        total = sum(i["quantity"] * i["unit_price"] for i in items)
        if total > state["balance"]:
            raise ToolError(f"payment declined: balance {dollars(state['balance'])}")
        for item in items:
            state["products"][item["product_id"]]["stock"] -= item["quantity"]
        state["balance"] -= total
        order: OrderRecord = {
            "id": f"O-{state['next_order']}",
            "status": "placed",
            "items": items,
            "total": total,
        }
        state["next_order"] += 1
        state["orders"].append(order)
        state["cart"].clear()
        return Receipt(
            order=_order(order),
            message=f"Charged {dollars(total)}. Balance: {dollars(state['balance'])}.",
        )

    async def cancel_order(
        self, order_id: Annotated[str, Field(description="the order")]
    ) -> Cancellation:
        state = self.state
        order = next((o for o in state["orders"] if o["id"] == order_id), None)
        if order is None:
            raise ToolError(f"order {order_id!r} not found")
        if order["status"] != "placed":
            raise ToolError(f"order {order_id} cannot be cancelled (status: {order['status']})")
        order["status"] = "cancelled"
        for item in order["items"]:
            state["products"][item["product_id"]]["stock"] += item["quantity"]
        state["balance"] += order["total"]
        return Cancellation(order=_order(order), message=f"Refunded {dollars(order['total'])}.")

    async def list_orders(self) -> Orders:
        return Orders(orders=[_order(o) for o in self.state["orders"]])

    async def get_account(self) -> Account:
        return Account(balance=self.state["balance"], currency="USD")

    def _find(self, product_id: str) -> ProductRecord:
        product = self.state["products"].get(product_id)
        if product is None:
            raise ToolError(f"product {product_id!r} not found")
        return product

    def _cart(self) -> Cart:
        products = self.state["products"]
        items = [
            CartItem(
                product_id=c["product_id"],
                name=products[c["product_id"]]["name"],
                quantity=c["quantity"],
                unit_price=products[c["product_id"]]["price"],
            )
            for c in self.state["cart"]
        ]
        return Cart(items=items, subtotal=sum(i.quantity * i.unit_price for i in items))


def _product(p: ProductRecord) -> Product:
    return Product(
        id=p["id"],
        name=p["name"],
        category=p["category"],
        color=p["color"],
        price=p["price"],
        stock=p["stock"],
    )


def _order(o: OrderRecord) -> Order:
    return Order(
        id=o["id"],
        status=o["status"],
        items=[Line(**i) for i in o["items"]],
        total=o["total"],
    )


def _token(words: list[str], category: str | None, offset: int) -> str:
    raw = json.dumps({"q": " ".join(words), "c": category, "o": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_token(token: str, words: list[str], category: str | None) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data: object = json.loads(raw)
    except (binascii.Error, ValueError):
        raise ToolError("invalid page_token") from None
    expected = {"q": " ".join(words), "c": category}
    if not isinstance(data, dict):
        raise ToolError("invalid page_token")
    fields = cast(dict[str, object], data)
    offset = fields.get("o")
    if any(fields.get(k) != v for k, v in expected.items()) or not isinstance(offset, int):
        raise ToolError("invalid page_token")
    if offset < 0:
        raise ToolError("invalid page_token")
    return offset


def _annotations(
    *, read_only: bool, destructive: bool = False, idempotent: bool = False
) -> ToolAnnotations:
    if read_only:
        return ToolAnnotations(read_only_hint=True, open_world_hint=False)
    return ToolAnnotations(
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


_TOOLS: tuple[tuple[str, str, ToolAnnotations], ...] = (
    ("search_products", "Search the product catalog.", _annotations(read_only=True)),
    ("get_product", "Details of one product.", _annotations(read_only=True)),
    ("list_categories", "The catalog's categories.", _annotations(read_only=True)),
    ("add_to_cart", "Add a product to the cart.", _annotations(read_only=False)),
    ("view_cart", "The current cart.", _annotations(read_only=True)),
    (
        "remove_from_cart",
        "Remove a product from the cart.",
        _annotations(read_only=False, destructive=True, idempotent=True),
    ),
    (
        "place_order",
        "Place an order for the cart and charge the account.",
        _annotations(read_only=False, destructive=True),
    ),
    (
        "cancel_order",
        "Cancel an order.",
        _annotations(read_only=False, destructive=True, idempotent=True),
    ),
    ("list_orders", "The account's orders.", _annotations(read_only=True)),
    ("get_account", "The account's balance.", _annotations(read_only=True)),
)


@cache
def _templates() -> tuple[Tool, ...]:
    """The tools, built once on a blank instance (see `kit.bind`)."""
    prototype = ShopTools(build_state(0))
    return tuple(
        Tool.from_function(getattr(prototype, name), name=name, description=text, annotations=notes)
        for name, text, notes in _TOOLS
    )


def build_server(state: ShopState, version: str) -> MCPServer[Any]:
    """An MCP server whose tools read and change `state` in place."""
    tools = ShopTools(state)
    bound = kit.bind(_templates(), tools)
    return kit.server("shop", version=version, tools=bound)


def open_session(seed: int, version: str) -> kit.JsonSession:
    """A fresh session on the state of `seed`."""
    state = build_state(seed)
    return kit.JsonSession(build_server(state, version), as_json(state), version)
