"""Per-update context: a database session, the acting user with their roles and language, and
the answer to every callback query."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from handlers.errors import stale_query
from models.db import Database
from services import updates
from services.roles import acting_account
from views.i18n import pick_locale
from views.keyboards import for_roles

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update, closed when the update is handled (what a failing
    handler had not committed is rolled back).

    Each update is handled once: its `update_id` is claimed first, in the same session
    (`services.updates`), and a re-delivered one (Telegram delivers at least once) is skipped,
    also after a restart and in another process.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.db.session() as session:
            if isinstance(event, Update):
                first = await updates.claim(session, event.update_id, now=self.clock())
                if not first:
                    log.info("update %s was delivered again: skipped", event.update_id)
                    return UNHANDLED
            data["session"] = session
            return await handler(event, data)


class UserMiddleware(BaseMiddleware):
    """Loads (or creates) the sender's account, resolves every role they hold (`roles`) and
    sets the gettext locale for the update (`locale`)."""

    def __init__(self, i18n: I18n, admin_ids: frozenset[int]) -> None:
        self.i18n = i18n
        self.admin_ids = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        session = data["session"]
        user, roles = await acting_account(
            session,
            tg_user.id,
            admin_ids=self.admin_ids,
            first_name=tg_user.first_name,
            username=tg_user.username,
            language_code=tg_user.language_code,
        )
        locale = pick_locale(user.language, tg_user.language_code)
        data["user"] = user
        data["roles"] = roles
        data["locale"] = locale
        data["i18n"] = self.i18n
        with self.i18n.context(), self.i18n.use_locale(locale), for_roles(roles):
            return await handler(event, data)


class AnswerCallbacks(BaseMiddleware):
    """Every callback query is answered exactly once, so no button keeps spinning.

    Handlers set the answer's text through `callback_answer` (aiogram's `CallbackAnswer`); it
    is sent when the handler returns. When the handler fails, `handlers.errors` answers instead,
    with the refusal or an apology in the user's language. A query Telegram no longer accepts
    (answered already, or too old: a re-delivered update) is left alone.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = CallbackAnswer(answered=False)
        result = await handler(event, data)
        if not answer.disabled and not answer.answered:
            try:
                await event.answer(text=answer.text, show_alert=answer.show_alert)
            except TelegramBadRequest as exc:
                if not stale_query(exc):
                    raise
                log.debug("callback query %s was answered already or is too old", event.id)
        return result
