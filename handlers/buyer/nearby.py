"""/dekat: shops near you by kecamatan (the ASN's own, from the roster, first), a kecamatan's
open shops, a shop's products (each opens its card)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from models import User
from services import fairness, nearby
from services.gap import home_kecamatan
from services.policy import Policy
from views.callbacks import NearCb
from views.nearby import kecamatan_screen, shop_screen, shops_screen

routes = Routes("nearby")


@routes.message(Command("dekat", "nearby"))
async def nearby_command(message: Message, session: AsyncSession, user: User) -> None:
    home = await home_kecamatan(session, user)
    text, markup = kecamatan_screen(nearby.kecamatan_choices(home), home)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(NearCb.filter())
async def nearby_button(
    callback: CallbackQuery,
    callback_data: NearCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    home = await home_kecamatan(session, user)
    names = nearby.kecamatan_choices(home)
    if callback_data.action == "k" and callback_data.id < len(names):
        kecamatan = names[callback_data.id]
        standing = await fairness.standing(
            session, now=clock(), tz=policy.tz, policy=policy.fairness
        )
        shops = await nearby.shops_in(session, kecamatan, standing)
        await show(callback, *shops_screen(kecamatan, shops))
    elif callback_data.action == "s":
        merchant, page = await nearby.shop_page(
            session, callback_data.id, page=callback_data.page, page_size=policy.page_size
        )
        await show(callback, *shop_screen(merchant, page, locale, policy.page_size))
    else:
        await show(callback, *kecamatan_screen(names, home))
