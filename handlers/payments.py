"""QRIS: the shop registers its static code (text or photo); the buyer of an accepted QRIS
order gets a dynamic code for the exact total as a QR image; payment proofs go from the buyer
to the shop, which answers "payment received" or "not received"."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import alert, notify
from models import Order, OrderStatus, PaymentMethod, User
from services import orders, payments, products
from services.errors import Refusal, ServiceError
from services.merchants import member_users
from services.qr_image import QrImageError, decode_image, render_png
from services.qris import QrisPayload
from views import keyboards as kb
from views.callbacks import OrderCb, ProofCb, ShopCb
from views.format import CAPTION_LIMIT, esc, money, shorten
from views.i18n import get_i18n, pick_locale
from views.orders import PAYMENT_LABELS

log = logging.getLogger(__name__)
router = Router(name="payments")

# Images a shop sends of its printed QRIS are read up to this size (Telegram photos are far
# smaller; a scan sent as a file may be large).
MAX_QRIS_IMAGE_BYTES = 10 * 1024 * 1024


class QrisForm(StatesGroup):
    payload = State()


class ProofForm(StatesGroup):
    photo = State()


Render = Callable[[str], tuple[str, InlineKeyboardMarkup | None]]


# --- the shop's QRIS -----------------------------------------------------------------------


@router.callback_query(ShopCb.filter(F.action == "qris"))
async def qris_screen(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        current = await payments.shop_qris(session, user, callback_data.m)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await state.set_state(QrisForm.payload)
    await state.update_data(qris_shop=callback_data.m)
    lines = [_("🔳 <b>QRIS</b>")]
    if current is None:
        lines.append(_("No QRIS is registered yet: buyers can pay cash or by transfer only."))
    else:
        lines.append(_("Registered: {summary}").format(summary=_qris_summary(current)))
    lines.append("")
    lines.append(
        _(
            "To register your shop's printed (static) QRIS, <b>send a photo</b> of it, or "
            "<b>paste the QRIS text</b> (it starts with 000201). Each accepted QRIS order then "
            "gets its own code for the exact amount."
        )
    )
    builder = InlineKeyboardBuilder()
    if current is not None:
        builder.button(
            text=_("🗑 Remove the QRIS"), callback_data=ShopCb(m=callback_data.m, action="qris_rm")
        )
    builder.button(text=_("⬅️ My shop"), callback_data=ShopCb(m=callback_data.m))
    builder.adjust(1)
    await callback.message.answer("\n".join(lines), reply_markup=builder.as_markup())
    await callback.message.answer(
        _("Waiting for the photo or the text…"), reply_markup=kb.cancel_keyboard()
    )


@router.callback_query(ShopCb.filter(F.action == "qris_rm"))
async def qris_remove(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    try:
        await payments.remove_qris(session, user, callback_data.m, now=clock())
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await state.clear()
    await callback.message.answer(
        _("🗑 The QRIS was removed. New orders can be paid cash or by transfer."),
        reply_markup=kb.main_menu(),
    )


async def _register(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    payload: str,
    now: datetime,
) -> None:
    merchant_id = (await state.get_data()).get("qris_shop", 0)
    try:
        parsed = await payments.register_qris(session, user, merchant_id, payload, now=now)
    except ServiceError as exc:
        if exc.code == Refusal.QRIS_INVALID:
            await message.answer(
                describe(exc) + "\n" + _("Please send it again (photo or text), or tap Cancel.")
            )
            return
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(
        _(
            "✅ QRIS registered: {summary}.\n\nBuyers can now choose QRIS at checkout; when you "
            "accept their order they get a QRIS for the exact amount."
        ).format(summary=_qris_summary(parsed)),
        reply_markup=kb.main_menu(),
    )


@router.message(QrisForm.payload, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def qris_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    await _register(message, state, session, user, message.text, clock())


async def _read_qr(bot: Bot, file_id: str) -> list[str] | None:
    """The texts of the QR codes in a picture; None if it is not a readable image."""
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    try:
        return await asyncio.to_thread(decode_image, buffer.getvalue())
    except QrImageError:
        return None


async def _register_picture(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    file_id: str,
    now: datetime,
) -> None:
    texts = await _read_qr(message.bot, file_id)
    if not texts:
        await message.answer(
            _(
                "I could not read a QR code in this picture. Please send a sharper photo taken "
                "straight on, or paste the QRIS text instead."
            )
        )
        return
    # A picture may hold other codes too: prefer one that looks like a QRIS payload.
    texts.sort(key=lambda t: not t.startswith("000201"))
    await _register(message, state, session, user, texts[0], now)


@router.message(QrisForm.payload, F.photo)
async def qris_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    await _register_picture(message, state, session, user, message.photo[-1].file_id, clock())


@router.message(QrisForm.payload, F.document)
async def qris_document(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    document = message.document
    if (
        not (document.mime_type or "").startswith("image/")
        or (document.file_size or 0) > MAX_QRIS_IMAGE_BYTES
    ):
        await message.answer(_("Please send a photo of the QRIS, or paste its text."))
        return
    await _register_picture(message, state, session, user, document.file_id, clock())


@router.message(StateFilter(QrisForm.payload), F.text != kb.CANCEL)
async def qris_expected(message: Message) -> None:
    await message.answer(_("Please send a photo of the QRIS, or paste its text."))


# --- the buyer's dynamic QRIS --------------------------------------------------------------


# --- payment proofs ------------------------------------------------------------------------


@router.callback_query(ProofCb.filter(F.action.in_({"send", "qris"})))
async def proof_start(
    callback: CallbackQuery,
    callback_data: ProofCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        view = await orders.order_view(session, callback_data.id, viewer=user)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    if not view.viewer_is_buyer:
        alert(callback_answer, describe(ServiceError(Refusal.FORBIDDEN)))
        return
    if view.order.status != OrderStatus.ACCEPTED:
        alert(callback_answer, describe(ServiceError(Refusal.PROOF_NOT_EXPECTED)))
        return
    if callback_data.action == "qris":
        await send_order_qris(callback.bot, session, view.order.id, recipient=user)
        return
    await state.set_state(ProofForm.photo)
    await state.update_data(proof_order=view.order.id)
    await callback.message.answer(
        _(
            "📷 Send a photo or screenshot of your payment for order #{id} ({total}). The shop "
            "will check it and confirm."
        ).format(id=view.order.id, total=money(view.order.total, _current_locale())),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(ProofForm.photo, F.photo)
async def proof_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
    clock: Callable[[], datetime],
) -> None:
    order_id = (await state.get_data()).get("proof_order", 0)
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
        await send_photo_to(
            bot,
            member,
            order.proof_file_id,
            lambda locale: (proof_caption(order, user, locale), proof_buttons(order.id)),
        )


@router.message(ProofForm.photo, F.document)
async def proof_as_file(message: Message) -> None:
    await message.answer(_("Please send the proof as a photo (not as a file), or tap Cancel."))


@router.message(StateFilter(ProofForm.photo), F.text != kb.CANCEL)
async def proof_expected(message: Message) -> None:
    await message.answer(_("Please send a photo of the payment, or tap Cancel."))


@router.callback_query(ProofCb.filter(F.action == "see"))
async def proof_see(
    callback: CallbackQuery,
    callback_data: ProofCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        view = await orders.order_view(session, callback_data.id, viewer=user)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    order = view.order
    if not order.proof_file_id:
        alert(callback_answer, describe(ServiceError(Refusal.PROOF_MISSING)))
        return
    markup = (
        proof_buttons(order.id)
        if view.viewer_is_merchant and order.status == OrderStatus.ACCEPTED
        else None
    )
    await callback.message.answer_photo(
        order.proof_file_id,
        caption=proof_caption(order, view.buyer, _current_locale()),
        reply_markup=markup,
    )


@router.callback_query(ProofCb.filter(F.action == "no"))
async def proof_not_received(
    callback: CallbackQuery,
    callback_data: ProofCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    try:
        order = await payments.reject_proof(session, user, callback_data.id, now=clock())
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    callback_answer.text = _("Noted. The buyer was asked to check the payment.")
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            log.debug("proof message %s not edited", callback.message.message_id)
    view = await orders.order_view(session, order.id, viewer=user)
    buyer = view.buyer
    shop = view.merchant.name
    await notify(
        bot,
        buyer,
        lambda _locale: (
            _(
                "❌ {shop} has not received your payment for order #{id} yet. Please check "
                "your payment, then send a new proof."
            ).format(shop=esc(shop), id=order.id),
            proof_button(order.id),
        ),
    )
