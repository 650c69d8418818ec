"""PostgreSQL down for about 20 seconds, Redis restarted: users are told politely to try again
shortly, in their language; nothing is half-written; the bot serves again by itself.

Both servers are the test's own (started in a temporary folder on a free port), never the
shared ones. The bot runs unmodified against the fake Bot API, as in every end-to-end test.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import pytest
from sqlmodel import select

from models import CartItem, Order, User
from models.db import Database
from sandbox.fakegram import FakeTelegram
from tests import factories as f
from tests.e2e.conftest import BotApp, Clock, e2e_settings, open_bot
from tests.e2e.helpers import shop_with_owner
from tests.e2e.own_servers import OwnPostgres, OwnRedis

BUSY_ID = "Layanan sedang sibuk. Silakan coba lagi sebentar lagi."
BUSY_EN = "The service is busy at the moment. Please try again in a little while."
OUTAGE_S = 20.0


@pytest.fixture
def own_pg():
    # Not under pytest's tmp_path: the `postgres` user could not reach into root's folder.
    folder = Path(tempfile.mkdtemp(prefix="tukulokal-test-pg-"))
    server = OwnPostgres(folder)
    server.init()
    yield server
    server.remove()


@pytest.mark.slow
async def test_postgres_down_for_20_seconds(own_pg: OwnPostgres, tg: FakeTelegram, clock: Clock):
    db = Database(own_pg.url)
    app = BotApp(e2e_settings(tg, db), clock, tg)
    await app.start()  # migrates the new database
    try:
        async with db.session() as session:
            shop = await shop_with_owner(session, 2001)
            product = await f.product(session, shop, name="Kopi Dampit", stock=5)
        ani = tg.user(3101, first_name="Ani", language_code="id")
        ben = tg.user(3102, first_name="Ben", language_code="en")
        await open_bot(ani)
        card = await open_bot(ben, f"p{product.id}")
        await app.wait_handled()

        own_pg.stop()
        down = time.monotonic()
        await ani.send("kopi")
        assert (await ani.wait_reply(timeout=15)).text == BUSY_ID
        tap = await ben.click("Add to cart", card)
        assert (await ben.wait_answer(tap, timeout=15))["text"] == BUSY_EN
        await asyncio.sleep(max(0.0, OUTAGE_S / 2 - (time.monotonic() - down)))
        await ani.send("/keranjang")  # still down halfway through
        assert (await ani.wait_reply(timeout=15)).text == BUSY_ID
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
        own_pg.start()

        # Back without a restart of the bot: the same taps work, and work once.
        tap = await ben.click("Add to cart", card)
        assert (await ben.wait_answer(tap, timeout=15))["text"] == "Added to your cart."
        await ani.send("kopi")
        results = await ani.wait_reply(containing="🔎", timeout=15)
        assert "Kopi Dampit" in str(results.buttons)
        await app.wait_handled()
        async with db.session() as session:
            items = (await session.exec(select(CartItem))).all()
            assert [(i.product_id, i.quantity) for i in items] == [(product.id, 1)]
            assert (await session.exec(select(Order))).all() == []
            users = {u.telegram_id for u in (await session.exec(select(User))).all()}
            assert {3101, 3102} <= users
    finally:
        await app.stop()
        await db.dispose()


@pytest.fixture
def own_redis(tmp_path: Path):
    folder = tmp_path / "redis"
    folder.mkdir()
    server = OwnRedis(folder)
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
async def test_redis_restarted_mid_conversation(
    own_redis: OwnRedis, tg: FakeTelegram, clock: Clock, db: Database, session
):
    """The conversation state lives in Redis: while it is down the user is asked to try again;
    once it is back (its append-only file kept the state) the registration goes on."""
    await f.roster(session, phone="+6281234567890")
    app = BotApp(e2e_settings(tg, db, redis_url=own_redis.url), clock, tg)
    await app.start()
    try:
        budi = tg.user(3103, first_name="Budi", language_code="en", phone="+6281234567890")
        await open_bot(budi)
        await budi.click("Register as ASN")
        await budi.wait_reply(containing="type your")
        await budi.send(f.PNS_NIP)
        await budi.wait_reply(containing="We will check NIP")
        await app.wait_handled()

        own_redis.stop()
        await budi.press("Share my phone number")
        assert (await budi.wait_reply(timeout=15)).text == BUSY_EN
        own_redis.start()

        await budi.press("Share my phone number")
        done = await budi.wait_reply(timeout=15)
        assert "Registered" in done.text, done.text
        await app.wait_handled()
        async with db.session() as s:
            user = (await s.exec(select(User).where(User.telegram_id == 3103))).one()
            assert (user.kind, user.nip) == ("asn", f.PNS_NIP)
    finally:
        await app.stop()
