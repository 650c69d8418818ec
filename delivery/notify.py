"""Telling someone other than the person acting: an order step, a decision, a new role.

Every such message goes through the process's one rate-limited `Sender`, like reminders and
broadcasts: a 429 pauses all sending for its `retry_after`, a blocked bot (403) or a deleted
account is reported as unreachable (never raised into the handler that caused it), and the
message is rendered in the recipient's own language, not in the actor's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, ReplyKeyboardMarkup

from delivery.sender import Outcome, Sender
from models import User
from views.i18n import get_i18n, pick_locale
from views.keyboards import for_roles

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
Render = Callable[[str], tuple[str, Markup]]
Photo = str | BufferedInputFile


def render_for(recipient: User, render: Render) -> tuple[str, Markup]:
    """`render(locale)` with gettext switched to the recipient's language."""
    locale = pick_locale(recipient.language, recipient.telegram_language)
    i18n = get_i18n()
    # The acting person's roles do not shape the recipient's keyboard.
    with i18n.context(), i18n.use_locale(locale), for_roles(None):
        return render(locale)


async def notify(
    sender: Sender, recipient: User, render: Render, *, photo: Photo | None = None
) -> bool:
    """Send `render(locale)` (a text, or a photo's caption) to `recipient`; False when they
    cannot be reached (blocked the bot, deleted account, message refused)."""
    text, markup = render_for(recipient, render)

    def make(bot: Bot, chat_id: int) -> Awaitable[Any]:
        if photo is None:
            return bot.send_message(chat_id, text, reply_markup=markup)
        return bot.send_photo(chat_id, photo, caption=text, reply_markup=markup)

    result = await sender.send(recipient.telegram_id, make)
    if result.outcome in (Outcome.BLOCKED, Outcome.NOT_FOUND):
        log.info("user %s is unreachable (%s)", recipient.id, result.outcome.value)
    elif not result.ok:
        log.warning("notification to user %s failed: %s", recipient.id, result.error)
    return result.ok
