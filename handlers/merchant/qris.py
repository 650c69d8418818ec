"""A shop registers its printed (static) QRIS, by photo, image file or pasted text; each
accepted QRIS order then gets a dynamic code for its exact amount (`delivery.orders`)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from models import User
from services import payments
from services.errors import Refusal, ServiceError
from services.qr_image import QrImageError, decode_image
from views import keyboards as kb
from views.callbacks import ShopCb
from views.format import file_too_large
from views.payments import qris_summary
from views.refusals import describe

routes = Routes("qris")

# Images a shop sends of its printed QRIS are read up to this size (Telegram photos are far
# smaller; a scan sent as a file may be large).
MAX_QRIS_IMAGE_BYTES = 10 * 1024 * 1024


class QrisForm(StatesGroup):
    payload = State()


@routes.callback_query(ShopCb.filter(F.action == "qris"))
async def qris_screen(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    current = await payments.shop_qris(session, user, callback_data.m)
    await state.set_state(QrisForm.payload)
    await state.update_data(qris_shop=callback_data.m)
    lines = [_("🔳 <b>QRIS</b>")]
    if current is None:
        lines.append(_("No QRIS is registered yet: buyers can pay cash or by transfer only."))
    else:
        lines.append(_("Registered: {summary}").format(summary=qris_summary(current)))
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
    assert isinstance(callback.message, Message)
    await callback.message.answer("\n".join(lines), reply_markup=builder.as_markup())
    await callback.message.answer(
        _("Waiting for the photo or the text…"), reply_markup=kb.cancel_keyboard()
    )


@routes.callback_query(ShopCb.filter(F.action == "qris_rm"))
async def qris_remove(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    await payments.remove_qris(session, user, callback_data.m, now=clock())
    await state.clear()
    assert isinstance(callback.message, Message)
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
        ).format(summary=qris_summary(parsed)),
        reply_markup=kb.main_menu(),
    )


@routes.message(QrisForm.payload, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def qris_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    await _register(message, state, session, user, message.text or "", clock())


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
    assert message.bot is not None
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


@routes.message(QrisForm.payload, F.photo)
async def qris_photo(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
) -> None:
    assert message.photo is not None
    await _register_picture(message, state, session, user, message.photo[-1].file_id, clock())


@routes.message(QrisForm.payload, F.document)
async def qris_document(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    clock: Callable[[], datetime],
    locale: str,
) -> None:
    document = message.document
    assert document is not None
    if not (document.mime_type or "").startswith("image/"):
        await message.answer(_("Please send a photo of the QRIS, or paste its text."))
        return
    if (document.file_size or 0) > MAX_QRIS_IMAGE_BYTES:  # never downloaded
        await message.answer(file_too_large(document.file_size or 0, MAX_QRIS_IMAGE_BYTES, locale))
        return
    await _register_picture(message, state, session, user, document.file_id, clock())


@routes.message(StateFilter(QrisForm.payload), F.text != kb.CANCEL)
async def qris_expected(message: Message) -> None:
    await message.answer(_("Please send a photo of the QRIS, or paste its text."))
