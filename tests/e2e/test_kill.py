"""The bot process killed (SIGKILL: no clean-up at all) in the middle of a checkout and of a
reminder run, then started again. (The broadcast: tests/e2e/test_broadcast_crash.py.)

Each runs the real `python -m bot run` as a subprocess against the test's fake Bot API.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from sqlmodel import func, select

from models import CartItem, Order, Product, ReminderLog
from models.db import Database
from models.migrate import upgrade
from sandbox.fakegram import FakeTelegram
from services.categories import ensure_categories
from tests import factories as f
from tests.e2e.broadcast_helpers import crowd, nip_for, wait_for
from tests.e2e.helpers import shop_with_owner
from tests.e2e.own_servers import OwnPostgres
from tests.e2e.test_broadcast_crash import _start_bot

WIB = ZoneInfo("Asia/Jakarta")
BUYER = 61_001
OWNER_A, OWNER_B = 62_001, 62_002


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _started(log: Path, times: int = 1, timeout: float = 60.0) -> None:
    """Wait until the bot (started for the `times`-th time on this log) polls Telegram."""
    deadline = time.monotonic() + timeout
    while log.read_text().count("Start polling") < times:
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        await asyncio.sleep(0.1)


async def _kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


@pytest.fixture
def own_pg():
    folder = Path(tempfile.mkdtemp(prefix="tukulokal-test-pg-"))
    server = OwnPostgres(folder)
    server.init()
    yield server
    server.remove()


async def _blocked_after_writing_an_order(conn: asyncpg.Connection) -> bool:
    """Is a session of the bot waiting for a row lock, having written into `orders` in the
    same transaction (the first shop's order)?"""
    found = await conn.fetchval(
        """SELECT count(*) FROM pg_stat_activity AS a
           JOIN pg_locks AS l ON l.pid = a.pid
           JOIN pg_class AS c ON c.oid = l.relation
           WHERE a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
             AND c.relname = 'orders' AND l.mode = 'RowExclusiveLock' AND l.granted"""
    )
    return bool(found)


@pytest.mark.slow
async def test_killed_mid_checkout_leaves_no_half_order(
    own_pg: OwnPostgres, tg: FakeTelegram, tmp_path: Path
):
    """The bot has reserved the first shop's stock and written its order, and waits for the
    second shop's product row (held by the test) when it is killed: nothing of it remains.
    Started again, the same confirmation places both orders, once."""
    db = Database(own_pg.url)
    await upgrade(db.engine)
    async with db.session() as session:
        await ensure_categories(session)
        shop_a = await shop_with_owner(session, OWNER_A, name="Toko Anggrek")
        shop_b = await shop_with_owner(session, OWNER_B, name="Toko Bunga", phone="+6281322223333")
        kopi = await f.product(session, shop_a, name="Kopi Dampit", price=40_000, stock=5)
        batik = await f.product(session, shop_b, name="Batik Malangan", price=300_000, stock=2)
        (buyer_row,) = await crowd(session, tg, [BUYER])
        session.add_all(
            [
                CartItem(user_id=buyer_row.id, product_id=kopi.id, quantity=2),
                CartItem(user_id=buyer_row.id, product_id=batik.id, quantity=1),
            ]
        )
        await session.commit()
    for owner in (OWNER_A, OWNER_B):
        tg.user(owner, first_name="Pemilik", language_code="en", started=True)
    buyer = tg.users[BUYER]
    log = tmp_path / "bot.log"
    bot = await _start_bot(tg, own_pg.url, log)
    lock = await asyncpg.connect(own_pg.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await _started(log)
        await buyer.send("/keranjang")
        cart = await buyer.wait_reply(containing="Your cart", timeout=30)
        await buyer.click("Checkout", cart)
        summary = await buyer.wait_reply(containing="Order summary", timeout=15)
        confirm = summary.button("pay cash")["callback_data"]

        held = lock.transaction()
        await held.start()
        await lock.execute("SELECT id FROM products WHERE id = $1 FOR UPDATE", batik.id)
        await buyer.click_data(summary, confirm)
        deadline = time.monotonic() + 15
        while not await _blocked_after_writing_an_order(lock):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        await _kill(bot)
        await held.rollback()  # the killed bot's transaction goes on no further

        async with db.session() as session:
            assert (await session.exec(select(func.count()).select_from(Order))).one() == 0
            stocks = {p.id: p.stock for p in (await session.exec(select(Product))).all()}
            assert stocks == {kopi.id: 5, batik.id: 2}
            cart_rows = (await session.exec(select(CartItem))).all()
            assert sorted((c.product_id, c.quantity) for c in cart_rows) == [
                (kopi.id, 2),
                (batik.id, 1),
            ]

        bot = await _start_bot(tg, own_pg.url, log)
        await _started(log, 2)
        await buyer.click_data(summary, confirm)  # the tap again, on the same summary
        placed = await buyer.wait_reply(containing="Order placed", timeout=30)
        assert len(placed.buttons) == 2
        await tg.users[OWNER_A].wait_reply(containing="New order", timeout=15)
        await tg.users[OWNER_B].wait_reply(containing="New order", timeout=15)
    finally:
        await _stop(bot)
        await lock.close()
    async with db.session() as session:
        orders = (await session.exec(select(Order).order_by(Order.merchant_id))).all()
        assert [(o.merchant_id, o.total) for o in orders] == [
            (shop_a.id, 80_000),
            (shop_b.id, 300_000),
        ]
        stocks = {p.id: p.stock for p in (await session.exec(select(Product))).all()}
        assert stocks == {kopi.id: 3, batik.id: 1}
        assert (await session.exec(select(CartItem))).all() == []
    news = [m for m in tg.users[OWNER_A].bot_messages if "New order" in (m.text or "")]
    assert len(news) == 1
    await db.dispose()


REMINDED = range(63_001, 63_301)
BLOCKED = (63_010, 63_020)


def _reminder_env() -> dict[str, str]:
    """A reminder slot that began today at midnight (WIB) and ends with today."""
    today = datetime.now(UTC).astimezone(WIB).date()
    return {
        "SCHEDULER_ENABLED": "true",
        "QUOTA_DEADLINE_DAY": str(today.day),
        "REMINDER_OFFSETS": "0",
        "REMINDER_HOUR": "0",
    }


@pytest.mark.slow
async def test_killed_mid_reminder_run_sends_nobody_twice(tg: FakeTelegram, tmp_path: Path):
    """Reminders are claimed a few at a time before sending: killed mid-run, the new process
    sends the rest of the slot; nobody gets two, and only those claimed at the moment of the
    kill (in flight) may have gone without."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    await upgrade(db.engine)
    async with db.session() as session:
        await ensure_categories(session)
        await crowd(session, tg, REMINDED)
    for telegram_id in BLOCKED:
        tg.block(telegram_id)
    log = tmp_path / "bot.log"
    env = _reminder_env()

    def reminded() -> dict[int, int]:
        counts = {}
        for telegram_id in REMINDED:
            n = len(tg.users[telegram_id].bot_messages)
            if n:
                counts[telegram_id] = n
        return counts

    bot = await _start_bot(tg, url, log, **env)
    try:
        await wait_for(lambda: len(reminded()) >= 80, timeout=60)
        await _kill(bot)
    finally:
        if bot.returncode is None:
            bot.kill()
    at_kill = len(reminded())
    reachable = set(REMINDED) - set(BLOCKED)
    assert at_kill < len(reachable), "killed too late"
    # The dead process's lease must expire before another runs the jobs (5 s here).
    await asyncio.sleep(5.5)
    bot = await _start_bot(tg, url, log, **env)
    try:
        # The new process's run ends with its summary line in the log.
        deadline = time.monotonic() + 60
        while log.read_text().count("deadline reminders") < 1:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            await asyncio.sleep(0.2)
    finally:
        await _stop(bot)
    counts = reminded()
    assert max(counts.values()) == 1  # nobody twice
    async with db.session() as session:
        rows = (await session.exec(select(ReminderLog))).all()
    by_status: dict[str, set[str]] = {}
    for row in rows:
        by_status.setdefault(row.status, set()).add(row.nip)
    # Every reachable ASN got theirs, except some of those claimed at the kill: claimed
    # reminders are never sent again (at most once); the ones already on their way arrived.
    pending = by_status.get("pending", set())
    missing = {nip_for(t) for t in reachable - set(counts)}
    assert missing <= pending
    assert set(counts) <= reachable  # the blocked were not bothered
    # Claimed at the kill: the batch being sent, the one waiting in the queue and the one the
    # feeder claimed next (25 each at 50 messages/s).
    assert len(pending) <= 75
    assert len(by_status.get("failed", set())) == len(BLOCKED)
    await db.dispose()
