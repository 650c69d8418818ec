"""The buttons under an announcement a recipient got: open the catalog, or their quota, in a
new message (the announcement stays as it was)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.buyer.quota import quota_command
from handlers.routes import Routes
from models import User
from services.categories import list_categories
from services.policy import Policy
from views.broadcasts import BroadcastButtonCb
from views.catalog import categories_screen

routes = Routes("announcements")


@routes.callback_query(BroadcastButtonCb.filter(F.action == "catalog"))
async def announcement_catalog(
    callback: CallbackQuery, session: AsyncSession, locale: str
) -> None:
    if isinstance(callback.message, Message):
        text, markup = categories_screen(await list_categories(session), locale)
        await callback.message.answer(text, reply_markup=markup)


@routes.callback_query(BroadcastButtonCb.filter(F.action == "quota"))
async def announcement_quota(
    callback: CallbackQuery,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    if isinstance(callback.message, Message):
        await quota_command(callback.message, session, user, locale, policy, clock)
