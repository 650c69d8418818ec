"""`tukulokal webhook` workers: the unmodified bot behind aiohttp, fakegram delivering updates
by webhook as Telegram does (secret header, retries), on SQLite and PostgreSQL, with the
database or Redis to see each update once."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from sqlmodel import select

from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from bot.webhook import webhook_app
from models import Order, Product
from models.db import Database
from sandbox.fakegram import FakeTelegram
from tests import factories as f
from tests.dead_worker import killed_while_holding
from tests.e2e.conftest import Clock, e2e_settings
from tests.e2e.helpers import checkout, shop_with_owner

SECRET = "w3bh00k-Secret_token"
PATH = "/telegram/webhook"
BUYERS = (1101, 1102)
OWNER = 2101


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    """One webhook worker process's parts, served on a port of its own."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.port = settings.webhook_port
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.db = Database(self.settings.database_url)
        self.bot = create_bot(self.settings)
        self.dp = create_dispatcher(self.settings, self.db, clock=self.clock, migrate=False)
        self.runner = web.AppRunner(webhook_app(self.settings, self.db, self.bot, self.dp))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self.runner.cleanup()


@contextlib.asynccontextmanager
async def workers(tg: FakeTelegram, db: Database, clock: Clock, **extra: object):
    """Two workers on one database; the first sets the webhook to itself."""
    started: list[Worker] = []
    try:
        for index in range(2):
            port = _free_port()
            settings = e2e_settings(
                tg,
                db,
                webhook_url=f"http://127.0.0.1:{port}",
                webhook_port=port,
                webhook_secret=SECRET,
                webhook_register=index == 0,
                **extra,
            )
            worker = Worker(settings, clock)
            await worker.start()
            started.append(worker)
        yield started
    finally:
        for worker in reversed(started):
            await worker.stop()


@pytest.fixture
async def webhook_tg(clock: Clock) -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(
        token="123456:TEST-TOKEN",
        bot_username="TukuLokalBot",
        clock=lambda: clock.now.timestamp(),
        strict_alerts=True,
        strict_buttons=True,
        allow_http_webhook=True,  # no TLS proxy in between here (tests/process: nginx)
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["database", "redis"])
async def dedup(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, object]]:
    """Where updates are claimed: the database, or Redis (with a prefix of this test's own)."""
    if request.param == "database":
        yield {}
        return
    async with own_redis() as settings:
        yield settings


@pytest.fixture
async def with_redis() -> AsyncIterator[dict[str, object]]:
    async with own_redis() as settings:
        yield settings


@contextlib.asynccontextmanager
async def own_redis() -> AsyncIterator[dict[str, object]]:
    """Redis settings with a prefix of this test's own (its keys deleted after it)."""
    url = "redis://127.0.0.1:6379/0"
    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable: {exc!r}")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield {"redis_url": url, "redis_prefix": prefix}
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def _post(worker: Worker, update: dict, secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(worker.url + PATH, json=update, headers=headers) as response,
    ):
        return response.status


def _sent(tg: FakeTelegram, chat_id: int, words: str) -> int:
    """How many messages the bot sent or edited to show `words` in this chat."""
    return sum(
        1
        for call in tg.requests
        if call.ok and call.chat_id == chat_id and words in str(call.params.get("text", ""))
    )


