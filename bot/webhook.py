"""`tukulokal webhook`: Telegram posts updates to this aiohttp server (behind nginx), and the
health endpoints of the webhook workers and of `tukulokal scheduler`.

- POST WEBHOOK_PATH: aiogram's `SimpleRequestHandler`; a request without the right
  `X-Telegram-Bot-Api-Secret-Token` gets 401 and is not handled. An update is answered once it
  is handled, or WEBHOOK_ANSWER_WITHIN seconds after it is in hand (it goes on in the
  background), so Telegram never waits long; at most WEBHOOK_CONCURRENCY updates are handled at
  once, and when too many wait the worker answers 503 (Telegram delivers it again later).
- In hand means it has a slot and holds its user's lock (bot/isolation.py). Until then it is
  not answered: Telegram sends a chat's next update only once the previous one is answered, so
  an update still waiting (behind the user's previous one, or a killed worker's lock, which
  ends within REDIS_LOCK_TTL) is never overtaken by the next, nor lost if this worker dies
  meanwhile. Not in hand after WEBHOOK_WAIT_LIMIT seconds, it is given up and answered 429
  (Telegram delivers it again). Not 503: nginx would count that as the worker failing, leave
  a healthy worker out and retry on the other one, where the same user's lock is held too.
- GET /healthz: the process is alive. GET /readyz: database and Redis reachable, migrations
  at head, when the last update was handled, who holds the scheduler leases; 503 if not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import text

from bot.middlewares import Activity, in_hand
from bot.settings import Settings
from models.db import Database
from models.migrate import current_revision, head_revision
from services.leases import holders

log = logging.getLogger(__name__)


class BoundedRequestHandler(SimpleRequestHandler):
    """aiogram's handler for one bot, answering fast with a bounded number of updates in hand."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        secrets: tuple[str, ...],
        concurrency: int,
        answer_within: float,
        wait_limit: float = 20.0,
        **data: Any,
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=None, **data)
        self.secrets = tuple(s for s in secrets if s)
        self.slots = asyncio.Semaphore(concurrency)
        self.queue_limit = concurrency * 4  # beyond that: 503, Telegram retries later
        self.answer_within = answer_within
        self.wait_limit = wait_limit
        self.waiting = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        # Several secrets while one is rotated (WEBHOOK_SECRET_PREVIOUS); none: refused.
        import secrets as _secrets

        return any(
            _secrets.compare_digest(telegram_secret_token.encode(), s.encode())
            for s in self.secrets
        )

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            update = await request.json(loads=bot.session.json_loads)
        except ValueError:
            return web.Response(status=400, text="Bad Request: not JSON")
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            return web.Response(status=400, text="Bad Request: not an update")
        if self.waiting >= self.queue_limit:
            log.warning("webhook: %s updates waiting, answering 503", self.waiting)
            return web.Response(status=503, text="busy")
        taken = asyncio.Event()
        task = asyncio.create_task(self._feed(bot, update, taken))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        # Not "delivered" before the update is in hand (a slot, its user's lock): while it
        # waits, a 2xx would let Telegram send the user's next update, which could overtake
        # it, and lose it if this worker died meanwhile.
        turn = asyncio.ensure_future(taken.wait())
        await asyncio.wait((task, turn), timeout=self.wait_limit, return_when="FIRST_COMPLETED")
        turn.cancel()
        if not taken.is_set() and not task.done():
            task.cancel()  # nothing done yet; Telegram delivers it again
            log.warning("webhook: update %s not in hand in time, answering 429", update_id)
            return web.Response(status=429, text="this user's previous update is in hand")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), self.answer_within)
        return web.json_response({})

    async def _feed(self, bot: Bot, update: dict[str, Any], taken: asyncio.Event) -> None:
        in_hand.set(taken)  # this task's own context (OncePerUpdate sets it)
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            await self._background_feed_update(bot, update)
        except Exception:  # logged by the dispatcher's error handling already
            log.debug("webhook: update %s failed", update.get("update_id"), exc_info=True)
        finally:
            self.slots.release()

    async def close(self) -> None:
        """Let the updates in hand finish (a stop by systemd), then close the bot session."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=20)
        await super().close()


async def register_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """setWebhook with the secret, the update types the routers use and max_connections."""
    assert settings.webhook_url and settings.webhook_secret  # checked by the command
    url = settings.webhook_url.rstrip("/") + settings.webhook_path
    for _attempt in range(3):
        try:
            await bot.set_webhook(
                url=url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=dp.resolve_used_update_types(),
                max_connections=settings.webhook_max_connections,
            )
            log.info("webhook set to %s", url)
            return
        except TelegramRetryAfter as exc:  # several workers starting at once
            await asyncio.sleep(exc.retry_after)
    raise RuntimeError("could not set the webhook")


class Health:
    """The answers of /healthz and /readyz."""

    def __init__(
        self,
        db: Database,
        redis: Redis | None,
        activity: Activity | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.redis = redis
        self.activity = activity
        self.clock = clock
        self.head = head_revision()

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, _request: web.Request) -> web.Response:
        report: dict[str, Any] = {}
        ready = True
        try:
            async with asyncio.timeout(3):
                async with self.db.session() as session:
                    await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                    leases = await holders(session)
                revision = await current_revision(self.db.engine)
            report["database"] = "ok"
            report["migrations"] = {"database": revision, "code": self.head}
            if revision != self.head:
                ready = False
            report["leases"] = {
                name: {"holder": holder, "expires_at": expires.isoformat()}
                for name, (holder, expires) in leases.items()
            }
        except Exception as exc:
            ready = False
            report["database"] = f"unreachable: {type(exc).__name__}"
        if self.redis is not None:
            try:
                async with asyncio.timeout(3):
                    await self.redis.ping()
                report["redis"] = "ok"
            except Exception as exc:
                ready = False
                report["redis"] = f"unreachable: {type(exc).__name__}"
        if self.activity is not None:
            last = self.activity.last_update_at
            report["last_update_at"] = last.isoformat() if last else None
        report["status"] = "ready" if ready else "not ready"
        return web.json_response(report, status=200 if ready else 503)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)


def webhook_app(settings: Settings, db: Database, bot: Bot, dp: Dispatcher) -> web.Application:
    """The aiohttp application of one webhook worker."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    secrets = tuple(
        s.get_secret_value()
        for s in (settings.webhook_secret, settings.webhook_secret_previous)
        if s is not None
    )
    BoundedRequestHandler(
        dp,
        bot,
        secrets=secrets,
        concurrency=settings.webhook_concurrency,
        answer_within=settings.webhook_answer_within,
        wait_limit=settings.webhook_wait_limit,
    ).register(app, path=settings.webhook_path)
    Health(db, dp["redis"], dp["activity"], dp["clock"]).add_routes(app)
    if settings.webhook_register:

        async def on_startup(bot: Bot) -> None:
            await register_webhook(bot, dp, settings)

        dp.startup.register(on_startup)
    setup_application(app, dp, bot=bot)
    return app


async def serve(app: web.Application, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve `app` until `stop` is set, then shut it down cleanly."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("listening on http://%s:%s", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()
