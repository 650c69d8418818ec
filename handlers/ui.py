"""Showing screens: edit in place when a button was tapped, send otherwise; notify others."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup

from bot.i18n import get_i18n, pick_locale
from models import User

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


async def show(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None):
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
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
        return
    await event.answer(text, reply_markup=markup)


async def notify(
    bot: Bot,
    recipient: User,
    render: Callable[[str], tuple[str, Markup]],
    *,
    on_unreachable: Callable[[User], object] | None = None,
) -> bool:
    """Send `render(locale)` to another user in their own language; False if unreachable."""
    locale = pick_locale(recipient.language, recipient.telegram_language)
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale(locale):
        text, markup = render(locale)
    try:
        await bot.send_message(recipient.telegram_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        log.info("user %s blocked the bot", recipient.id)
        return False
    except TelegramBadRequest as exc:
        if "chat not found" in str(exc):
            log.info("user %s is gone", recipient.id)
            return False
        raise
    return True


def alert(callback_answer: object, text: str) -> None:
    """Show `text` as an alert when the callback query is answered (by the middleware)."""
    callback_answer.text = text  # type: ignore[attr-defined]
    callback_answer.show_alert = True  # type: ignore[attr-defined]
