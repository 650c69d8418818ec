"""/toko → 📍 Location: the owner sends the shop's location (the request_location button or a
location from the attachment menu); staff are refused, Cancel changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.merchant.shop import dashboard
from handlers.routes import Routes
from models import User
from services import shop
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.products import require_member
from views import keyboards as kb
from views.callbacks import ShopCb
from views.refusals import describe
from views.shop import location_expected_text, location_keyboard, location_prompt, location_saved

routes = Routes("shop_location")


class LocationForm(StatesGroup):
    point = State()


@routes.callback_query(ShopCb.filter(F.action == "location"))
async def ask_location(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    merchant, _role = await require_member(session, user, callback_data.m, owner=True)
    await state.set_state(LocationForm.point)
    await state.update_data(location_shop=merchant.id)
    if isinstance(callback.message, Message):
        await callback.message.answer(location_prompt(), reply_markup=location_keyboard())


@routes.message(LocationForm.point, F.location)
async def got_location(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    assert message.location is not None
    merchant_id = (await state.get_data()).get("location_shop", 0)
    try:
        await shop.set_location(
            session,
            user,
            merchant_id,
            message.location.latitude,
            message.location.longitude,
            now=clock(),
        )
    except ServiceError as exc:
        if exc.code == Refusal.LOCATION_OUTSIDE_CITY:
            await message.answer(describe(exc), reply_markup=location_keyboard())
            return
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(location_saved(), reply_markup=kb.main_menu())
    text, markup = await dashboard(session, user, merchant_id, locale, policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(LocationForm.point), ~F.text.startswith("/"), F.text != kb.CANCEL)
async def location_expected(message: Message) -> None:
    await message.answer(location_expected_text(), reply_markup=location_keyboard())
