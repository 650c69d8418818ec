"""Callback data of shop management and QRIS payments (prefixes start with "m"; ids only)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ShopCb(CallbackData, prefix="mt"):
    """The shop dashboard and its switches. action: show, open, close, staff, invite, qris,
    qris_rm, chooser."""

    m: int = 0
    action: str = "show"


class StaffRemoveCb(CallbackData, prefix="mr"):
    m: int
    user: int


class ShopProductsCb(CallbackData, prefix="ml"):
    m: int
    page: int = 0


class ManageProductCb(CallbackData, prefix="me"):
    """One product's management screen. action: view, price, stock, description, photo, hide,
    show, delete, delete_ok."""

    id: int
    action: str = "view"


class NewProductCb(CallbackData, prefix="mn"):
    """The add-product conversation. action: start (m = shop), cat (id = category), save,
    cancel."""

    action: str
    m: int = 0
    id: int = 0


class ProofCb(CallbackData, prefix="mp"):
    """Payment proof and QRIS on an order. action: send (buyer), qris (buyer: show the code
    again), no (shop: payment not received)."""

    id: int
    action: str
