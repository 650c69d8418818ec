"""The one error path: what the user is told when handling their update fails.

Registered on the root router (`handlers.build_router`):
- a `ServiceError` (a refusal: not allowed, sold out, no longer exists, ...) is answered with
  its sentence from `views.refusals`, in the user's language: as a pop-up for a button, as a
  message otherwise. Nothing was changed: the update's database session is rolled back.
- anything else is logged once with the update id (no personal data: the traceback only) and
  answered with a polite apology in the user's language; the user's next action works.
Telegram refusing an edit that changes nothing, or an answer to a callback query it already
considers answered (a re-delivered update), is no error for the user.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import gettext as _

from services.errors import ServiceError
from views.format import plain
from views.i18n import DEFAULT_LOCALE, get_i18n
from views.refusals import describe

log = logging.getLogger(__name__)


def stale_query(exc: TelegramBadRequest) -> bool:
    """Telegram refuses to answer a callback query again, or after it expired."""
    text = exc.message.lower()
    return "query is too old" in text or "query id is invalid" in text


def _harmless(exc: BaseException) -> bool:
    return isinstance(exc, TelegramBadRequest) and (
        "message is not modified" in exc.message or stale_query(exc)
    )


async def on_refusal(event: ErrorEvent, bot: Bot, locale: str = DEFAULT_LOCALE) -> bool:
    assert isinstance(event.exception, ServiceError)
    with get_i18n().context(), get_i18n().use_locale(locale):
        text = describe(event.exception)
    await tell(bot, event.update, text)
    return True


async def on_failure(event: ErrorEvent, bot: Bot, locale: str = DEFAULT_LOCALE) -> bool:
    exc = event.exception
    if _harmless(exc):
        log.debug("update %s: %s", event.update.update_id, exc)
        return True
    log.error("update %s failed", event.update.update_id, exc_info=exc)
    with get_i18n().context(), get_i18n().use_locale(locale):
        text = _("Sorry, something went wrong. Please try again.")
    await tell(bot, event.update, text)
    return True


async def tell(bot: Bot, update: Update, text: str) -> None:
    """`text` (HTML) as the answer to the update: the pop-up of a tapped button (or, if that
    query can no longer be answered, a message in the chat), else a message."""
    try:
        if update.callback_query is not None:
            query = update.callback_query
            try:
                await bot.answer_callback_query(query.id, text=plain(text), show_alert=True)
                return
            except TelegramBadRequest as exc:
                if not stale_query(exc):
                    raise
            await bot.send_message(query.from_user.id, text)
        elif update.message is not None:
            await bot.send_message(update.message.chat.id, text)
    except Exception:
        log.warning("update %s: the user could not be told", update.update_id, exc_info=True)
