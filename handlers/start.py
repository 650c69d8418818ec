"""/start without a payload (a link's payload is handled by the feature it opens; one nobody
knows ends in `handlers.fallback`), /bantuan, /bahasa and leaving any flow."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from handlers.routes import Routes
from models import BuyerKind, User
from services.outside import discard_draft
from services.policy import Policy
from services.roles import Roles
from services.users import set_language
from views import keyboards as kb
from views import start as screens
from views.callbacks import LanguageCb

routes = Routes("start")


@routes.message(CommandStart(magic=F.args.is_(None)))
@routes.message(Command("menu"))
async def start(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    roles: Roles,
    bot: Bot,
    policy: Policy,
) -> None:
    """Home: what this person can do here, by every role they hold. Their command menu is set
    again too (roles that came by an import, not through the chat, then get theirs)."""
    await state.clear()
    await message.answer(screens.home_text(user, roles), reply_markup=kb.main_menu())
    await refresh_menu(bot, session, user, admin_ids=policy.admin_ids)
    registered = user.kind in (BuyerKind.ASN, BuyerKind.GENERAL)
    await message.answer(
        _("What would you like to do?"),
        reply_markup=screens.home_buttons(roles, registered=registered),
    )


@routes.message(Command("bantuan", "help"))
@routes.message(F.text == kb.MENU_HELP)
async def help_command(message: Message, roles: Roles) -> None:
    await message.answer(screens.help_text(roles), reply_markup=kb.main_menu())


@routes.message(Command("bahasa", "language"))
async def language_command(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=kb.language_keyboard())


@routes.callback_query(LanguageCb.filter())
async def language_chosen(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    session: AsyncSession,
    user: User,
    i18n: I18n,
    bot: Bot,
    policy: Policy,
) -> None:
    await set_language(session, user, callback_data.code)
    await refresh_menu(bot, session, user, admin_ids=policy.admin_ids)
    with i18n.use_locale(callback_data.code):
        if isinstance(callback.message, Message):
            await callback.message.edit_text(_("✅ Language changed."))
            await callback.message.answer(
                _("The menu below now uses this language too."), reply_markup=kb.main_menu()
            )


@routes.message(Command("batal", "cancel"))
@routes.message(F.text == kb.CANCEL)
async def cancel(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.clear()
    await discard_draft(session, user)  # photos of an unfinished outside-purchase report
    await message.answer(_("Cancelled. Nothing was changed."), reply_markup=kb.main_menu())
