"""Per-update context: a database session, the acting user with their roles and language, and
the answer to every callback query."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.logs import user_hash
from handlers.errors import stale_query
from models.db import Database
from services import updates
from services.roles import acting_account
from views.i18n import pick_locale
from views.keyboards import for_roles

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class Trace:
    """What the log line of one update says (filled in on its way through)."""

    handler: str | None = None
    outcome: str | None = None


@dataclass
class Activity:
    """When this process last finished an update (`/readyz`)."""

    last_update_at: datetime | None = None


class UpdateLog(BaseMiddleware):
    """One log record per update: id, hashed user id, handler, duration, outcome."""

    def __init__(self, activity: Activity, clock: Callable[[], datetime], hash_key: bytes) -> None:
        self.activity = activity
        self.clock = clock
        self.hash_key = hash_key

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        trace = data["trace"] = Trace()
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = trace.outcome or ("unhandled" if result is UNHANDLED else "handled")
            return result
        finally:
            self.activity.last_update_at = self.clock()
            user = data.get("event_from_user")
            log.info(
                "update",
                extra={
                    "update_id": event.update_id,
                    "update_type": event.event_type,
                    "user": user_hash(user.id if user else None, self.hash_key),
                    "handler": trace.handler,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "outcome": outcome,
                },
            )


class TraceHandler(BaseMiddleware):
    """Notes which handler took the update (an inner middleware: it runs once one matched)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace: Trace | None = data.get("trace")
        callback = getattr(data.get("handler"), "callback", None)
        if trace is not None and callback is not None:
            trace.handler = f"{callback.__module__}.{callback.__qualname__}"
        return await handler(event, data)


# Set by the webhook handler for the update it feeds: `OncePerUpdate` sets the event once the
# update is in hand (it holds its user's lock, if it has a user) and about to be claimed.
in_hand: ContextVar[asyncio.Event | None] = ContextVar("in_hand", default=None)


class OncePerUpdate(BaseMiddleware):
    """Handles each update once: a re-delivered `update_id` (Telegram delivers at least once)
    is skipped, also after a restart and in another process.

    Without Redis the claim is a database row (`services.updates`): an update cut short by a
    crash is not handled again. With Redis (several workers) the claim is `SET NX`, first
    "in hand" by this process, then "done" (kept `updates.KEEP`). A copy that finds it in
    another worker's hands while holding the user's lock (`bot.isolation`: a live worker holds
    it, renewed, as long as it handles the update) knows that worker died mid-update, and
    handles it: a worker killed under nginx loses no update.
    """

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        redis: Redis | None = None,
        *,
        prefix: str = "tukulokal",
    ) -> None:
        self.db = db
        self.clock = clock
        self.redis = redis
        self.prefix = prefix
        self.me = f"hand:{uuid.uuid4().hex}"

    async def _claim_in_redis(self, redis: Redis, key: str, has_user: bool) -> bool:
        if await redis.set(key, self.me, nx=True, ex=IN_HAND_SECONDS):
            return True
        holder = await redis.get(key)
        if holder is None or holder == b"done" or not has_user:
            return False
        # In another worker's hands, and we hold this user's lock: that worker is gone.
        log.warning("update %s: its worker stopped while handling it, taken over", key)
        return bool(await redis.set(key, self.me, xx=True, ex=IN_HAND_SECONDS))

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        taken = in_hand.get()
        if taken is not None:  # it holds its user's lock: from here on it is not given up
            taken.set()
        redis = self.redis
        if redis is None:
            async with self.db.session() as session:
                first = await updates.claim(session, event.update_id, now=self.clock())
        else:
            key = f"{self.prefix}:update:{event.update_id}"
            first = await self._claim_in_redis(redis, key, data.get("event_from_user") is not None)
        if not first:
            log.info("update %s was delivered again: skipped", event.update_id)
            trace: Trace | None = data.get("trace")
            if trace is not None:
                trace.outcome = "duplicate"
            return UNHANDLED
        if redis is None:
            return await handler(event, data)
        try:
            return await handler(event, data)
        finally:
            try:
                await redis.set(key, "done", ex=updates.KEEP)
            except Exception:  # Redis gone (a stop under way): the claim expires by itself
                log.warning("update %s: could not mark it done in Redis", event.update_id)


# How long an update may stay "in hand" of a worker in Redis (a dead worker's claim ends).
IN_HAND_SECONDS = 600


class DbSessionMiddleware(BaseMiddleware):
    """One database session per update, closed when the update is handled (what a failing
    handler had not committed is rolled back)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.db.session() as session:
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
