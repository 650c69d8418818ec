"""Shop owners link their Telegram account to their shop (contact or deep link)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from views.refusals import describe
from handlers.shop import set_shop_commands
from models import User
from services import merchants
from services.errors import Refusal, ServiceError
from views import keyboards as kb
from views.callbacks import StartCb
from views.format import esc

router = Router(name="merchant")


class MerchantLinkForm(StatesGroup):
    contact = State()


def linked_text(names: list[str]) -> str:
    return (
        _(
            "🏪 Your account now runs <b>{shops}</b>. New orders will arrive here as messages "
            "with buttons to accept, confirm payment and hand over."
        ).format(shops=esc(", ".join(names)))
        + "\n\n"
        + _(
            "/toko shows your shop's day, opens or closes it and registers your QRIS; "
            "/produk lists, adds and edits your products."
        )
    )


@router.callback_query(StartCb.filter(F.action == "merchant"))
async def ask_merchant_contact(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(MerchantLinkForm.contact)
    await callback.message.answer(
        _(
            "To link your shop, share the phone number registered for your UMKM with the city: "
            "tap <b>📱 Share my phone number</b> below."
        ),
        reply_markup=kb.share_contact_keyboard(),
    )


@router.message(MerchantLinkForm.contact, F.contact)
async def got_merchant_contact(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    try:
        linked = await merchants.link_owner_by_contact(
            session,
            user,
            phone=message.contact.phone_number,
            contact_user_id=message.contact.user_id,
        )
    except ServiceError as exc:
        if exc.code in (Refusal.NOT_OWN_CONTACT, Refusal.PHONE_INVALID):
            await message.answer(describe(exc), reply_markup=kb.share_contact_keyboard())
            return
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    await message.answer(linked_text([m.name for m in linked]), reply_markup=kb.main_menu())
    await set_shop_commands(message.bot, message.chat.id, locale)


@router.message(MerchantLinkForm.contact, ~F.contact, F.text != kb.CANCEL)
async def merchant_contact_expected(message: Message) -> None:
    await message.answer(
        _("Please tap the <b>📱 Share my phone number</b> button below."),
        reply_markup=kb.share_contact_keyboard(),
    )


async def link_by_token(message: Message, session: AsyncSession, user: User, token: str) -> None:
    try:
        merchant = await merchants.link_owner_by_token(session, user, token)
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await message.answer(linked_text([merchant.name]), reply_markup=kb.main_menu())
    await set_shop_commands(message.bot, message.chat.id, get_i18n().current_locale)
