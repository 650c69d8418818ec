"""/start (with deep links), /bantuan, /bahasa and leaving any flow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from models import BuyerKind, User
from services.users import set_language
from views import keyboards as kb
from views.callbacks import LanguageCb
from views.format import esc

router = Router(name="common")


def greeting(user: User) -> str:
    if user.kind == BuyerKind.ASN:
        return _(
            "Welcome back, <b>{name}</b>! 👋\n\nUse the menu below to shop from Malang's UMKM "
            "and follow this month's minimum with 📊 My quota."
        ).format(name=esc(user.full_name or user.first_name))
    if user.kind == BuyerKind.GENERAL:
        return _(
            "Welcome back, <b>{name}</b>! 👋\n\nUse the menu below to shop from Malang's UMKM."
        ).format(name=esc(user.full_name or user.first_name))
    return _(
        "Welcome to <b>TukuLokal</b>, the shop window of Malang's UMKM! 👋\n\n"
        "Civil servants (ASN) of Kota Malang register with their NIP to order and follow "
        "their monthly minimum spend. Anyone may browse and search the catalog, and order "
        "as a general buyer."
    )


@router.message(CommandStart(deep_link=True))
async def start_deep_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    clock: Callable[[], datetime],
) -> None:
    from handlers.catalog import send_product_card
    from handlers.merchant import link_by_token

    payload = command.args or ""
    await state.clear()
    if payload.startswith("p") and payload[1:].isdigit():
        await message.answer(greeting(user), reply_markup=kb.main_menu())
        await send_product_card(message, session, user, int(payload[1:]), src="d")
        return
    if payload.startswith("m_"):
        await link_by_token(message, session, user, payload[2:])
        return
    if payload.startswith("s_"):
        from handlers.shop import join_by_invite

        await join_by_invite(message, session, user, payload[2:], now=clock(), locale=locale)
        return
    await start(message, state, user)


@router.message(CommandStart())
async def start(message: Message, state: FSMContext, user: User) -> None:
    await state.clear()
    await message.answer(greeting(user), reply_markup=kb.main_menu())
    registered = user.kind in (BuyerKind.ASN, BuyerKind.GENERAL)
    await message.answer(
        _("What would you like to do?"), reply_markup=kb.start_keyboard(registered=registered)
    )


def help_text() -> str:
    return _(
        "<b>TukuLokal — help</b>\n\n"
        "/katalog — browse products by category\n"
        "/cari <i>words</i> — search products (or just type what you look for)\n"
        "/keranjang — your cart and checkout\n"
        "/pesanan — your orders and their status\n"
        "/kuota — this month's minimum spend and what remains\n"
        "/bahasa — change the language\n"
        "/start — register or start over\n\n"
        "Each order goes to one shop, which accepts it, confirms your payment and hands it "
        "over. Only orders whose payment the shop confirmed count toward your minimum."
    )


@router.message(Command("bantuan", "help"))
@router.message(F.text == kb.MENU_HELP)
async def help_command(message: Message) -> None:
    await message.answer(help_text(), reply_markup=kb.main_menu())


@router.message(Command("bahasa", "language"))
async def language_command(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=kb.language_keyboard())


@router.callback_query(LanguageCb.filter())
async def language_chosen(
    callback: CallbackQuery, callback_data: LanguageCb, session: AsyncSession, user: User, i18n
) -> None:
    from services.errors import ServiceError

    try:
        await set_language(session, user, callback_data.code)
    except ServiceError:
        return
    with i18n.use_locale(callback_data.code):
        await callback.message.edit_text(_("✅ Language changed."))
        await callback.message.answer(
            _("The menu below now uses this language too."), reply_markup=kb.main_menu()
        )


@router.message(Command("batal", "cancel"))
@router.message(F.text == kb.CANCEL)
async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was changed."), reply_markup=kb.main_menu())
