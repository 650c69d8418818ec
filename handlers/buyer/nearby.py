"""/dekat: shops near you by kecamatan (the ASN's own, from the roster, first), a kecamatan's
open shops (or one kelurahan's), the open shops nearest to a shared location ("📍 Near me" or a
location sent from the attachment menu outside any conversation), a shop's products (each
opens its card)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show
from models import User
from services import fairness, nearby
from services.gap import home_kecamatan
from services.geo import Point, valid_point
from services.policy import Policy
from views import keyboards as kb
from views.callbacks import NearCb
from views.nearby import (
    kecamatan_screen,
    location_received_text,
    near_me_hint,
    near_me_keyboard,
    nearest_screen,
    outside_city_text,
    share_again_text,
    shop_screen,
    shops_screen,
)

routes = Routes("nearby")

NEAR_PAGE = 10  # shops per page of "nearest to you"


@routes.message(Command("dekat", "nearby"))
async def nearby_command(message: Message, session: AsyncSession, user: User) -> None:
    home = await home_kecamatan(session, user)
    text, markup = kecamatan_screen(nearby.kecamatan_choices(home), home)
    await message.answer(text, reply_markup=markup)
    await message.answer(near_me_hint(), reply_markup=near_me_keyboard())


@routes.message(StateFilter(None), F.location)
async def nearby_location(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    assert message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    if not valid_point(lat, lon):
        await message.answer(
            outside_city_text(),
            reply_markup=kb.main_menu(),
        )
        return
    await state.update_data(near_point=[lat, lon])  # for the pages (FSM data is in the DB)
    standing = await fairness.standing(session, now=clock(), tz=policy.tz, policy=policy.fairness)
    found = await nearby.nearest(session, Point(lat, lon), standing, page_size=NEAR_PAGE)
    await message.answer(location_received_text(), reply_markup=kb.main_menu())
    text, markup = nearest_screen(found, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(NearCb.filter())
async def nearby_button(
    callback: CallbackQuery,
    callback_data: NearCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    home = await home_kecamatan(session, user)
    names = nearby.kecamatan_choices(home)
    if callback_data.action == "n":
        await _nearest_page(callback, callback_data.page, state, session, locale, policy, clock())
    elif callback_data.action == "k" and callback_data.id < len(names):
        kecamatan = names[callback_data.id]
        standing = await fairness.standing(
            session, now=clock(), tz=policy.tz, policy=policy.fairness
        )
        shops = await nearby.shops_in(session, kecamatan, standing)
        await show(callback, *_kecamatan_view(kecamatan, callback_data.id, shops))
    elif (
        callback_data.action == "l"
        and callback_data.id < len(names)
        and callback_data.page < len(nearby.kelurahan_choices(names[callback_data.id]))
    ):
        kecamatan = names[callback_data.id]
        kelurahan = nearby.kelurahan_choices(kecamatan)[callback_data.page]
        standing = await fairness.standing(
            session, now=clock(), tz=policy.tz, policy=policy.fairness
        )
        shops = await nearby.shops_in(session, kecamatan, standing, kelurahan)
        await show(
            callback,
            *shops_screen(kecamatan, shops, kecamatan_index=callback_data.id, chosen=kelurahan),
        )
    elif callback_data.action == "s":
        merchant, page = await nearby.shop_page(
            session, callback_data.id, page=callback_data.page, page_size=policy.page_size
        )
        await show(callback, *shop_screen(merchant, page, locale, policy.page_size))
    else:
        await show(callback, *kecamatan_screen(names, home))


def _kecamatan_view(
    kecamatan: str, index: int, shops: list[nearby.NearbyShop]
) -> tuple[str, InlineKeyboardMarkup]:
    return shops_screen(
        kecamatan,
        shops,
        kecamatan_index=index,
        kelurahan=nearby.kelurahan_choices(kecamatan),
        with_shops={shop.kelurahan for shop in shops},
    )


async def _nearest_page(
    callback: CallbackQuery,
    page: int,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    policy: Policy,
    now: datetime,
) -> None:
    point = (await state.get_data()).get("near_point")
    if not (isinstance(point, list) and len(point) == 2 and valid_point(*point)):
        if isinstance(callback.message, Message):
            await callback.message.answer(share_again_text(), reply_markup=near_me_keyboard())
        return
    standing = await fairness.standing(session, now=now, tz=policy.tz, policy=policy.fairness)
    found = await nearby.nearest(session, Point(*point), standing, page=page, page_size=NEAR_PAGE)
    await show(callback, *nearest_screen(found, locale))
