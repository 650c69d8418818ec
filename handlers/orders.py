"""Orders: the buyer's list and detail, the shop's notification and its action buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import show
from models import OrderStatus, User
from services import orders
from services.errors import Refusal, ServiceError
from views import keyboards as kb
from views.callbacks import OrderCb, OrdersPageCb
from views.format import esc, money, shorten, status_label
from views.orders import (
    BUYER_UPDATES,
    MERCHANT_UPDATES,
    notify_buyer,
    notify_merchant,
    order_buttons,
    order_text,
)

router = Router(name="orders")


class RejectForm(StatesGroup):
    reason = State()


# --- buyer's list and detail -------------------------------------------------------------


@router.message(Command("pesanan", "orders"))
@router.message(F.text == kb.MENU_ORDERS)
async def orders_command(
    message: Message, session: AsyncSession, user: User, locale: str, settings: Settings
) -> None:
    text, markup = await orders_screen(session, user, 0, locale, settings)
    await message.answer(text, reply_markup=markup)


async def orders_screen(
    session: AsyncSession, user: User, page: int, locale: str, settings: Settings
) -> tuple[str, InlineKeyboardMarkup | None]:
    result = await orders.buyer_orders(session, user, page=page, page_size=settings.page_size)
    if not result.total:
        builder = InlineKeyboardBuilder()
        builder.row(kb.categories_button())
        return _("📦 You have no orders yet."), builder.as_markup()
    builder = InlineKeyboardBuilder()
    for row in result.items:
        builder.row(
            InlineKeyboardButton(
                text=shorten(f"#{row.id} · {row.merchant_name} · {money(row.total, locale)}", 60),
                callback_data=OrderCb(id=row.id).pack(),
            )
        )
    kb.pager(builder, result.page, result.pages, lambda p: OrdersPageCb(page=p))
    lines = [_("📦 <b>Your orders</b> ({total})").format(total=result.total)]
    for row in result.items:
        lines.append(
            f"#{row.id} · {esc(row.merchant_name)} · {money(row.total, locale)} · "
            f"{status_label(row.status)}"
        )
    return "\n".join(lines), builder.as_markup()


@router.callback_query(OrdersPageCb.filter())
async def orders_page(
    callback: CallbackQuery,
    callback_data: OrdersPageCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
):
    await show(callback, *await orders_screen(session, user, callback_data.page, locale, settings))


@router.callback_query(OrderCb.filter(F.action == "view"))
async def order_detail(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    callback_answer,
) -> None:
    try:
        view = await orders.order_view(session, callback_data.id, viewer=user)
    except ServiceError as exc:
        callback_answer.text = describe(exc)
        callback_answer.show_alert = True
        return
    for_merchant = view.viewer_is_merchant and not view.viewer_is_buyer
    await callback.message.answer(
        order_text(view, locale, settings, for_merchant=for_merchant),
        reply_markup=order_buttons(view, for_merchant=for_merchant),
    )


# --- moving an order -----------------------------------------------------------------------


@router.callback_query(OrderCb.filter(F.action == "reject"))
async def ask_reject_reason(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    callback_answer,
) -> None:
    try:
        view = await orders.order_view(session, callback_data.id, viewer=user)
    except ServiceError as exc:
        callback_answer.text = describe(exc)
        callback_answer.show_alert = True
        return
    if not view.viewer_is_merchant:
        callback_answer.text = describe(ServiceError(Refusal.FORBIDDEN))
        callback_answer.show_alert = True
        return
    if view.order.status not in (OrderStatus.PENDING, OrderStatus.ACCEPTED):
        callback_answer.text = describe(
            ServiceError(Refusal.INVALID_TRANSITION, status=view.order.status)
        )
        callback_answer.show_alert = True
        return
    await state.set_state(RejectForm.reason)
    await state.update_data(reject_order=view.order.id)
    await callback.message.answer(
        _(
            "Why do you reject order #{id}? Type a short reason for the buyer (e.g. "
            "<i>stok habis</i>)."
        ).format(id=view.order.id),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(RejectForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_reject_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    order_id = (await state.get_data()).get("reject_order")
    await state.clear()
    await _apply(
        message,
        session,
        user,
        bot,
        settings,
        locale,
        order_id,
        "reject",
        reason=message.text[:500],
        clock=clock,
    )


@router.message(StateFilter(RejectForm.reason))
async def reject_reason_expected(message: Message) -> None:
    await message.answer(_("Please type the reason as text, or tap Cancel."))


@router.callback_query(OrderCb.filter(F.action.in_(set(orders.ACTIONS) - {"reject"})))
async def order_action(
    callback: CallbackQuery,
    callback_data: OrderCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    callback_answer,
    clock: Callable[[], datetime],
) -> None:
    await _apply(
        callback,
        session,
        user,
        bot,
        settings,
        locale,
        callback_data.id,
        callback_data.action,
        callback_answer=callback_answer,
        clock=clock,
    )


async def _apply(
    event: Message | CallbackQuery,
    session: AsyncSession,
    user: User,
    bot: Bot,
    settings: Settings,
    locale: str,
    order_id: int | None,
    action: str,
    *,
    clock: Callable[[], datetime],
    reason: str | None = None,
    callback_answer=None,
) -> None:  # noqa: ANN001
    try:
        if order_id is None:
            raise ServiceError(Refusal.ORDER_NOT_FOUND)
        result = await orders.transition(
            session, order_id, action, actor=user, reason=reason, now=clock()
        )
    except ServiceError as exc:
        if callback_answer is not None:
            callback_answer.text = describe(exc)
            callback_answer.show_alert = True
        else:
            await event.answer(describe(exc), reply_markup=kb.main_menu())
        return
    for_merchant = result.action.actor == "merchant"
    view = await orders.order_view(session, order_id, viewer=user)
    text = order_text(view, locale, settings, for_merchant=for_merchant)
    markup = order_buttons(view, for_merchant=for_merchant)
    if isinstance(event, CallbackQuery):
        try:
            await show(event, text, markup)
        except TelegramBadRequest:
            await event.message.answer(text, reply_markup=markup)
    else:
        await event.answer(_("Done."), reply_markup=kb.main_menu())
        await event.answer(text, reply_markup=markup)
    if not result.changed:
        if callback_answer is not None:
            callback_answer.text = _("Already done.")
        return
    if for_merchant:
        await notify_buyer(bot, session, order_id, settings, BUYER_UPDATES[action])
    else:
        await notify_merchant(bot, session, order_id, settings, MERCHANT_UPDATES[action])
    from handlers.payments import after_step  # QRIS code on acceptance, low-stock warnings

    await after_step(bot, session, settings, order_id, action)
