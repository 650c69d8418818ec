"""The buyer of an accepted order pays: shows the order's QRIS again, or sends a photo of the
payment as proof, which goes to the shop to confirm ("payment received" / "not received")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.notify import notify
from delivery.orders import send_order_qris
from delivery.sender import Sender
from handlers.routes import Routes
from models import OrderStatus, User
from services import orders, payments
from services.errors import Forbidden, Refusal, ServiceError
from services.merchants import member_users
from views import keyboards as kb
from views.callbacks import ProofCb
from views.format import money
from views.payments import proof_buttons, proof_caption
from views.refusals import describe

routes = Routes("payments")


class ProofForm(StatesGroup):
    photo = State()


@routes.callback_query(ProofCb.filter(F.action.in_({"send", "qris"})))
async def proof_start(
    callback: CallbackQuery,
    callback_data: ProofCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    sender: Sender,
    locale: str,
) -> None:
    view = await orders.order_view(session, callback_data.id, viewer=user)
    if not view.viewer_is_buyer:
        raise Forbidden()
    if view.order.status != OrderStatus.ACCEPTED:
        raise ServiceError(Refusal.PROOF_NOT_EXPECTED)
    order_id = view.order.id or 0
    if callback_data.action == "qris":
        await send_order_qris(sender, session, order_id, recipient=user)
        return
    await state.set_state(ProofForm.photo)
    await state.update_data(proof_order=order_id)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _(
                "📷 Send a photo or screenshot of your payment for order #{id} ({total}). The "
                "shop will check it and confirm."
            ).format(id=order_id, total=money(view.order.total, locale)),
            reply_markup=kb.cancel_keyboard(),
        )


@routes.message(ProofForm.photo, F.photo)
async def proof_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    sender: Sender,
    clock: Callable[[], datetime],
) -> None:
    order_id = (await state.get_data()).get("proof_order", 0)
    assert message.photo is not None
    try:
        order = await payments.submit_proof(
            session, user, order_id, message.photo[-1].file_id, now=clock()
        )
    except ServiceError as exc:
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    if order.counts_for_quota:
        confirmation = _(
            "📨 Your payment proof for order #{id} was sent to the shop. The order counts "
            "toward your minimum once the shop confirms the payment."
        )
    else:
        confirmation = _("📨 Your payment proof for order #{id} was sent to the shop.")
    await message.answer(confirmation.format(id=order.id), reply_markup=kb.main_menu())
    for member in await member_users(session, order.merchant_id):
        await notify(
            sender,
            member,
            lambda locale: (proof_caption(order, user, locale), proof_buttons(order.id or 0)),
            photo=order.proof_file_id,
        )


@routes.message(ProofForm.photo, F.document)
async def proof_as_file(message: Message) -> None:
    await message.answer(_("Please send the proof as a photo (not as a file), or tap Cancel."))


@routes.message(StateFilter(ProofForm.photo), F.text != kb.CANCEL)
async def proof_expected(message: Message) -> None:
    await message.answer(_("Please send a photo of the payment, or tap Cancel."))
