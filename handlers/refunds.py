"""Refunding a paid order: the shop (button on the order, or /refund) or an administrator
(/refund ORDER REASON). The buyer is told; the order stops counting toward the minimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import alert
from models import Order, User
from services import orders
from services.errors import Refusal, ServiceError
from services.refunds import REFUNDABLE, can_refund, refund
from views import keyboards as kb
from views.callbacks import RefundCb
from views.format import esc, money
from views.orders import notify_buyer, notify_merchant, order_buttons, order_text

router = Router(name="refunds")


class RefundForm(StatesGroup):
    reason = State()  # data: refund_order


@router.callback_query(RefundCb.filter())
async def ask_reason(
    callback: CallbackQuery,
    callback_data: RefundCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    callback_answer,
) -> None:  # noqa: ANN001
    order = await session.get(Order, callback_data.id)
    if order is None or not await can_refund(session, order, user, settings.admin_ids):
        alert(callback_answer, describe(ServiceError(Refusal.FORBIDDEN)))
        return
    if order.status not in REFUNDABLE:
        alert(callback_answer, describe(ServiceError(Refusal.INVALID_TRANSITION, status=order.status)))
        return
    await state.set_state(RefundForm.reason)
    await state.update_data(refund_order=order.id)
    await callback.message.answer(
        _(
            "Refund order #{id} ({total})? The buyer gets the money back and the order no "
            "longer counts toward their minimum. Type the reason for the buyer."
        ).format(id=order.id, total=money(order.total, locale)),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(RefundForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    order_id = (await state.get_data()).get("refund_order")
    await state.clear()
    if order_id is None:
        await message.answer(
            describe(ServiceError(Refusal.ORDER_NOT_FOUND)), reply_markup=kb.main_menu()
        )
        return
    await _refund(
        message, session, user, bot, locale, settings, clock(), int(order_id), message.text
    )


@router.message(StateFilter(RefundForm.reason), ~F.text.startswith("/"))
async def reason_expected(message: Message) -> None:
    await message.answer(_("Please type the reason as text, or tap Cancel."))


@router.message(Command("refund"))
async def refund_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2 or not parts[0].lstrip("#").isdigit():
        await message.answer(
            _("Usage: /refund ORDER REASON, for example <i>/refund 123 barang rusak</i>.")
        )
        return
    await _refund(
        message, session, user, bot, locale, settings, clock(), int(parts[0].lstrip("#")), parts[1]
    )


async def _refund(
    message: Message,
    session: AsyncSession,
    user: User,
    bot: Bot,
    locale: str,
    settings: Settings,
    now: datetime,
    order_id: int,
    reason: str,
) -> None:
    try:
        result = await refund(
            session, order_id, actor=user, admin_ids=settings.admin_ids, reason=reason, now=now
        )
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    order = result.order
    if not result.changed:
        await message.answer(_("Already done."), reply_markup=kb.main_menu())
        return
    await message.answer(
        _("↩️ Order #{id} refunded ({total}).").format(
            id=order.id, total=money(order.total, locale)
        ),
        reply_markup=kb.main_menu(),
    )
    if not result.by_admin:
        view = await orders.order_view(session, order.id, viewer=user)
        await message.answer(
            order_text(view, locale, settings, for_merchant=True),
            reply_markup=order_buttons(view, for_merchant=True),
        )
    clean = " ".join(reason.split())[:500]

    def heading() -> str:
        return _("↩️ <b>This order was refunded.</b> Reason: {reason}").format(reason=esc(clean))

    await notify_buyer(bot, session, order.id, settings, heading)
    if result.by_admin:
        await notify_merchant(
            bot,
            session,
            order.id,
            settings,
            lambda: _(
                "↩️ <b>The TukuLokal administrators refunded this order.</b> Reason: {reason}"
            ).format(reason=esc(clean)),
        )
