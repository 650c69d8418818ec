"""Shop owners link their Telegram account to their shop: by sharing the phone number on
record, or through a one-time link from the city (/start m_<token>)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from handlers.routes import Routes
from models import User
from services import merchants
from services.errors import Refusal, ServiceError
from services.policy import Policy
from views import keyboards as kb
from views.callbacks import StartCb
from views.refusals import describe
from views.shop import linked_text

routes = Routes("merchant_link")


class MerchantLinkForm(StatesGroup):
    contact = State()


@routes.callback_query(StartCb.filter(F.action == "merchant"))
async def ask_merchant_contact(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(MerchantLinkForm.contact)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _(
                "To link your shop, share the phone number registered for your UMKM with the "
                "city: tap <b>📱 Share my phone number</b> below."
            ),
            reply_markup=kb.share_contact_keyboard(),
        )


@routes.message(MerchantLinkForm.contact, F.contact)
async def got_merchant_contact(
    message: Message, state: FSMContext, session: AsyncSession, user: User, policy: Policy
) -> None:
    assert message.contact is not None
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
    if message.bot is not None:
        await refresh_menu(message.bot, session, user, admin_ids=policy.admin_ids)


@routes.message(MerchantLinkForm.contact, ~F.contact, F.text != kb.CANCEL)
async def merchant_contact_expected(message: Message) -> None:
    await message.answer(
        _("Please tap the <b>📱 Share my phone number</b> button below."),
        reply_markup=kb.share_contact_keyboard(),
    )


@routes.message(CommandStart(deep_link=True, magic=F.args.startswith("m_")))
async def link_by_token(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    policy: Policy,
) -> None:
    await state.clear()
    try:
        merchant = await merchants.link_owner_by_token(session, user, (command.args or "")[2:])
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await message.answer(linked_text([merchant.name]), reply_markup=kb.main_menu())
    if message.bot is not None:
        await refresh_menu(message.bot, session, user, admin_ids=policy.admin_ids)
