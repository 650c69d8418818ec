"""Refunding a paid order: the shop (button on the order, or /refund) or an administrator
(/refund ORDER REASON). The buyer is told; the order stops counting toward the minimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.orders import notify_buyer, notify_merchant
from delivery.sender import Sender
from handlers.routes import Routes
from models import Order, User
from services import orders
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.ids import parse_id
from services.policy import Policy
from services.refunds import REFUNDABLE, can_refund, refund
from services.roles import Roles
from views import keyboards as kb
from views.callbacks import RefundCb
from views.format import esc, money
from views.orders import order_buttons, order_text
from views.refusals import describe

routes = Routes("refunds")


class RefundForm(StatesGroup):
    reason = State()  # data: refund_order


@routes.callback_query(RefundCb.filter())
async def ask_reason(
    callback: CallbackQuery,
    callback_data: RefundCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    roles: Roles,
    locale: str,
) -> None:
    order = await session.get(Order, callback_data.id)
    if order is None or not await can_refund(session, order, user, roles):
        raise Forbidden()
    if order.status not in REFUNDABLE:
        raise ServiceError(Refusal.INVALID_TRANSITION, status=order.status)
    await state.set_state(RefundForm.reason)
    await state.update_data(refund_order=order.id)
    if not isinstance(callback.message, Message):
        return
    await callback.message.answer(
        _(
            "Refund order #{id} ({total})? The buyer gets the money back and the order no "
            "longer counts toward their minimum. Type the reason for the buyer."
        ).format(id=order.id, total=money(order.total, locale)),
        reply_markup=kb.cancel_keyboard(),
    )


@routes.message(RefundForm.reason, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_reason(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
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
        message, session, user, roles, sender, locale, policy, clock(), int(order_id),
        message.text or "",
    )  # fmt: skip


@routes.message(StateFilter(RefundForm.reason), ~F.text.startswith("/"))
async def reason_expected(message: Message) -> None:
    await message.answer(_("Please type the reason as text, or tap Cancel."))


@routes.message(Command("refund"))
async def refund_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2 or not parts[0].lstrip("#").isdigit():
        await message.answer(
            _("Usage: /refund ORDER REASON, for example <i>/refund 123 barang rusak</i>.")
        )
        return
    order_id = parse_id(parts[0].lstrip("#"))
    if order_id is None:
        raise NotFound(Refusal.ORDER_NOT_FOUND)
    await _refund(
        message, session, user, roles, sender, locale, policy, clock(), order_id, parts[1]
    )


async def _refund(
    message: Message,
    session: AsyncSession,
    user: User,
    roles: Roles,
    sender: Sender,
    locale: str,
    policy: Policy,
    now: datetime,
    order_id: int,
    reason: str,
) -> None:
    try:
        result = await refund(session, order_id, actor=user, roles=roles, reason=reason, now=now)
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
        view = await orders.order_view(session, order_id, viewer=user)
        await message.answer(
            order_text(view, locale, policy.tz, for_merchant=True),
            reply_markup=order_buttons(view, for_merchant=True),
        )
    clean = " ".join(reason.split())[:500]

    def heading() -> str:
        return _("↩️ <b>This order was refunded.</b> Reason: {reason}").format(reason=esc(clean))

    await notify_buyer(sender, session, order_id, policy.tz, heading)
    if result.by_admin:
        await notify_merchant(
            sender,
            session,
            order_id,
            policy.tz,
            lambda: _(
                "↩️ <b>The TukuLokal administrators refunded this order.</b> Reason: {reason}"
            ).format(reason=esc(clean)),
        )
