"""Building the Bot and the Dispatcher, and what happens on start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis

from bot.isolation import RenewedRedisEventIsolation, redis_key_builder
from bot.logs import hash_key
from bot.middlewares import (
    Activity,
    AnswerCallbacks,
    DbSessionMiddleware,
    OncePerUpdate,
    TraceHandler,
    UpdateLog,
    UserMiddleware,
)
from bot.settings import Settings
from bot.storage import SqlStorage
from delivery.broadcasts import BroadcastRunner
from delivery.menus import refresh_menu, set_default_menus
from delivery.sender import Sender, create_paid_sender, create_sender
from handlers import build_router
from models.db import Database
from models.migrate import upgrade
from scheduler.jobs import JobContext
from scheduler.runner import create_scheduler, stop_scheduler
from services.categories import ensure_categories
from services.leases import Lease
from services.policy import Policy
from services.screens import ScreenCache
from services.users import users_by_telegram_id
from views.i18n import get_i18n

log = logging.getLogger(__name__)

# How long a stop waits for the updates in hand (systemd's stop timeout is longer).
SHUTDOWN_GRACE_SECONDS = 20.0


class _Session(AiohttpSession):
    """aiogram's aiohttp session, minus a cost of ~2 ms of CPU on every Bot API call.

    `check_response` parses each reply with `Response[method.__returning__]`. pydantic keeps
    parametrised generic models only in a weak cache, so that class is garbage-collected between
    calls and its schema rebuilt on most of them (aiogram 3.31, pydantic 2.13): under load this
    was a third of the bot's CPU time. Holding one strong reference per return type keeps
    pydantic's cache warm; the parsing itself is unchanged.
    """

    _response_types: dict[object, type] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._response_types:
            # A type argument known only at run time, which a type checker cannot follow.
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


# How `tukulokal run` polls (bench/throughput.py polls the same way). At most 16 updates are
# handled at once, as many as the SQLite pool has connections: more only queue for a connection
# while slowing the event loop for all. Under 50 users sending without pause this gave ~10% more
# replies per second and halved the p99 latency (first come, first served).
POLLING_OPTIONS: dict[str, Any] = {"tasks_concurrency_limit": 16}


def create_bot(settings: Settings, *, token: str | None = None) -> Bot:
    secret = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not secret:
        raise RuntimeError("BOT_TOKEN is not set")
    session = _Session(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        secret,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


class SharedRedisStorage(RedisStorage):
    """aiogram's RedisStorage on the dispatcher's Redis client, which it does not close: the
    dispatcher closes it once the updates in hand have finished (aiogram closes the storage
    first on shutdown, while they may still be releasing their lock)."""

    async def close(self) -> None:
        pass


def create_storage(settings: Settings, db: Database, redis: Redis | None = None) -> BaseStorage:
    if redis is not None:
        return SharedRedisStorage(redis, key_builder=key_builder(settings))
    return SqlStorage(db)


def key_builder(settings: Settings) -> DefaultKeyBuilder:
    return redis_key_builder(settings.redis_prefix)


def create_isolation(settings: Settings, redis: Redis | None) -> BaseEventIsolation:
    """A lock per chat and user in Redis, which a killed worker holds for at most
    REDIS_LOCK_TTL (none in a single process)."""
    if redis is None:
        return DisabledEventIsolation()
    return RenewedRedisEventIsolation(
        redis, key_builder=key_builder(settings), ttl=settings.redis_lock_ttl
    )


def create_dispatcher(
    settings: Settings,
    db: Database,
    *,
    storage: BaseStorage | None = None,
    clock: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> Dispatcher:
    policy = settings.policy()
    # With Redis (several workers): conversation state there, and one user's updates never
    # handled at the same time by two workers.
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    dp = Dispatcher(
        storage=storage or create_storage(settings, db, redis),
        events_isolation=create_isolation(settings, redis),
        settings=settings,
        policy=policy,
        db=db,
        redis=redis,
        activity=Activity(),
        clock=clock or (lambda: datetime.now(UTC)),
        screen_cache=ScreenCache(),
    )
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    dp.update.outer_middleware(UpdateLog(dp["activity"], dp["clock"], hash_key(token)))
    dp.update.outer_middleware(OncePerUpdate(db, dp["clock"], redis, prefix=settings.redis_prefix))
    dp.update.outer_middleware(DbSessionMiddleware(db))
    dp.update.outer_middleware(UserMiddleware(get_i18n(), policy.admin_ids))
    dp.callback_query.middleware(AnswerCallbacks())
    for name, observer in dp.observers.items():
        if name not in ("update", "error"):
            observer.middleware(TraceHandler())
    dp.include_router(build_router())
    background: dict[str, Any] = {}

    async def on_startup(bot: Bot) -> None:
        if migrate:
            await upgrade(db.engine)
        async with db.session() as session:
            await ensure_categories(session)
        await set_default_menus(bot)
        async with db.session() as session:  # configured administrators get their menu
            for admin in (await users_by_telegram_id(session, policy.admin_ids)).values():
                await refresh_menu(bot, session, admin, admin_ids=policy.admin_ids)
        me = await bot.me()
        sender, runner = await start_broadcast_runner(policy, db, bot, dp["clock"])
        dp["sender"], dp["broadcasts"] = sender, runner
        background["broadcasts"] = runner
        if settings.scheduler_enabled:
            background["scheduler"] = dp["scheduler"] = start_scheduler(
                policy, db, bot, dp["clock"], sender=sender, broadcasts=runner
            )
        log.info("TukuLokal started as @%s", me.username)

    async def on_shutdown() -> None:
        # Polling: aiogram stops taking updates but does not wait for those in hand; let them
        # finish before their database and Redis go (webhook workers drain theirs first).
        in_hand = [task for task in dp._handle_update_tasks if not task.done()]
        if in_hand:
            _, late = await asyncio.wait(in_hand, timeout=SHUTDOWN_GRACE_SECONDS)
            if late:
                log.warning("stopping with %d update(s) still in hand", len(late))
        scheduler = background.pop("scheduler", None)
        if scheduler is not None:
            await stop_scheduler(scheduler)
        broadcasts = background.pop("broadcasts", None)
        if broadcasts is not None:
            await broadcasts.stop()
        await db.dispose()
        if redis is not None:
            await redis.aclose()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp


async def start_broadcast_runner(
    policy: Policy, db: Database, bot: Bot, clock: Callable[[], datetime]
) -> tuple[Sender, BroadcastRunner]:
    """A rate-limited sender and a broadcast runner that sends while it holds the
    "broadcasts" lease (one process at a time sends broadcasts); resumes broadcasts a previous
    process left running."""
    sender = create_sender(bot, policy.broadcasts)
    lease = Lease(db, clock, name="broadcasts", ttl=policy.lease_ttl, advisory=True)
    # Paid broadcasts go beyond the free 30/s at a rate of their own; answers and other
    # messages keep the shared one.
    runner_sender = (
        create_paid_sender(bot, policy.broadcasts) if policy.broadcasts.paid else sender
    )
    runner = BroadcastRunner(
        bot=bot, db=db, policy=policy, clock=clock, sender=runner_sender, lease=lease
    )
    await runner.start()
    return sender, runner


def start_scheduler(
    policy: Policy,
    db: Database,
    bot: Bot,
    clock: Callable[[], datetime],
    *,
    sender: Sender,
    broadcasts: BroadcastRunner | None = None,
) -> AsyncIOScheduler:
    """Start the in-process scheduler (jobs run only in the process holding the lease)."""
    lease = Lease(db, clock, ttl=policy.lease_ttl, advisory=True)
    ctx = JobContext(db, bot, policy, clock, lease, sender=sender, broadcasts=broadcasts)
    scheduler = create_scheduler(ctx)
    scheduler.start()
    return scheduler
