"""Broadcasts as administrators and recipients see them: audience, preview, delivery."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.settings import Settings
from models import AdminAccount, Broadcast, BroadcastDelivery, Order, User
from services import audience as aud
from services import broadcasts as svc
from services.quota import QuotaPolicy
from services.roles import roles_of
from tests.e2e.broadcast_helpers import (
    broadcasts_settled,
    crowd,
    forgive,
    received,
    unreachable_errors,
    wait_for,
)
from tests.e2e.conftest import ADMIN_ID, e2e_settings
from tests.e2e.helpers import png, reload, shop_with_owner
from views.i18n import translate

RATE = 50
ADMIN_FOOTER = "📢 Announcement from the TukuLokal administrators"


@pytest.fixture
def settings(tg, db) -> Settings:
    return e2e_settings(
        tg,
        db,
        broadcast_rate=RATE,
        broadcast_progress_seconds=0.3,
        broadcast_poll_seconds=0.1,
        broadcast_retry_backoff=0.05,
    )


async def _compose(admin, html: str):
    await admin.send("/broadcast")
    await admin.wait_reply(containing="New broadcast")
    await admin.send(html, html=True)
    return await admin.wait_reply(containing="Who should receive it")


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
    preview = await admin.wait_reply(containing="PASAR-42")
    assert preview.html.startswith("<b>Pasar UMKM</b> on Friday!")
    assert "Announcement from the TukuLokal administrators" in preview.text
    confirm = await admin.wait_reply(containing="exactly what")
    await admin.click("Send now", confirm)
    await admin.wait_reply(containing="on its way")
    # The bot keeps answering while the broadcast runs.
    asker = tg.user(10_100)
    await asker.send("/bantuan")
    await asker.wait_reply(predicate=lambda m: "help" in (m.text or "").lower(), timeout=3)
    assert len(received(tg, "PASAR-42")) < 300, "the help came only after the broadcast"
    report = await admin.wait_reply(containing="Delivered", timeout=30)
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
    # The failed recipients, as a spreadsheet on request.
    await admin.click("Failed recipients (CSV)", report)
    sheet = await admin.wait_reply(predicate=lambda m: m.document_file is not None)
    data, filename = sheet.document
    assert filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted((int(r["telegram_id"]), r["outcome"]) for r in rows) == [
        (10_005, "blocked"),
        (10_006, "blocked"),
        (10_007, "not_found"),
    ]
    forgive(tg, unreachable_errors)


async def _population(session, tg):
    """6 reachable ASN (4 Diskominfo, 2 Dinas Kesehatan), 1 unreachable, 1 shop owner."""
    await crowd(session, tg, range(20_001, 20_004), opd="Diskominfo", quota_class="III")
    await crowd(session, tg, range(20_011, 20_013), opd="Dinas Kesehatan", quota_class="IV")
    await crowd(session, tg, [20_021], opd="Diskominfo", quota_class="PPPK")
    (gone,) = await crowd(session, tg, [20_031], opd="Diskominfo", quota_class="III")
    gone.unreachable = True
    session.add(gone)
    shop = await shop_with_owner(session, 20_041)
    tg.user(20_041, first_name="Owner", language_code="en", started=True)
    paid = (await session.exec(select(User).where(User.telegram_id == 20_001))).one()
    session.add(
        Order(
            buyer_id=paid.id,
            merchant_id=shop.id,
            status="paid",
            total=600_000,
            counts_for_quota=True,
            buyer_nip=paid.nip,
            checkout_key="paid-this-month",
            paid_at=datetime(2026, 11, 20, 5, 0, tzinfo=UTC),
        )
    )
    await session.commit()


def _recipients(message) -> int:
    return int(re.search(r"Recipients: (\d+)", message.text).group(1))


async def test_audience_choice_counts_and_exact_preview(app, tg, session):
    await _population(session, tg)
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    setup = await _compose(admin, "Rapat <i>koordinasi</i> UMKM — RAPAT-7")
    assert _recipients(setup) == 6
    assert "1 more blocked the bot or left Telegram" in setup.text

    async def tap(text, message=None):
        await admin.click(text, message or setup)
        return await admin.wait_reply()

    opds = await tap("OPD: all")
    assert opds.buttons[:2] == ["⬜ Dinas Kesehatan", "⬜ Diskominfo"]
    await tap("Diskominfo", opds)
    setup = await tap("Done", opds)
    assert _recipients(setup) == 4
    assert "OPD: Diskominfo" in setup.text
    classes = await tap("Class: all")
    await tap("golongan III", classes)
    setup = await tap("Done", classes)
    assert _recipients(setup) == 3
    setup = await tap("Below this month's minimum")
    assert _recipients(setup) == 2  # 20001 already spent this month's minimum
    assert "still below this month's minimum" in setup.text
    setup = await tap("Shops")
    assert _recipients(setup) == 1
    setup = await tap("Everyone")
    assert _recipients(setup) == 8  # 6 ASN, the shop owner and the administrator
    setup = await tap("ASN")
    assert _recipients(setup) == 6
    setup = await tap("Shop now")
    assert "Buttons under the message: 🛍️ Shop now" in setup.text
    await admin.click("Preview", setup)
    preview = await admin.wait_reply(containing="RAPAT-7")
    assert preview.html.startswith("Rapat <i>koordinasi</i> UMKM — RAPAT-7")
    assert preview.buttons == ["🛍️ Shop now"]
    confirm = await admin.wait_reply(containing="exactly what")
    assert _recipients(confirm) == 6
    await admin.click("Shop now", preview)  # the button works, the announcement stays
    await admin.wait_reply(containing="Choose a category")
    assert tg.message(ADMIN_ID, preview.message_id).text == preview.text
    await admin.click("Cancel", confirm)
    await admin.wait_reply(containing="Nothing was sent")
    await broadcasts_settled(app)
    assert received(tg, "RAPAT-7").keys() == {ADMIN_ID}


async def _send_now(sender, html: str, marker: str):
    """Compose, preview and send to the default audience; returns the progress message."""
    setup = await _compose(sender, html)
    await sender.click("Preview", setup)
    await sender.wait_reply(containing=marker)
    confirm = await sender.wait_reply(containing="exactly what")
    await sender.click("Send now", confirm)
    await sender.wait_reply(containing="on its way")
    return tg_message(sender, confirm.message_id)


def tg_message(user, message_id):
    return user.server.message(user.id, message_id)


async def test_opd_operator_reaches_only_their_opd(app, tg, session, clock):
    await _population(session, tg)
    session.add(AdminAccount(telegram_id=950, role="opd_operator", opd="Diskominfo"))
    await session.commit()
    async with app.db.session() as s:  # an administrator's broadcast to another OPD
        other, _ = await svc.create(
            s, actor=await roles_of(s, ADMIN_ID, frozenset({ADMIN_ID})),
            content=svc.Content("text", "Untuk Dinkes"),
            audience=aud.Audience(opds=("Dinas Kesehatan",)), now=clock(),
            policy=QuotaPolicy(tz=ZoneInfo("Asia/Jakarta")), draft_key="dinkes",
            scheduled_at=clock() + timedelta(days=3),
        )  # fmt: skip
    operator = tg.user(950, first_name="Opi", language_code="en")
    setup = await _compose(operator, "Apel pagi Diskominfo — APEL-1")
    assert _recipients(setup) == 4  # Diskominfo's reachable ASN only
    assert "OPD: Diskominfo" in setup.text
    assert not any("Everyone" in b or "Shops" in b or "OPD:" in b for b in setup.buttons)
    forged = await operator.click_data(setup, "bsu:kind:2")  # a forged "everyone"
    await operator.wait_answer(forged)
    await app.wait_handled()
    assert _recipients(tg_message(operator, setup.message_id)) == 4
    await operator.click("Preview", setup)
    preview = await operator.wait_reply(containing="APEL-1")
    assert preview.text.endswith("📢 Announcement from Diskominfo via TukuLokal")
    confirm = await operator.wait_reply(containing="exactly what")
    await operator.click("Send now", confirm)
    await operator.wait_reply(containing="Delivered: 4", timeout=10)
    assert set(received(tg, "APEL-1")) == {950, 20_001, 20_002, 20_003, 20_021}
    await operator.send("/broadcasts")
    listing = await operator.wait_reply(containing="Broadcasts")
    assert f"#{other.id}" not in listing.text and listing.buttons == [f"#{other.id + 1}"]
    forged = await operator.click_data(listing, f"bct:{other.id}:cancel")
    assert "not allowed" in (await operator.wait_answer(forged))["text"]
    await operator.send("/admin")
    assert "not allowed" in (await operator.wait_reply()).text
    assert (await reload(app, Broadcast, other.id)).status == "scheduled"


async def test_429_pauses_every_send_until_retry_after(app, tg, session):
    await crowd(session, tg, range(30_001, 30_061))
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await _send_now(admin, "Info 429 — WAIT-2", "WAIT-2")
    await wait_for(lambda: len(received(tg, "WAIT-2")) >= 15)
    tg.force_retry_after(2)
    await admin.wait_reply(containing="Delivered: 60", timeout=20)
    refusal, *in_flight = [c for c in tg.errors if c.status == 429]
    during = [s for s in tg.sent_messages() if refusal.at < s.at < refusal.at + 2 - 0.02]
    assert during == []
    # Sends go side by side: those already on their way when the 429 came may be refused too,
    # one per worker at most; no worker starts another one until the pause is over.
    workers = app.dp["sender"].default_concurrency()
    assert len(in_flight) == len(tg.refused_during_pause) <= workers - 1
    counts = received(tg, "WAIT-2")
    assert len(counts) == 61 and set(counts.values()) == {1}  # the refused one came later
    forgive(tg, unreachable_errors)


async def test_pause_resume_cancel(app, tg, session):
    await crowd(session, tg, range(40_001, 40_201))
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    progress = await _send_now(admin, "Jeda — PAUSE-3", "PAUSE-3")

    def sent() -> int:
        return len(received(tg, "PAUSE-3")) - 1  # minus the preview

    await wait_for(lambda: sent() >= 20)
    await admin.click("Pause", progress)
    paused = await admin.wait_reply(containing="paused")
    assert "Resume" in str(paused.buttons)
    await broadcasts_settled(app)  # the job has stopped, no send is in flight
    stopped_at = sent()
    await broadcasts_settled(app)  # the runner looked again: a paused broadcast stays paused
    assert sent() == stopped_at
    # paused early enough to leave the rest of the test something to resume and cancel
    assert stopped_at <= 100, f"the pause came late: {stopped_at} of 200 already sent"
    await admin.click("Resume", paused)
    await wait_for(
        lambda: sent() >= stopped_at + 20,
        what=lambda: f"{sent()} sent, {stopped_at} before the pause; {tg.errors[-3:]}",
    )
    await admin.click("Cancel broadcast", tg_message(admin, progress.message_id))
    sure = await admin.wait_reply(predicate=lambda m: "Yes, cancel it" in str(m.buttons))
    await admin.click("Yes, cancel it", sure)
    report = await admin.wait_reply(
        containing="Not sent", predicate=lambda m: m.message_id != progress.message_id
    )
    assert "cancelled" in report.text
    await broadcasts_settled(app)
    counts = received(tg, "PAUSE-3")
    assert set(counts.values()) == {1}  # nobody got it twice
    not_sent = int(re.search(r"Not sent \(cancelled\): (\d+)", report.text).group(1))
    assert not_sent == 200 - sent() > 0
    async with app.db.session() as s:
        assert (await s.exec(select(Broadcast))).one().status == "cancelled"


async def test_scheduled_broadcast_waits_for_its_time(app, tg, session, clock):
    await crowd(session, tg, range(50_001, 50_011))
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    setup = await _compose(admin, "Besok pagi — LATER-4")
    await admin.click("Preview", setup)
    confirm = await admin.wait_reply(containing="exactly what")
    await admin.click("Schedule", confirm)
    await admin.wait_reply(containing="When should it be sent")
    await admin.send("27.11.2026 09:00")  # the clock says 10:00 WIB
    assert "already passed" in (await admin.wait_reply()).text
    await admin.send("28.11.2026 08:00")
    done = await admin.wait_reply(containing="scheduled for")
    assert "28 Nov 2026 08:00" in done.text
    await admin.send("/broadcasts")
    listing = await admin.wait_reply(containing="Broadcasts")
    assert "scheduled" in listing.text
    await broadcasts_settled(app)  # the runner looked: not due yet
    assert received(tg, "LATER-4").keys() == {ADMIN_ID}
    clock.advance(days=1)
    report = await admin.wait_reply(containing="Delivered: 10")
    assert "finished" in report.text
    assert len(received(tg, "LATER-4")) == 11


async def test_photo_announcement_and_refused_content(app, tg, session):
    await crowd(session, tg, range(70_001, 70_006))
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en", phone="+6281200000900")
    await admin.send("/broadcast")
    await admin.wait_reply(containing="New broadcast")
    await admin.send_contact("+6281200000900")
    assert "text, a photo or a document" in (await admin.wait_reply()).text
    await admin.send("x" * 4090)
    too_long = await admin.wait_reply()
    assert "too long: 4090 characters" in too_long.text
    await admin.send_photo(png(), caption="<b>Bazar</b> PHOTO-5", html=True)
    setup = await admin.wait_reply(containing="Who should receive it")
    await admin.click("Preview", setup)
    preview = await admin.wait_reply(predicate=lambda m: m.photo is not None)
    assert preview.html.startswith("<b>Bazar</b> PHOTO-5")
    assert preview.caption.endswith(ADMIN_FOOTER)
    confirm = await admin.wait_reply(containing="exactly what")
    await admin.click("Send now", confirm)
    await admin.wait_reply(containing="Delivered: 5", timeout=10)
    for telegram_id in range(70_001, 70_006):
        (message,) = [m for m in tg.chat(telegram_id) if m.from_bot]
        assert message.photo == png() and "PHOTO-5" in message.caption


async def test_status_messages_come_in_the_order_of_what_happens(app, tg, session):
    await crowd(session, tg, range(15_001, 15_031))
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    setup = await _compose(admin, "Bazar <b>UMKM</b> Jumat")
    await admin.click("Preview", setup)
    await admin.wait_reply(containing="Bazar")
    confirm = await admin.wait_reply(containing="exactly what")
    await admin.click("Send now", confirm)
    seen = []  # (what, message id) in the order the chat shows it happening
    while not seen or seen[-1][0] != "report":
        message = await admin.wait_reply(timeout=30)
        text = message.text or ""
        if "Starting the broadcast" in text:
            seen.append(("starting", message.message_id))
        elif "is on its way" in text:
            seen.append(("on its way", message.message_id))
        elif message.message_id != confirm.message_id and "Delivered" in text:
            seen.append(("report", message.message_id))
        elif "%" in text:
            seen.append((f"progress {text.split('%')[0].split()[-1]}%", message.message_id))
    kinds = [kind for kind, _id in seen]
    assert kinds[:2] == ["starting", "on its way"]
    assert kinds[-1] == "report" and kinds.count("report") == 1
    progress = [(kind, mid) for kind, mid in seen if kind.startswith("progress")]
    assert progress and progress[-1][0] == "progress 100%"  # done before the report, not before
    # One progress message, edited in place: the confirmation that said "Starting".
    assert {mid for _kind, mid in progress} == {seen[0][1]} == {confirm.message_id}
    assert seen[-1][1] > seen[1][1] > confirm.message_id  # the report is the newest message
