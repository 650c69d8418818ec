"""Per-update context: a database session, the user's account and language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n

from bot.i18n import pick_locale
from models.db import Database
from services.users import get_or_create_user

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update, closed when the update is handled."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.db.session() as session:
            data["session"] = session
            return await handler(event, data)


class UserLocaleMiddleware(BaseMiddleware):
    """Loads (or creates) the sender's account and sets the gettext locale for the update."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        session = data["session"]
        user = await get_or_create_user(
            session,
            tg_user.id,
            first_name=tg_user.first_name,
            username=tg_user.username,
            language_code=tg_user.language_code,
        )
        locale = pick_locale(user.language, tg_user.language_code)
        data["user"] = user
        data["locale"] = locale
        data["i18n"] = self.i18n
        with self.i18n.context(), self.i18n.use_locale(locale):
            return await handler(event, data)
