"""The one error path: what the user is told when handling their update fails.

Registered on the root router (`handlers.build_router`):
- a `ServiceError` (a refusal: not allowed, sold out, no longer exists, ...) is answered with
  its sentence from `views.refusals`, in the user's language: as a pop-up for a button, as a
  message otherwise. Nothing was changed: the update's database session is rolled back.
- the database unreachable (restarting, down): logged in one line, and the user is asked to
  try again shortly; nothing was written (the transaction never committed), and the next
  update after the database is back works (connections are checked before use).
- Telegram not answering (a timeout or dropped connection while answering): logged in one
  line; no apology, since the answer may well have arrived and the apology could not go out.
- anything else is logged once with the update id (no personal data: the traceback only) and
  answered with a polite apology in the user's language; the user's next action works.
Telegram refusing an edit that changes nothing, or an answer to a callback query it already
considers answered (a re-delivered update), is no error for the user.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramServerError
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import gettext as _

from delivery.sender import not_carried_out
from models.db import unavailable
from services.errors import ServiceError
from views.format import plain
from views.i18n import DEFAULT_LOCALE, get_i18n, pick_locale
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


async def on_failure(event: ErrorEvent, bot: Bot, locale: str | None = None) -> bool:
    exc = event.exception
    if _harmless(exc):
        log.debug("update %s: %s", event.update.update_id, exc)
        return True
    if isinstance(exc, (TelegramNetworkError, TelegramServerError)) and not not_carried_out(exc):
        log.warning("update %s: Telegram did not answer: %s", event.update.update_id, exc)
        return True
    if unavailable(exc):
        log.warning("update %s: the database is unavailable: %r", event.update.update_id, exc)
        with get_i18n().context(), get_i18n().use_locale(locale or _telegram_locale(event)):
            text = _("The service is busy at the moment. Please try again in a little while.")
        await tell(bot, event.update, text)
        return True
    log.error("update %s failed", event.update.update_id, exc_info=exc)
    with get_i18n().context(), get_i18n().use_locale(locale or DEFAULT_LOCALE):
        text = _("Sorry, something went wrong. Please try again.")
    await tell(bot, event.update, text)
    return True


def _telegram_locale(event: ErrorEvent) -> str:
    """The language of the user's Telegram app (their stored choice could not be read)."""
    update = event.update
    source = update.message or update.callback_query
    user = source.from_user if source is not None else None
    return pick_locale(None, user.language_code if user is not None else None)


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
