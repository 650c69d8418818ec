"""Last resort: links, buttons and messages nobody handles (old, forged or from an older
version). Every callback query gets an answer, so no button ever leaves a spinning clock."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from handlers.start import start
from handlers.ui import alert
from models import User
from services.policy import Policy
from services.roles import Roles
from views import keyboards as kb

routes = Routes("fallback")
# Before the search (which takes any other command as unknown): links no feature took.
links = Routes("unknown_links")


@links.message(CommandStart(deep_link=True))
async def unknown_link(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    roles: Roles,
    bot: Bot,
    policy: Policy,
) -> None:
    """A /start payload no feature knows: start as if there was none."""
    await start(message, state, session, user, roles, bot, policy)


@routes.callback_query()
async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    alert(callback_answer, _("This button is no longer valid. Please open the menu again."))


@routes.message()
async def unexpected_message(message: Message) -> None:
    await message.answer(
        _("I can't use this here. Type what you are looking for, or use the menu below."),
        reply_markup=kb.main_menu(),
    )
