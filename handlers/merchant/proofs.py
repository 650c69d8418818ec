"""A shop looks at a buyer's payment proof and answers "not received" (or "payment received",
an ordinary order step in `handlers.orders`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.notify import notify
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import toast
from models import OrderStatus, User
from services import orders, payments
from services.errors import Refusal, ServiceError
from views.callbacks import ProofCb
from views.format import esc
from views.payments import proof_button, proof_buttons, proof_caption

log = logging.getLogger(__name__)
routes = Routes("proofs")


@routes.callback_query(ProofCb.filter(F.action == "see"))
async def proof_see(
    callback: CallbackQuery,
    callback_data: ProofCb,
    session: AsyncSession,
    user: User,
    locale: str,
) -> None:
    view = await orders.order_view(session, callback_data.id, viewer=user)
    order = view.order
    if not order.proof_file_id:
        raise ServiceError(Refusal.PROOF_MISSING)
    markup = (
        proof_buttons(order.id or 0)
        if view.viewer_is_merchant and order.status == OrderStatus.ACCEPTED
        else None
    )
    if isinstance(callback.message, Message):
        await callback.message.answer_photo(
            order.proof_file_id,
            caption=proof_caption(order, view.buyer, locale),
            reply_markup=markup,
        )


@routes.callback_query(ProofCb.filter(F.action == "no"))
async def proof_not_received(
    callback: CallbackQuery,
    callback_data: ProofCb,
    session: AsyncSession,
    user: User,
    sender: Sender,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    order = await payments.reject_proof(session, user, callback_data.id, now=clock())
    toast(callback_answer, _("Noted. The buyer was asked to check the payment."))
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            log.debug("proof message %s not edited", callback.message.message_id)
    view = await orders.order_view(session, order.id or 0, viewer=user)
    shop, order_id = view.merchant.name, order.id or 0
    await notify(
        sender,
        view.buyer,
        lambda _locale: (
            _(
                "❌ {shop} has not received your payment for order #{id} yet. Please check "
                "your payment, then send a new proof."
            ).format(shop=esc(shop), id=order_id),
            proof_button(order_id),
        ),
    )
