"""Typed callback data. Prefixes are short and payloads carry ids only (≤ 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CategoriesCb(CallbackData, prefix="cs"):
    pass


class CategoryCb(CallbackData, prefix="c"):
    id: int
    page: int = 0


class ProductCb(CallbackData, prefix="p"):
    id: int
    src: str = "l"  # "l": opened from a list (back closes the card), "d": direct link


class ProductMoreCb(CallbackData, prefix="pm"):
    id: int


class CloseCb(CallbackData, prefix="x"):
    pass


class SearchPageCb(CallbackData, prefix="s"):
    page: int
    q: str  # short digest of the query, kept in the FSM data


class CartCb(CallbackData, prefix="k"):
    action: str  # add, inc, dec, rm, show
    id: int = 0
    src: str = "c"  # "c": from a product card, "k": from the cart screen


class CartViewCb(CallbackData, prefix="kv"):
    action: str  # show, clear, checkout


class CheckoutCb(CallbackData, prefix="co"):
    key: str
    method: str  # cash or transfer


class OrderCb(CallbackData, prefix="o"):
    id: int
    action: str = "view"


class OrdersPageCb(CallbackData, prefix="op"):
    page: int


class RegistrationCb(CallbackData, prefix="rg"):
    id: int
    approve: bool


class LanguageCb(CallbackData, prefix="l"):
    code: str


class StartCb(CallbackData, prefix="st"):
    action: str  # asn, general, merchant, catalog
