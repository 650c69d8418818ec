"""Orders, for buyers and shops alike: the buyer's list and detail, and the step buttons each
side gets (accept, reject with a reason, payment received, ..., cancel, received)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.orders import after_step, notify_buyer, notify_merchant
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import show, toast
from models import OrderStatus, User
from services import orders
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.policy import Policy
from services.roles import Roles
from views import keyboards as kb
from views.callbacks import OrderCb, OrderLinesCb, OrdersPageCb
from views.orders import (
    BUYER_UPDATES,
    MERCHANT_UPDATES,
    order_buttons,
    order_text,
    orders_screen,
    reject_reason_prompt,
)
from views.refusals import describe

routes = Routes("orders")


class RejectForm(StatesGroup):
    reason = State()


# --- buyer's list and detail -------------------------------------------------------------


@routes.message(Command("pesanan", "orders"))
@routes.message(F.text == kb.MENU_ORDERS)
async def orders_command(
    message: Message, session: AsyncSession, user: User, locale: str, policy: Policy
) -> None:
    result = await orders.buyer_orders(session, user, page=0, page_size=policy.page_size)
    text, markup = orders_screen(result, locale, policy.tz)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(OrdersPageCb.filter())
async def orders_page(
    callback: CallbackQuery,
    callback_data: OrdersPageCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    result = await orders.buyer_orders(
        session, user, page=callback_data.page, page_size=policy.page_size
    )
    await show(callback, *orders_screen(result, locale, policy.tz))


@routes.callback_query(OrderCb.filter(F.action == "view"))
async def order_detail(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    view = await orders.order_view(session, callback_data.id, viewer=user)
    for_merchant = view.viewer_is_merchant and not view.viewer_is_buyer
    if isinstance(callback.message, Message):
        await callback.message.answer(
            order_text(view, locale, policy.tz, for_merchant=for_merchant),
            reply_markup=order_buttons(view, for_merchant=for_merchant),
        )


@routes.callback_query(OrderLinesCb.filter())
async def order_lines(
    callback: CallbackQuery,
    callback_data: OrderLinesCb,
    session: AsyncSession,
    user: User,
    locale: str,
    policy: Policy,
) -> None:
    """Another page of a long order's lines, in the same message."""
    view = await orders.order_view(session, callback_data.id, viewer=user)
    for_merchant = view.viewer_is_merchant and not view.viewer_is_buyer
    page = callback_data.page
    text = order_text(view, locale, policy.tz, for_merchant=for_merchant, page=page)
    await show(callback, text, order_buttons(view, for_merchant=for_merchant, page=page))


# --- moving an order -----------------------------------------------------------------------


@routes.callback_query(OrderCb.filter(F.action == "reject"))
async def ask_reject_reason(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
) -> None:
    view = await orders.order_view(session, callback_data.id, viewer=user)
    if not view.viewer_is_merchant:
        raise Forbidden()
    if view.order.status not in (OrderStatus.PENDING, OrderStatus.ACCEPTED):
        raise ServiceError(Refusal.INVALID_TRANSITION, status=view.order.status)
    await state.set_state(RejectForm.reason)
    await state.update_data(reject_order=view.order.id)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            reject_reason_prompt(view.order.id or 0), reply_markup=kb.cancel_keyboard()
        )


@routes.message(RejectForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_reject_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    sender: Sender,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    order_id = (await state.get_data()).get("reject_order")
    await state.clear()
    try:
        if order_id is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        result = await orders.transition(
            session, order_id, "reject", actor=user, reason=(message.text or "")[:500], now=clock()
        )
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    view = await orders.order_view(session, order_id, viewer=user)
    await message.answer(
        _("❌ Order #{id} is rejected. The buyer was told, with your reason.").format(id=order_id)
        if result.changed
        else _("Order #{id} was already rejected.").format(id=order_id),
        reply_markup=kb.main_menu(),
    )
    await message.answer(
        order_text(view, locale, policy.tz, for_merchant=True),
        reply_markup=order_buttons(view, for_merchant=True),
    )
    if result.changed:
        await _tell_the_other_side(sender, session, policy, order_id, "reject", for_merchant=True)


@routes.message(StateFilter(RejectForm.reason))
async def reject_reason_expected(message: Message) -> None:
    await message.answer(_("Please type the reason as text, or tap Cancel."))


@routes.callback_query(OrderCb.filter(F.action.in_(orders.PERSON_ACTIONS - {"reject"})))
async def order_action(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    order_id, action = callback_data.id, callback_data.action
    result = await orders.transition(
        session, order_id, action, actor=user, roles=roles, now=clock()
    )
    for_merchant = result.party in orders.SHOP
    if isinstance(callback.message, Message) and callback.message.photo:
        # A step taken under a payment proof: its choices are made, take them away.
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)
    view = await orders.order_view(session, order_id, viewer=user)
    text = order_text(view, locale, policy.tz, for_merchant=for_merchant)
    markup = order_buttons(view, for_merchant=for_merchant)
    try:
        await show(callback, text, markup)
    except TelegramBadRequest:
        if isinstance(callback.message, Message):
            await callback.message.answer(text, reply_markup=markup)
    if not result.changed:
        toast(callback_answer, _("Already done."))
        return
    await _tell_the_other_side(
        sender, session, policy, order_id, action, for_merchant=for_merchant
    )


async def _tell_the_other_side(
    sender: Sender,
    session: AsyncSession,
    policy: Policy,
    order_id: int,
    action: str,
    *,
    for_merchant: bool,
) -> None:
    if for_merchant:
        await notify_buyer(sender, session, order_id, policy.tz, BUYER_UPDATES[action])
    else:
        await notify_merchant(sender, session, order_id, policy.tz, MERCHANT_UPDATES[action])
    await after_step(sender, session, order_id, action)  # QRIS on acceptance, low stock
