"""The buttons of a deadline reminder: open the catalog, or start a search, in a new message
(the reminder with its figures stays in the chat)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.catalog import categories_screen
from handlers.routes import Routes
from views.reminders import ReminderCb

routes = Routes("reminders")


@routes.callback_query(ReminderCb.filter())
async def reminder_button(
    callback: CallbackQuery,
    callback_data: ReminderCb,
    bot: Bot,
    session: AsyncSession,
    locale: str,
) -> None:
    chat_id = callback.from_user.id
    if callback_data.action == "catalog":
        text, markup = await categories_screen(session, locale)
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    await bot.send_message(
        chat_id,
        _("🔎 Type what you are looking for, e.g. <i>keripik tempe</i> or <i>batik</i>."),
    )
