"""aiogram routers, one per feature, collected by `setup_routers`."""

from __future__ import annotations

from aiogram import F, Router


def setup_routers() -> Router:
    from handlers import admin, cart, catalog, common, merchant, orders, quota, registration

    root = Router(name="root")
    # The bot talks to people in private chats only.
    root.message.filter(F.chat.type == "private")
    root.include_routers(
        common.router,
        registration.router,
        admin.router,
        merchant.router,
        cart.router,
        orders.router,
        quota.router,
        catalog.router,  # last: free text in the main menu is a search
    )
    return root
