"""The router tree: who reaches which handlers, in which order.

`build_router()` builds a new tree each time (a Router belongs to one Dispatcher; a process may
build several, e.g. a restart in the tests or the sandbox):

1. `start`: /start without a payload, help, language, cancel (cancel works inside any flow);
2. `buyer`, then `orders` and `refunds` (both buyers and shops), then `merchant`;
3. `admin`: filtered by role, then a "not allowed" for everyone else;
4. links no feature took (started as a plain /start), then `search`: any other text outside a
   conversation is a search;
5. `fallback`: stale buttons, odd messages.

The error path (`handlers.errors`) is registered on the root.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import ExceptionTypeFilter

from handlers import admin, buyer, errors, fallback, inquiries, merchant, orders, refunds, start
from handlers.buyer import search
from services.errors import ServiceError


def build_router() -> Router:
    root = Router(name="root")
    # The bot talks to people in private chats only.
    root.message.filter(F.chat.type == "private")
    root.include_routers(
        start.routes.router(),
        buyer.router(),
        orders.routes.router(),
        inquiries.routes.router(),
        refunds.routes.router(),
        merchant.router(),
        admin.router(),
        fallback.links.router(),
        search.routes.router(),
        fallback.routes.router(),
    )
    root.errors.register(errors.on_refusal, ExceptionTypeFilter(ServiceError))
    root.errors.register(errors.on_failure)
    return root
