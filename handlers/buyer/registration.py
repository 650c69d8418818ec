"""Registering as an ASN (NIP + own phone) or as a general buyer (name + own phone).

A registration that needs an administrator's check is sent to them (`handlers.admin.registrations`
decides it)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from delivery.notify import notify
from delivery.sender import Sender
from handlers.routes import Routes
from models import BuyerKind, User
from services import registration as reg
from services.admins import admin_telegram_ids
from services.errors import Refusal, ServiceError
from services.nip import NipError
from services.policy import Policy
from services.users import get_user
from views import keyboards as kb
from views.callbacks import RegistrationCb, StartCb
from views.format import esc
from views.import_messages import describe_nip_error
from views.refusals import describe

log = logging.getLogger(__name__)
routes = Routes("registration")


# Why a NIP could not be linked: told to the person as one sentence (NIP_NOT_CONFIRMED).
NOT_CONFIRMED = (
    Refusal.NOT_IN_ROSTER,
    Refusal.INACTIVE,
    Refusal.NIP_TAKEN,
    Refusal.PHONE_MISMATCH,
)


class AsnForm(StatesGroup):
    nip = State()
    contact = State()


class GeneralForm(StatesGroup):
    name = State()
    contact = State()


def _today(policy: Policy) -> date:
    return datetime.now(policy.tz).date()


@routes.callback_query(StartCb.filter(F.action == "asn"))
async def ask_nip(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    assert callback.message is not None  # a button of the bot's start message
    if user.kind == BuyerKind.ASN:
        await callback.message.answer(
            _("You are already registered as an ASN."), reply_markup=kb.main_menu()
        )
        return
    await state.set_state(AsnForm.nip)
    await callback.message.answer(
        _(
            "Please type your <b>NIP</b> (18 digits, PNS or PPPK), for example "
            "<code>198503122010011001</code>."
        ),
        reply_markup=kb.cancel_keyboard(),
    )


@routes.message(AsnForm.nip, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_nip(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    policy: Policy,
) -> None:
    """The same answer for every well-formed NIP, in the roster or not: nothing personal is
    shown before the phone number matches (typing NIPs must not look colleagues up)."""
    try:
        nip = reg.check_nip(user, message.text or "", today=_today(policy))
    except NipError as exc:
        await message.answer(esc(describe_nip_error(exc, _)) + "\n" + _("Please type it again."))
        return
    await state.update_data(nip=nip)
    await state.set_state(AsnForm.contact)
    await message.answer(
        _(
            "Thank you. We will check NIP <code>{nip}</code> against the phone number of this "
            "Telegram account: tap <b>📱 Share my phone number</b> below."
        ).format(nip=nip),
        reply_markup=kb.share_contact_keyboard(),
    )


@routes.message(AsnForm.nip, F.content_type != "text")
async def nip_not_text(message: Message) -> None:
    await message.answer(_("Please type your NIP as text (18 digits)."))


@routes.message(AsnForm.contact, F.contact)
async def got_asn_contact(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    policy: Policy,
    sender: Sender,
    bot: Bot,
) -> None:
    assert message.contact is not None  # the F.contact filter
    data = await state.get_data()
    try:
        outcome = await reg.register_asn(
            session,
            user,
            data.get("nip", ""),
            phone=message.contact.phone_number,
            contact_user_id=message.contact.user_id,
            today=_today(policy),
        )
    except NipError as exc:
        await state.set_state(AsnForm.nip)
        await message.answer(esc(describe_nip_error(exc, _)), reply_markup=kb.cancel_keyboard())
        return
    except ServiceError as exc:
        if exc.code == Refusal.NIP_TAKEN:
            await tell_admins_nip_taken(sender, session, policy, user, str(exc.params["nip"]))
        if exc.code in (Refusal.NOT_OWN_CONTACT, Refusal.PHONE_INVALID):
            await message.answer(describe(exc), reply_markup=kb.share_contact_keyboard())
            return
        if exc.code in NOT_CONFIRMED:
            # One answer whichever it was: a stranger learns nothing about the roster.
            exc = ServiceError(Refusal.NIP_NOT_CONFIRMED, nip=data.get("nip", ""))
        await state.clear()
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await state.clear()
    if outcome.status == "registered":
        await message.answer(
            _(
                "✅ Registered! Welcome, <b>{name}</b> ({opd}, golongan {golongan}).\n\n"
                "Open 📊 My quota to see this month's minimum, and 🛍️ Catalog to start "
                "shopping."
            ).format(
                name=esc(outcome.roster.name),
                opd=esc(outcome.roster.opd),
                golongan=esc(outcome.roster.golongan),
            ),
            reply_markup=kb.main_menu(),
        )
        await refresh_menu(bot, session, user, admin_ids=policy.admin_ids)  # the ASN commands
        return
    await message.answer(
        _(
            "Thank you. The roster has no phone number for this NIP, so an administrator will "
            "check your registration. You will get a message here when it is approved. "
            "Meanwhile you can browse the catalog."
        ),
        reply_markup=kb.main_menu(),
    )
    await ask_admins(sender, session, policy, outcome)


@routes.message(AsnForm.contact, ~F.contact, F.text != kb.CANCEL)
@routes.message(GeneralForm.contact, ~F.contact, F.text != kb.CANCEL)
async def contact_expected(message: Message) -> None:
    await message.answer(
        _("Please tap the <b>📱 Share my phone number</b> button below."),
        reply_markup=kb.share_contact_keyboard(),
    )


@routes.callback_query(StartCb.filter(F.action == "general"))
async def ask_name(callback: CallbackQuery, state: FSMContext, user: User) -> None:
    assert callback.message is not None  # a button of the bot's start message
    if user.kind in (BuyerKind.ASN, BuyerKind.GENERAL):
        await callback.message.answer(
            _("You are already registered."), reply_markup=kb.main_menu()
        )
        return
    await state.set_state(GeneralForm.name)
    await callback.message.answer(
        _("Please type your full name."), reply_markup=kb.cancel_keyboard()
    )


@routes.message(GeneralForm.name, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_name(message: Message, state: FSMContext) -> None:
    assert message.text is not None  # the F.text filter
    name = " ".join(message.text.split())
    if not 2 <= len(name) <= 100:
        await message.answer(_("Please type your full name (2 to 100 characters)."))
        return
    await state.update_data(name=name)
    await state.set_state(GeneralForm.contact)
    await message.answer(
        _(
            "Thank you, {name}. Now tap <b>📱 Share my phone number</b> below, "
            "so that shops can reach you about your orders."
        ).format(name=esc(name)),
        reply_markup=kb.share_contact_keyboard(),
    )


@routes.message(GeneralForm.contact, F.contact)
async def got_general_contact(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    assert message.contact is not None  # the F.contact filter
    data = await state.get_data()
    try:
        await reg.register_general(
            session,
            user,
            full_name=data.get("name", ""),
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
    await message.answer(
        _("✅ Registered as a general buyer. Happy shopping!"), reply_markup=kb.main_menu()
    )


# --- telling the administrators ----------------------------------------------------------


async def _admin_users(session: AsyncSession, policy: Policy) -> list[User]:
    admins = []
    for telegram_id in await admin_telegram_ids(session, policy.admin_ids):
        admin = await get_user(session, telegram_id)
        if admin is not None:
            admins.append(admin)
    return admins


async def tell_admins_nip_taken(
    sender: Sender, session: AsyncSession, policy: Policy, user: User, nip: str
) -> None:
    def render(_locale: str) -> tuple[str, None]:
        return (
            _(
                "⚠️ Another Telegram account ({name}, id {telegram_id}) tried to register NIP "
                "<code>{nip}</code>, which is already linked or pending. It was refused."
            ).format(name=esc(user.first_name), telegram_id=user.telegram_id, nip=nip),
            None,
        )

    for admin in await _admin_users(session, policy):
        await notify(sender, admin, render)


async def ask_admins(
    sender: Sender, session: AsyncSession, policy: Policy, outcome: reg.RegistrationOutcome
) -> None:
    registration = outcome.registration
    assert registration is not None and registration.id is not None  # a stored pending one
    registration_id = registration.id

    def render(_locale: str) -> tuple[str, InlineKeyboardMarkup]:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✅ Approve"), callback_data=RegistrationCb(id=registration_id, approve=True)
        )
        builder.button(
            text=_("❌ Reject"), callback_data=RegistrationCb(id=registration_id, approve=False)
        )
        text = _(
            "🪪 <b>Registration to check</b>\n\nNIP: <code>{nip}</code>\nRoster name: {name}\n"
            "OPD: {opd}\nGolongan: {golongan}\nTelegram: {tg_name} (id {telegram_id})\n"
            "Shared phone: {phone}\n\nThe roster has no phone number for this NIP."
        ).format(
            nip=outcome.roster.nip,
            name=esc(outcome.roster.name),
            opd=esc(outcome.roster.opd),
            golongan=esc(outcome.roster.golongan),
            tg_name=esc(outcome.user.first_name),
            telegram_id=outcome.user.telegram_id,
            phone=esc(registration.phone),
        )
        return text, builder.as_markup()

    for admin in await _admin_users(session, policy):
        await notify(sender, admin, render)
