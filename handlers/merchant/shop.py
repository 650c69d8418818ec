"""/toko: the shop's day, the open/closed switch, the low-stock warning threshold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.ui import show, toast
from models import MemberRole, User
from services import exporting, inquiries, shop
from services.errors import Refusal, ServiceError
from services.policy import Policy
from services.products import require_member
from views import global_window as global_views
from views import keyboards as kb
from views.callbacks import ShopCb
from views.refusals import describe, describe_in_flow
from views.shop import dashboard_screen, not_a_merchant_text, shop_chooser, threshold_prompt

routes = Routes("shop")


async def dashboard(
    session: AsyncSession, user: User, merchant_id: int, locale: str, policy: Policy, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    board = await shop.dashboard(
        session, user, merchant_id, now=now, tz=policy.tz, fairness=policy.fairness
    )
    text, markup = dashboard_screen(board, locale, now, policy.tz)
    if board.role != MemberRole.OWNER:
        return text, markup
    statuses = await exporting.global_window_status(session, user, merchant_id)
    _items, counts = await inquiries.shop_inquiries(session, user, merchant_id)
    ready = sum(1 for s in statuses if not s.missing)
    text += global_views.shop_lines(ready, len(statuses), counts.get("new", 0))
    markup.inline_keyboard.insert(
        len(markup.inline_keyboard) - 1, global_views.shop_rows(merchant_id)
    )
    return text, markup


@routes.message(Command("toko", "shop"))
@routes.message(F.text == kb.MENU_SHOP)
async def toko_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    await state.clear()
    shops = await shop.my_shops(session, user)
    if not shops:
        await message.answer(not_a_merchant_text(), reply_markup=kb.main_menu())
        return
    if len(shops) > 1:
        await message.answer(
            _("Which shop?"), reply_markup=shop_chooser(shops, lambda m: ShopCb(m=m))
        )
        return
    text, markup = await dashboard(session, user, shops[0][0].id or 0, locale, policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.callback_query(ShopCb.filter(F.action.in_({"show", "open", "close"})))
async def shop_callback(
    callback: CallbackQuery,
    callback_data: ShopCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    if callback_data.action in ("open", "close"):
        opening = callback_data.action == "open"
        await shop.set_open(session, user, callback_data.m, opening, now=clock())
        toast(
            callback_answer,
            _("Your shop is open: buyers see your products again.")
            if opening
            else _("Your shop is closed: its products are hidden. Open orders go on."),
        )
    await show(callback, *await dashboard(session, user, callback_data.m, locale, policy, clock()))


# --- low-stock threshold -------------------------------------------------------------------


class ThresholdForm(StatesGroup):
    value = State()


@routes.callback_query(ShopCb.filter(F.action == "threshold"))
async def ask_threshold(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    merchant, _role = await require_member(session, user, callback_data.m, owner=True)
    await state.set_state(ThresholdForm.value)
    await state.update_data(threshold_shop=merchant.id)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            threshold_prompt(merchant), reply_markup=kb.cancel_keyboard()
        )


@routes.message(ThresholdForm.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_threshold(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    merchant_id = (await state.get_data()).get("threshold_shop", 0)
    try:
        await shop.set_low_stock_threshold(
            session, user, merchant_id, message.text or "", now=clock()
        )
    except ServiceError as exc:
        if exc.code in (Refusal.FORBIDDEN, Refusal.OWNER_ONLY):
            await state.clear()
            await message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await message.answer(describe_in_flow(exc))
        return
    await state.clear()
    await message.answer(_("✅ Saved."), reply_markup=kb.main_menu())
    text, markup = await dashboard(session, user, merchant_id, locale, policy, clock())
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(ThresholdForm.value), F.text != kb.CANCEL)
async def threshold_expected(message: Message) -> None:
    await message.answer(_("Please type a whole number, or tap Cancel."))
