"""A product's price history for its shop's owner, from the product's management screen."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from models import User
from services.policy import Policy
from services.price_history import owner_price_history
from views.callbacks import PriceHistoryCb
from views.price_history import owner_history_screen

routes = Routes("price_history")


@routes.callback_query(PriceHistoryCb.filter())
async def price_history_page(
    callback: CallbackQuery,
    callback_data: PriceHistoryCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    history = await owner_price_history(session, user, callback_data.id, page=callback_data.page)
    await show(callback, *owner_history_screen(history, locale, policy.tz))
