"""End-to-end fixtures: the real bot, unmodified, polling the in-repo fake Bot API over HTTP.

The bot runs in the test's event loop (a separate process would add nothing but start-up
time); `app.restart()` stops it and starts a fresh Dispatcher on the same database, as a
process restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from models.db import Database
from sandbox.fakegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "TukuLokalBot"
ADMIN_ID = 900


@dataclass
class Clock:
    """The bot's notion of "now", moved by tests instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 27, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class BotApp:
    def __init__(self, settings: Settings, clock: Clock, tg: FakeTelegram) -> None:
        self.settings = settings
        self.clock = clock
        self.tg = tg
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.db = Database(self.settings.database_url)
        self.bot = create_bot(self.settings)
        self.dp = create_dispatcher(self.settings, self.db, clock=self.clock)
        started = asyncio.Event()
        self.dp.startup.register(lambda: started.set())
        self._task = asyncio.create_task(
            self.dp.start_polling(self.bot, handle_signals=False, polling_timeout=2)
        )
        await asyncio.wait_for(started.wait(), 20)

    async def stop(self) -> None:
        if self._task is None:
            return
        with contextlib.suppress(RuntimeError):  # polling already ended
            await self.dp.stop_polling()
        await asyncio.wait_for(self._task, 20)
        self._task = None
        await self.bot.session.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def wait_handled(self, timeout: float = 10.0) -> None:
        """Wait until the bot has handled every update sent to it so far, replies included.

        The bot has taken an update in hand once it confirmed it to the fake server (asked
        getUpdates for a later offset); aiogram handles each update in a task of its own, so
        this then waits until those tasks have ended. Use it before asserting that the bot
        did *not* do something in reply to what users did. Work the bot does on its own
        (sending a broadcast, scheduled jobs) is not covered.
        """
        deadline = time.monotonic() + timeout
        while True:
            await self.tg.wait_updates_confirmed(max(0.0, deadline - time.monotonic()))
            # aiogram keeps the tasks of the updates it is handling here (Dispatcher._polling)
            handling = [t for t in self.dp._handle_update_tasks if not t.done()]
            if not handling:
                return
            _, pending = await asyncio.wait(handling, timeout=deadline - time.monotonic())
            if pending:
                raise TimeoutError(f"{len(pending)} updates still being handled after {timeout}s")


@pytest.fixture
async def tg(clock: Clock) -> AsyncIterator[FakeTelegram]:
    """The fake Telegram, on the bot's clock (messages age as the test moves time), failing
    loudly on what real Telegram would show users wrongly or drop silently."""
    server = FakeTelegram(
        token=TOKEN,
        bot_username=BOT_USERNAME,
        clock=lambda: clock.now.timestamp(),
        strict_alerts=True,
        strict_buttons=True,
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def e2e_settings(tg: FakeTelegram, db: Database, **overrides: object) -> Settings:
    """The bot's settings for a test: this fake Telegram, this database, ADMIN_ID as the
    administrator, no scheduler (tests run jobs themselves, with the test clock)."""
    fields: dict[str, object] = {
        "bot_token": TOKEN,
        "database_url": db.url,
        "telegram_api_url": tg.base_url,
        "admin_ids": frozenset({ADMIN_ID}),
        "scheduler_enabled": False,
        **overrides,
    }
    return Settings(_env_file=None, **fields)


@pytest.fixture
def settings(tg: FakeTelegram, db: Database) -> Settings:
    return e2e_settings(tg, db)


@pytest.fixture
async def app(settings: Settings, clock: Clock, tg: FakeTelegram) -> AsyncIterator[BotApp]:
    application = BotApp(settings, clock, tg)
    await application.start()
    yield application
    await application.stop()
    failures = [
        c
        for c in tg.errors
        if "not modified" not in (c.error or "") and not (c.error or "").startswith("injected")
    ]
    assert not failures, f"the bot made failing API calls: {failures}"


async def open_bot(user, payload: str | None = None):
    """/start the bot and wait until its menu with buttons arrived; returns that message."""
    await user.start(payload)
    return await user.wait_reply(predicate=lambda m: bool(m.inline_keyboard))
