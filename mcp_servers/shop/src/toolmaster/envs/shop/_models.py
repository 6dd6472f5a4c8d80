"""What the shop tools return (their output schemas). Money is in integer cents."""

from __future__ import annotations

from pydantic import BaseModel


class Summary(BaseModel):
    id: str
    name: str
    price: int


class SearchPage(BaseModel):
    results: list[Summary]
    next_page_token: str | None


class Product(BaseModel):
    id: str
    name: str
    category: str
    color: str
    price: int
    stock: int


class Category(BaseModel):
    slug: str
    name: str


class Categories(BaseModel):
    categories: list[Category]


class CartItem(BaseModel):
    product_id: str
    name: str
    quantity: int
    unit_price: int


class Cart(BaseModel):
    items: list[CartItem]
    subtotal: int


class Line(BaseModel):
    product_id: str
    quantity: int
    unit_price: int


class Order(BaseModel):
    id: str
    status: str
    items: list[Line]
    total: int


class Orders(BaseModel):
    orders: list[Order]


class Receipt(BaseModel):
    order: Order
    message: str


class Cancellation(BaseModel):
    order: Order
    message: str


class Account(BaseModel):
    balance: int
    currency: str
