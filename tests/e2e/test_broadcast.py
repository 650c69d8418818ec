"""Broadcasts as administrators and recipients see them: audience, preview, delivery."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.i18n import translate
from bot.settings import Settings
from models import Broadcast, BroadcastDelivery, User
from tests.e2e.broadcast_helpers import crowd, forgive, received, unreachable_errors
from tests.e2e.conftest import ADMIN_ID, TOKEN

RATE = 50
ADMIN_FOOTER = "📢 Announcement from the TukuLokal administrators"


@pytest.fixture
def settings(tg, db) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=db.url,
        telegram_api_url=tg.base_url,
        admin_ids=frozenset({ADMIN_ID}),
        scheduler_enabled=False,
        broadcast_rate=RATE,
        broadcast_progress_seconds=0.3,
        broadcast_poll_seconds=0.1,
        broadcast_retry_backoff=0.05,
    )


async def _compose(admin, html: str):
    await admin.send("/broadcast")
    await admin.wait_reply(predicate=lambda m: "New broadcast" in (m.text or ""))
    await admin.send(html, html=True)
    return await admin.wait_reply(predicate=lambda m: "Who should receive it" in (m.text or ""))


async def test_broadcast_reaches_every_reachable_user_once(app, tg, session):
    users = await crowd(session, tg, range(10_001, 10_301))
    await crowd(session, tg, range(10_301, 10_311), language="id")
    tg.set_rate_limits(global_per_second=RATE * 1.2)
    blocked, deleted = [10_005, 10_006], [10_007]
    for telegram_id in blocked:
        tg.block(telegram_id)
    for telegram_id in deleted:
        tg.delete_account(telegram_id)
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    setup = await _compose(admin, "<b>Pasar UMKM</b> on Friday! Kode: PASAR-42")
    assert "Recipients: <b>310</b>" in setup.html or "Recipients: 310" in setup.text
    await admin.click("Preview", setup)
    preview = await admin.wait_reply(predicate=lambda m: "PASAR-42" in (m.text or ""))
    assert preview.html.startswith("<b>Pasar UMKM</b> on Friday!")
    assert "Announcement from the TukuLokal administrators" in preview.text
    confirm = await admin.wait_reply(predicate=lambda m: "exactly what" in (m.text or ""))
    await admin.click("Send now", confirm)
    await admin.wait_reply(predicate=lambda m: "on its way" in (m.text or ""))
    # The bot keeps answering while the broadcast runs.
    asker = tg.user(10_100)
    await asker.send("/bantuan")
    await asker.wait_reply(predicate=lambda m: "help" in (m.text or "").lower(), timeout=3)
    assert len(received(tg, "PASAR-42")) < 300, "the help came only after the broadcast"
    report = await admin.wait_reply(predicate=lambda m: "Delivered" in (m.text or ""), timeout=30)
    counts = received(tg, "PASAR-42")
    reachable = {u.telegram_id for u in users} | set(range(10_301, 10_311))
    reachable -= set(blocked) | set(deleted)
    assert set(counts) - {ADMIN_ID} == reachable
    assert all(n == 1 for chat, n in counts.items() if chat != ADMIN_ID)
    assert "Delivered: 307" in report.text
    assert "Blocked the bot: 2" in report.text
    assert "Account not found: 1" in report.text
    # The configured rate held: on average, and within any second up to network jitter.
    sends = [s.at for s in tg.sent_messages() if s.chat_id != ADMIN_ID]
    assert (len(sends) - 1) / (sends[-1] - sends[0]) <= RATE * 1.02
    assert tg.peak_rate() <= RATE * 1.1
    assert not [c for c in tg.errors if c.status == 429]
    # Indonesian speakers get the bot's words in Indonesian, the content as written.
    indonesian = tg.chat(10_305)[-1]
    assert indonesian.html.startswith("<b>Pasar UMKM</b> on Friday!")
    assert indonesian.text.endswith(translate(ADMIN_FOOTER, "id"))
    assert tg.chat(10_005 + 100)[-1].text.endswith(ADMIN_FOOTER)
    async with app.db.session() as s:
        gone = (await s.exec(select(User).where(User.unreachable))).all()
        assert {u.telegram_id for u in gone} == set(blocked) | set(deleted)
        rows = (await s.exec(select(BroadcastDelivery))).all()
        assert {r.status for r in rows} == {"sent", "blocked", "not_found"}
        assert (await s.exec(select(Broadcast))).one().status == "done"
    forgive(tg, unreachable_errors)