async def test_webhook_workers_handle_each_update_once_and_refuse_a_wrong_secret(
    webhook_tg: FakeTelegram, db: Database, clock: Clock, session, dedup
):
    tg = webhook_tg
    shop = await shop_with_owner(session, OWNER, name="Kopi Tlogomas")
    product = await f.product(session, shop, name="Kopi Dampit", price=40_000, stock=5)
    await f.asn_user(session, BUYERS[0])
    async with workers(tg, db, clock, **dedup) as (first, second):
        info = await first.bot.get_webhook_info()
        assert info.url == first.url + PATH
        assert info.max_connections == 40
        assert sorted(info.allowed_updates or []) == sorted(first.dp.resolve_used_update_types())
        owner = tg.user(OWNER, first_name="Tin", language_code="en")
        await owner.start()
        await owner.wait_reply()
        one = tg.user(BUYERS[0], first_name="Budi", language_code="en")
        summary = await checkout(one, product.id)
        await one.click("pay cash", summary)
        await one.wait_reply(containing="Order placed")
        tap = tg.updates_log[-1]
        assert "callback_query" in tap

        # Telegram delivers it again (answered too late), to either worker, one after the
        # other: nothing happens twice.
        assert await _post(first, tap) == 200
        assert await _post(second, tap) == 200
        # Without the right secret: 401, not handled.
        forged = {**tap, "update_id": tap["update_id"] + 10_000}
        assert await _post(second, forged, secret="wrong") == 401
        assert await _post(second, forged, secret=None) == 401

        # The same update reaching both workers at the same moment.
        await tg.delivery.stop()
        tg.delivery = None  # updates stay queued for the moment
        two = tg.user(BUYERS[1], first_name="Sari", language_code="en")
        await two.start(f"p{product.id}")
        queued = tg._updates[-1]
        assert await asyncio.gather(_post(first, queued), _post(second, queued)) == [200, 200]
        assert await _post(first, forged) == 200  # the right secret: handled
        async with first.db.session() as s:
            orders = (await s.exec(select(Order))).all()
            stock = (await s.get(Product, product.id)).stock
        assert len(orders) == 1 and stock == 4
        assert _sent(tg, BUYERS[0], "Order placed") == 1
        assert _sent(tg, OWNER, "New order") == 1
        # one product card for the one /start, not two
        assert sum(1 for m in tg.chat(BUYERS[1]) if "Kopi Dampit" in (m.text or "")) == 1

        async with aiohttp.ClientSession() as http:
            async with http.get(first.url + "/healthz") as response:
                assert response.status == 200
            async with http.get(second.url + "/readyz") as response:
                ready = await response.json()
                assert response.status == 200, ready
        assert ready["database"] == "ok"
        assert ready["migrations"]["database"] == ready["migrations"]["code"]
        assert ready["last_update_at"] is not None
        assert set(ready["leases"]) == {"broadcasts"}
        assert ready.get("redis", "ok") == "ok"


async def test_a_user_whose_update_a_killed_worker_held_is_served_again_in_order(
    webhook_tg: FakeTelegram, db: Database, clock: Clock, session, with_redis
):
    """A worker killed while handling a user's update dies holding their lock in Redis. The
    user's next updates wait for it (never answered as delivered meanwhile: Telegram keeps the
    chat's later updates back and delivers the waiting one again) and are served, in order and
    once each, as soon as the dead worker's lock ends (REDIS_LOCK_TTL), not a minute later."""
    tg = webhook_tg
    shop = await shop_with_owner(session, OWNER, name="Kopi Tlogomas")
    product = await f.product(session, shop, name="Kopi Dampit", price=40_000, stock=5)
    await f.asn_user(session, BUYERS[0])
    ttl = 2.0
    extra = {**with_redis, "redis_lock_ttl": ttl, "webhook_wait_limit": 0.3}
    async with workers(tg, db, clock, **extra):
        bot_id = int(tg.token.split(":")[0])
        await killed_while_holding(
            str(with_redis["redis_url"]), str(with_redis["redis_prefix"]), bot_id, BUYERS[0], ttl
        )
        buyer = tg.user(BUYERS[0], first_name="Budi", language_code="en")
        await buyer.start(f"p{product.id}")
        first = tg._updates[-1]["update_id"]
        await buyer.send("/keranjang")
        cart = await buyer.wait_reply(containing="Your cart is empty", timeout=ttl + 8)
        texts = [m.text or "" for m in tg.chat(BUYERS[0])]
        card = [i for i, text in enumerate(texts) if "Kopi Dampit" in text]
        assert len(card) == 1 and card[0] < texts.index(cart.text or "")  # in order, once
        assert sum("Your cart is empty" in text for text in texts) == 1
        # While it waited for the lock, the first update was answered 429, not "delivered".
        assert tg.delivery.attempts[first] >= 2
        assert "429" in (tg.delivery.last_error_message or "")
