"""Building the Bot and the Dispatcher, and what happens on start-up and shutdown."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import BotCommand, BotCommandScopeDefault, ErrorEvent
from aiogram.utils.callback_answer import CallbackAnswerMiddleware

from bot.i18n import get_i18n, translate
from bot.middlewares import DbSessionMiddleware, UserLocaleMiddleware
from bot.settings import Settings
from bot.storage import SqlStorage
from handlers import setup_routers
from models.db import Database
from models.migrate import upgrade
from services.categories import ensure_categories

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", "Start / register"),
    ("katalog", "Browse the catalog"),
    ("cari", "Search products"),
    ("keranjang", "Your cart"),
    ("pesanan", "Your orders"),
    ("kuota", "Your monthly minimum"),
    ("bahasa", "Language"),
    ("bantuan", "Help"),
)


def _command_descriptions() -> None:
    # Listed here so that the extractor puts them into the catalogs.
    from aiogram.utils.i18n import gettext as _

    _("Start / register"), _("Browse the catalog"), _("Search products"), _("Your cart")
    _("Your orders"), _("Your monthly minimum"), _("Language"), _("Help")


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


def create_storage(settings: Settings, db: Database) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True)
        )
    return SqlStorage(db)


def create_dispatcher(
    settings: Settings,
    db: Database,
    *,
    storage: BaseStorage | None = None,
    clock: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> Dispatcher:
    i18n = get_i18n()
    dp = Dispatcher(
        storage=storage or create_storage(settings, db),
        settings=settings,
        db=db,
        clock=clock or (lambda: datetime.now(UTC)),
    )
    dp.update.outer_middleware(DbSessionMiddleware(db))
    dp.update.outer_middleware(UserLocaleMiddleware(i18n))
    dp.callback_query.middleware(CallbackAnswerMiddleware())
    dp.include_router(setup_routers())
    _run_sync_filters_inline(dp)
    dp.errors.register(_on_error)

    background: dict[str, object] = {}

    async def on_startup(bot: Bot) -> None:
        if migrate:
            await upgrade(db.engine)
        async with db.session() as session:
            await ensure_categories(session)
        await set_commands(bot)
        me = await bot.me()
        background["broadcasts"] = await start_broadcasts(dp, settings, db, bot)
        if settings.scheduler_enabled:
            background["scheduler"] = dp["scheduler"] = start_scheduler(
                settings, db, bot, dp["clock"], sender=dp["sender"], broadcasts=dp["broadcasts"]
            )
        log.info("TukuLokal started as @%s", me.username)

    async def on_shutdown() -> None:
        from scheduler.runner import stop_scheduler

        scheduler = background.pop("scheduler", None)
        if scheduler is not None:
            await stop_scheduler(scheduler)
        broadcasts = background.pop("broadcasts", None)
        if broadcasts is not None:
            await broadcasts.stop()
        await db.dispose()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp


async def start_broadcasts(dp: Dispatcher, settings: Settings, db: Database, bot: Bot):
    """The rate-limited sender and the broadcast runner, shared with handlers (`sender`,
    `broadcasts`); resumes broadcasts a previous process left running."""
    sender, runner = await start_broadcast_runner(settings, db, bot, dp["clock"])
    dp["sender"], dp["broadcasts"] = sender, runner
    return runner


async def start_broadcast_runner(
    settings: Settings, db: Database, bot: Bot, clock: Callable[[], datetime]
):
    """A rate-limited sender and a broadcast runner that sends while it holds the
    "broadcasts" lease (one process at a time sends broadcasts)."""
    from bot.jobs import BroadcastRunner, create_sender
    from scheduler.lease import Lease

    sender = create_sender(bot, settings)
    lease = Lease(
        db, clock, name="broadcasts", ttl=timedelta(seconds=settings.scheduler_lease_seconds)
    )
    runner = BroadcastRunner(
        bot=bot, db=db, settings=settings, clock=clock, sender=sender, lease=lease
    )
    await runner.start()
    return sender, runner


def start_scheduler(
    settings: Settings,
    db: Database,
    bot: Bot,
    clock: Callable[[], datetime],
    *,
    sender=None,  # noqa: ANN001 - bot.sender.Sender: the process's rate-limited sender
    broadcasts=None,  # noqa: ANN001 - bot.jobs.BroadcastRunner of this process, if any
):
    """Start the in-process scheduler (jobs run only in the process holding the lease)."""
    from scheduler.jobs import JobContext
    from scheduler.lease import Lease
    from scheduler.runner import create_scheduler

    lease = Lease(db, clock, ttl=timedelta(seconds=settings.scheduler_lease_seconds))
    ctx = JobContext(db, bot, settings, clock, lease, sender=sender, broadcasts=broadcasts)
    scheduler = create_scheduler(ctx)
    scheduler.start()
    return scheduler


def _run_sync_filters_inline(router: Router) -> None:
    """Evaluate the routers' synchronous filters in the event loop instead of a thread.

    aiogram 3.31 awaits every synchronous filter (each `F.…` magic filter, each FSM state) with
    `asyncio.to_thread`: a round trip to the default thread pool per filter per update, and the
    GIL handed back and forth each time. An update routed late in the tree went through dozens
    of them (148 of the 241 filters here are synchronous); under load those hand-overs cost more
    than the handlers. The filters only test the update, so calling them directly is safe; they
    still see the update's context (locale) as before.
    """
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in (observer._handler, *observer.handlers):  # noqa: SLF001
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable:
                        event_filter.callback = _awaitable(event_filter.callback)
                        event_filter.awaitable = True


def _awaitable(callback: Callable[..., object]) -> Callable[..., Awaitable[object]]:
    async def call(*args: object, **kwargs: object) -> object:
        return callback(*args, **kwargs)

    return call


async def set_commands(bot: Bot) -> None:
    for locale, language_code in (("id", None), ("en", "en")):
        commands = [
            BotCommand(command=name, description=translate(text, locale))
            for name, text in COMMANDS
        ]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


async def _on_error(event: ErrorEvent, bot: Bot) -> bool:
    exc = event.exception
    if isinstance(exc, TelegramBadRequest) and "message is not modified" in str(exc):
        return True
    log.exception("error while handling update %s", event.update.update_id, exc_info=exc)
    update = event.update
    locale = "id"
    try:
        i18n = get_i18n()
        locale = i18n.current_locale
    except LookupError:
        pass
    text = translate("Sorry, something went wrong. Please try again.", locale)
    # A callback query was already answered by CallbackAnswerMiddleware: write in the chat.
    chat_id = None
    if update.callback_query:
        chat_id = update.callback_query.from_user.id
    elif update.message:
        chat_id = update.message.chat.id
    try:
        if chat_id is not None:
            await bot.send_message(chat_id, text)
    except Exception:  # noqa: BLE001 - reporting the error must not raise another
        log.debug("could not report the error to the user", exc_info=True)
    return True


def _error_strings() -> None:
    from aiogram.utils.i18n import gettext as _

    _("Sorry, something went wrong. Please try again.")
