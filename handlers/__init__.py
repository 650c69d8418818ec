"""aiogram routers, one per feature, collected by `setup_routers`."""

from __future__ import annotations

from functools import cache

from aiogram import F, Router


@cache
def _router_tree() -> Router:
    from handlers import (
        admin,
        admin_panel,
        broadcast,
        cart,
        catalog,
        common,
        fallback,
        merchant,
        orders,
        payments,
        quota,
        quota_admin,
        refunds,
        registration,
        reminders,
        reports,
        shop,
        shop_admin,
        shop_products,
    )

    root = Router(name="root")
    # The bot talks to people in private chats only.
    root.message.filter(F.chat.type == "private")
    root.include_routers(
        common.router,
        registration.router,
        admin.router,
        admin_panel.router,
        broadcast.router,
        merchant.router,
        cart.router,
        orders.router,
        quota.router,
        reports.router,
        quota_admin.router,
        refunds.router,
        shop.router,
        shop_products.router,
        payments.router,
        shop_admin.router,
        reminders.router,
        catalog.router,  # free text in the main menu is a search
        fallback.router,  # last: answers what nobody else handled
    )
    return root


def setup_routers() -> Router:
    """The root router, ready to be included in a new Dispatcher.

    Handler modules declare their routers at import time, so the tree exists once per
    process; a process that builds a second Dispatcher (a restart in tests, the sandbox)
    detaches it from the previous one first.
    """
    root = _router_tree()
    root._parent_router = None  # noqa: SLF001 - aiogram has no public way to detach
    return root
