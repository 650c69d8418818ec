"""Showing screens to the person acting: edit in place when a button was tapped, send
otherwise; pop-up alerts. (Messages to anyone else go through `delivery.notify`.)"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from views.format import plain


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the tapped message's text (same screen, new content), or send a new message."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and message.text is not None:
            try:
                await message.edit_text(text, reply_markup=markup)
            except TelegramBadRequest as exc:
                if "message is not modified" not in str(exc):
                    raise
            return
        if isinstance(message, Message):
            await message.answer(text, reply_markup=markup)
            return
        if event.bot is not None:
            await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
        return
    await event.answer(text, reply_markup=markup)


def alert(callback_answer: CallbackAnswer, text: str) -> None:
    """Show `text` (HTML or plain) as a pop-up when the callback query is answered."""
    callback_answer.text = plain(text)
    callback_answer.show_alert = True


def toast(callback_answer: CallbackAnswer, text: str) -> None:
    """A short notice at the top of the chat when the callback query is answered."""
    callback_answer.text = plain(text)
