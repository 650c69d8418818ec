"""What buyers do: register (ASN or general buyer), browse, order, pay, follow their minimum.
Search by free text is `handlers.buyer.search`, placed near the end of the tree (any text
outside a conversation is a search)."""

from __future__ import annotations

from aiogram import Router

from handlers.buyer import (
    announcements,
    appeals,
    cart,
    catalog,
    checkout,
    gap,
    global_buyer,
    inline,
    nearby,
    outside,
    payments,
    quota,
    registration,
    reminders,
)


def router() -> Router:
    top = Router(name="buyer")
    top.include_routers(
        registration.routes.router(),
        catalog.routes.router(),
        cart.routes.router(),
        checkout.routes.router(),
        payments.routes.router(),
        quota.routes.router(),
        outside.routes.router(),
        appeals.routes.router(),
        gap.routes.router(),
        nearby.routes.router(),
        reminders.routes.router(),
        announcements.routes.router(),
        inline.routes.router(),
        global_buyer.routes.router(),
    )
    return top
