"""The buttons of a deadline reminder: open the catalog, or start a search, in a new message
(the reminder with its figures stays in the chat)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.routes import Routes
from services.categories import list_categories
from views.catalog import categories_screen, search_prompt
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
        text, markup = categories_screen(await list_categories(session), locale)
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    await bot.send_message(chat_id, search_prompt())
