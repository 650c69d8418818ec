"""A bot process killed in the middle of a broadcast and started again.

The real `python -m bot run` runs as a subprocess against the fake Bot API of this test, on
SQLite and on PostgreSQL; it is killed with SIGKILL (no clean-up at all) while sending, then
started again with a 10-minute lease: the new process sees at once that the holder is
dead (its pid is gone; on PostgreSQL its advisory lock went with its connection) and resumes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models import Broadcast, BroadcastDelivery, User
from models.db import Database
from sandbox.fakegram import FakeTelegram
from services import audience as aud
from services import broadcasts as svc
from services.quota import QuotaPolicy
from services.roles import roles_of
from tests.e2e.broadcast_helpers import crowd, received, wait_for
from tests.e2e.conftest import ADMIN_ID, TOKEN

ROOT = Path(__file__).resolve().parents[2]
RATE = 50
USERS = range(60_001, 60_301)
BLOCKED = (60_010, 60_020, 60_030)
DELETED = (60_040, 60_050)
MARKER = "KILL-TEST-9"
LEASE_SECONDS = 600


async def _start_bot(
    tg: FakeTelegram, url: str, log: Path, **settings: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` on this database and fake Telegram; `settings` override the
    environment (e.g. SCHEDULER_ENABLED="true")."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "TELEGRAM_API_URL": tg.base_url,
        "ADMIN_IDS": str(ADMIN_ID),
        "SCHEDULER_ENABLED": "false",
        "BROADCAST_RATE": str(RATE),
        "BROADCAST_PROGRESS_SECONDS": "0.5",
        "BROADCAST_POLL_SECONDS": "0.2",
        "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    env.pop("REDIS_URL", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=log.parent, env=env, stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.slow
async def test_killed_mid_broadcast_resumes_at_once_without_losses(
    tg: FakeTelegram, db: Database, tmp_path: Path
):
    url = db.url
    async with db.session() as session:
        await crowd(session, tg, USERS)
        session.add(User(telegram_id=ADMIN_ID, first_name="Admin", language="en"))
        await session.commit()
    for telegram_id in BLOCKED:
        tg.block(telegram_id)
    for telegram_id in DELETED:
        tg.delete_account(telegram_id)
    tg.user(ADMIN_ID, first_name="Admin", language_code="en", started=True)
    tg.set_rate_limits(global_per_second=RATE * 1.2)
    async with db.session() as session:
        broadcast, _ = await svc.create(
            session, actor=await roles_of(session, ADMIN_ID, frozenset({ADMIN_ID})),
            content=svc.Content("text", f"<b>Pengumuman</b> {MARKER}"), audience=aud.Audience(),
            now=datetime.now(UTC), policy=QuotaPolicy(tz=ZoneInfo("Asia/Jakarta")),
            draft_key="kill",
        )  # fmt: skip
    log = tmp_path / "bot.log"
    first = await _start_bot(tg, url, log)
    try:
        await wait_for(lambda: len(received(tg, MARKER)) >= 100, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
    at_kill = len(received(tg, MARKER))
    assert at_kill < len(USERS) - len(BLOCKED) - len(DELETED), "killed too late"

    second = await _start_bot(tg, url, log)
    try:
        admin = tg.users[ADMIN_ID]
        # ~200 messages at 50/s plus start-up (slow on a busy machine): far less than the
        # dead holder's lease, which a resume after its expiry would have to wait out.
        await admin.wait_reply(containing="Delivered", timeout=LEASE_SECONDS / 4)
    except AssertionError:
        raise AssertionError(log.read_text()[-3000:]) from None
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(second.wait(), 20)
        except TimeoutError:
            second.kill()

    counts = received(tg, MARKER)
    reachable = set(USERS) - set(BLOCKED) - set(DELETED)
    assert set(counts) == reachable  # nobody skipped, nobody unreachable bothered
    twice = [chat for chat, n in counts.items() if n == 2]
    assert max(counts.values()) <= 2
    # Only sends in flight at the moment of the kill may have gone out twice.
    assert len(twice) <= RATE // 2
    async with db.session() as session:
        assert (await session.get(Broadcast, broadcast.id)).status == "done"
        rows = (await session.exec(select(BroadcastDelivery))).all()
        by_status = {s: sum(1 for r in rows if r.status == s) for s in {r.status for r in rows}}
        assert by_status == {"sent": len(reachable), "blocked": 3, "not_found": 2}
