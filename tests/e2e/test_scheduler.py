"""The scheduler as people see it: deadline reminders, month closing with its summary, orders
completed on their own, scheduled broadcasts; one process at a time, each thing once.

Jobs run with the test clock (moved, never waited for); "another process" is a JobContext with
its own Database engine, Bot and lease holder on the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import func, select

from bot.factory import create_bot, start_broadcast_runner
from bot.settings import Settings
from models import AdminAccount, MonthClosing, MonthResult, Order, ReminderLog, User
from models.db import Database
from scheduler.jobs import (
    JobContext,
    deadline_reminders,
    month_closing,
    renew_lease,
    run_all_jobs,
    scheduled_broadcasts,
)
from scheduler.runner import context_of
from services import audience as aud
from services import broadcasts as bsvc
from services import cart, orders
from services.deadlines import reminder_counts
from services.leases import Lease
from services.quota import QuotaPolicy
from services.roles import roles_of
from tests import factories as f
from tests.compliance_world import MINIMUMS, NOV, OCT, WIB, at, build_world, expected
from tests.e2e.broadcast_helpers import crowd, forgive, received, wait_for
from tests.e2e.conftest import ADMIN_ID, e2e_settings, open_bot
from tests.e2e.helpers import shop_with_owner
from views.format import money
from views.i18n import translate
from views.reminders import ReminderCb
from views.reports import month_name

DEC = date(2026, 12, 1)
MARK = "to reach your minimum"
OPERATOR = 3001
TTL = timedelta(seconds=90)


@pytest.fixture
def settings(tg, db) -> Settings:
    return e2e_settings(
        tg,
        db,
        broadcast_rate=200,
        broadcast_poll_seconds=3600,  # scheduled broadcasts start through the scheduler job
        broadcast_progress_seconds=0.3,
        broadcast_retry_backoff=0.05,
    )


def _ctx(app, clock, **kwargs) -> JobContext:
    return JobContext(
        app.db, app.bot, app.settings.policy(), clock, Lease(app.db, clock, ttl=TTL), **kwargs
    )


@contextlib.asynccontextmanager
async def _process(app, clock, holder: str, **settings) -> AsyncIterator[JobContext]:
    """Another scheduler process: its own engine, Bot, sender and lease holder."""
    config = app.settings.model_copy(update=settings)
    db = Database(config.database_url)
    bot = create_bot(config)
    try:
        yield JobContext(db, bot, config.policy(), clock, Lease(db, clock, holder=holder, ttl=TTL))
    finally:
        await bot.session.close()
        await db.dispose()


class EveryoneLeads(Lease):
    """A lease that always says yes: as if the lease had failed and two processes both ran."""

    async def acquire(self) -> bool:
        return True


def _is_reminder(message) -> bool:
    """A reminder, in any language: it carries the reminder's buttons."""
    data = [b.get("callback_data", "") for row in message.inline_keyboard for b in row]
    return message.from_bot and ReminderCb(action="catalog").pack() in data


def _reminders(tg) -> dict[int, list]:
    got: dict[int, list] = {}
    for chat_id, messages in tg.chats.items():
        for m in messages:
            if _is_reminder(m):
                got.setdefault(chat_id, []).append(m)
    return got


def _accounts(tg, world) -> None:
    for user in world.users.values():
        tg.user(user.telegram_id, user.first_name, language_code="en", started=True)
    # The world has October orders: a scheduler that starts in November closes October and
    # sends its summary to the administrator, who has opened the bot.
    tg.user(ADMIN_ID, "Admin", language_code="en", started=True)


def _behind(world) -> dict[int, int]:
    """Telegram id -> remaining, for the registered, active, non-exempt ASN below minimum."""
    spent = expected(world, NOV).spent
    exempt = world.exempt.get(NOV, set())
    behind = {}
    for entry in world.roster:
        user = world.users.get(entry.nip)
        if user is None or not entry.active or entry.nip in exempt:
            continue
        remaining = MINIMUMS[entry.quota_class] - spent[entry.nip]
        if remaining > 0:
            behind[user.telegram_id] = remaining
    return behind


def _heading(days: int, locale: str) -> str:
    return translate(
        "⏰ <b>{days} days left</b> to reach your minimum for {month}.",
        locale,
        days=days,
        month=month_name(NOV, locale),
    )


async def test_reminders_reach_exactly_the_asn_below_their_minimum(app, tg, session, clock):
    world = await build_world(session)
    _accounts(tg, world)
    behind = _behind(world)
    assert behind and len(behind) < len(world.users)  # some met it, some are exempt
    reads_indonesian = min(behind)
    async with app.db.session() as s:
        user = (await s.exec(select(User).where(User.telegram_id == reads_indonesian))).one()
        user.language = "id"
        s.add(user)
        await s.commit()
    ctx = _ctx(app, clock, sender=app.dp["sender"])  # the broadcasts' rate-limited sender

    clock.now = datetime(2026, 11, 23, 8, 59, tzinfo=WIB)  # the first slot: 23 Nov 09:00
    assert await deadline_reminders(ctx) == {"sent": 0}
    clock.now = at(23, 9)
    assert await deadline_reminders(ctx) == {"sent": len(behind), "failed": 0}
    got = _reminders(tg)
    assert got.keys() == behind.keys()
    for telegram_id, remaining in behind.items():
        [reminder] = got[telegram_id]
        locale = "id" if telegram_id == reads_indonesian else "en"
        assert _heading(7, locale) in reminder.html
        assert f"<b>{money(remaining, locale)}</b>" in reminder.html
        assert "30 November 2026" in reminder.text
        if locale == "en":
            assert reminder.buttons == [
                "🛍️ Open the catalog",
                "🔎 Search products",
                "🧩 Close my gap",
            ]
    assert "." in money(behind[reads_indonesian], "id")  # Rp350.000, not Rp350,000
    assert await deadline_reminders(ctx) == {"sent": 0}  # run again: nobody twice


async def test_restart_between_two_offsets_sends_nothing_twice(app, tg, session, clock):
    world = await build_world(session)
    _accounts(tg, world)
    behind = _behind(world)
    clock.now = at(23, 10)
    # The bot process runs the scheduler itself; its jobs catch up at start-up.
    app.settings = app.settings.model_copy(update={"scheduler_enabled": True})
    await app.restart()
    await wait_for(lambda: len(_reminders(tg)) == len(behind), timeout=20)
    await app.restart()  # the lease is released on the way down, taken again on the way up
    ctx = context_of(app.dp["scheduler"])
    await run_all_jobs(ctx)  # beside the start-up run of the new process
    await tg.settle()
    assert {len(v) for v in _reminders(tg).values()} == {1}
    clock.now = at(27, 9)
    await run_all_jobs(ctx)
    await run_all_jobs(ctx)
    await tg.settle()
    got = _reminders(tg)
    assert got.keys() == behind.keys()
    for messages in got.values():
        assert [m.html.split("\n")[0] for m in messages] == [
            _heading(7, "en"),
            _heading(3, "en"),
        ]


async def test_a_slot_missed_while_down_is_sent_once_later_and_never_after_the_deadline(
    app, tg, session, clock
):
    world = await build_world(session)
    _accounts(tg, world)
    behind = _behind(world)
    ctx = _ctx(app, clock)
    clock.now = at(22, 12)
    assert await deadline_reminders(ctx) == {"sent": 0}
    clock.now = at(28, 12)  # down from before the 7-day slot until after the 3-day one
    assert await deadline_reminders(ctx) == {"sent": len(behind), "failed": 0}
    assert await deadline_reminders(ctx) == {"sent": 0}
    for messages in _reminders(tg).values():
        [reminder] = messages  # one reminder, not one per missed slot
        assert _heading(2, "en") in reminder.html  # the days actually left
    clock.now = at(1, 1, month=DEC)  # down again across the 1-day slot and the deadline
    assert await deadline_reminders(ctx) == {"sent": 0}
    async with app.db.session() as s:
        assert await reminder_counts(s, NOV) == {(3, "sent"): len(behind)}


async def test_offsets_and_hour_are_settings(app, tg, session, clock):
    await f.asn_user(session, 1001)
    await open_bot(tg.user(1001, "Budi", language_code="en"))
    ctx = _ctx(app, clock)
    ctx.policy = app.settings.model_copy(
        update={"reminder_offsets": (5, 2), "reminder_hour": 15, "quota_deadline_day": 25}
    ).policy()
    moments = [
        (datetime(2026, 11, 20, 14, 59, tzinfo=WIB), 0),
        (datetime(2026, 11, 20, 15, 0, tzinfo=WIB), 1),
        (datetime(2026, 11, 23, 14, 0, tzinfo=WIB), 0),
        (datetime(2026, 11, 23, 15, 0, tzinfo=WIB), 1),
        (datetime(2026, 11, 25, 16, 0, tzinfo=WIB), 0),
        (datetime(2026, 11, 26, 9, 0, tzinfo=WIB), 0),
    ]
    for moment, sent in moments:
        clock.now = moment
        assert (await deadline_reminders(ctx)).get("sent") == sent, moment
    texts = [m.text for m in _reminders(tg)[1001]]
    assert ["5 days left" in texts[0], "2 days left" in texts[1]] == [True, True]
    assert all("25 November 2026" in t and "Rp500,000" in t for t in texts)


async def test_reminder_buttons_open_the_catalog_and_the_search(app, tg, session, clock):
    await f.asn_user(session, 1001)
    buyer = tg.user(1001, "Budi", language_code="en")
    await open_bot(buyer)
    clock.now = at(29, 9)
    await deadline_reminders(_ctx(app, clock))
    reminder = await buyer.wait_reply(predicate=_is_reminder)
    assert "Only 1 day left" in reminder.text
    await buyer.click("Open the catalog", reminder)
    catalog = await buyer.wait_reply(containing="Choose a category")
    assert catalog.message_id != reminder.message_id
    assert MARK in tg.message(1001, reminder.message_id).text  # the reminder stays as it was
    await buyer.click("Search products", reminder)
    await buyer.wait_reply(containing="Type what you are looking for")
    # "Close my gap" proposes products for what remains (no shop has any: it says so).
    await buyer.click("Close my gap", reminder)
    proposal = await buyer.wait_reply(containing="🧩")
    assert "No products in stock can be proposed right now" in proposal.text
    assert proposal.message_id != reminder.message_id


async def test_two_scheduler_processes_send_each_reminder_once(app, tg, session, clock):
    users = await crowd(session, tg, range(60_001, 60_041))
    clock.now = at(27, 9)
    async with _process(app, clock, "a") as a, _process(app, clock, "b") as b:
        results = await asyncio.gather(deadline_reminders(a), deadline_reminders(b))
        assert sorted(r.get("sent", 0) for r in results) == [0, len(users)]  # one ran
        # Even if the lease failed and both ran, each reminder is claimed by one of them.
        a.lease = EveryoneLeads(a.db, clock, holder="a")
        b.lease = EveryoneLeads(b.db, clock, holder="b")
        clock.now = at(29, 9)
        results = await asyncio.gather(deadline_reminders(a), deadline_reminders(b))
        assert sum(r["sent"] for r in results) == len(users)
    got = _reminders(tg)
    assert got.keys() == {u.telegram_id for u in users}
    assert {len(v) for v in got.values()} == {2}


async def test_when_the_leader_dies_another_process_takes_over(app, tg, session, clock):
    users = await crowd(session, tg, range(61_001, 61_061))
    everyone = {u.telegram_id for u in users}
    clock.now = at(27, 9)
    async with (
        _process(app, clock, "a", broadcast_rate=20) as a,
        _process(app, clock, "b") as b,
    ):
        assert await renew_lease(a)  # a leads
        assert await deadline_reminders(b) == {}  # b stands by
        running = asyncio.create_task(deadline_reminders(a))
        await wait_for(lambda: len(_reminders(tg)) >= 5)
        running.cancel()  # a dies in the middle of the run
        await asyncio.gather(running, return_exceptions=True)
        assert await deadline_reminders(b) == {}  # a's lease has not expired yet
        clock.advance(seconds=91)
        taken_over = await deadline_reminders(b)
    # a claims a couple of batches ahead of sending (10 at a time at this rate)
    assert taken_over["sent"] >= len(users) - 5 - 2 * 10 - 10
    got = _reminders(tg)
    assert {len(v) for v in got.values()} == {1}  # nobody twice
    async with app.db.session() as s:
        claimed_by_a = (
            await s.exec(select(ReminderLog.nip).where(ReminderLog.status == "pending"))
        ).all()
    by_nip = {u.nip: u.telegram_id for u in users}
    # Everyone got it, except reminders a claimed and may not have sent: never sent twice.
    assert got.keys() | {by_nip[nip] for nip in claimed_by_a} == everyone


async def test_reminders_wait_out_a_429_like_broadcasts(app, tg, session, clock):
    users = await crowd(session, tg, range(62_001, 62_021))
    clock.now = at(27, 9)
    tg.force_retry_after(1)
    started = time.monotonic()
    counts = await deadline_reminders(_ctx(app, clock, sender=app.dp["sender"]))
    assert counts == {"sent": len(users), "failed": 0}
    assert time.monotonic() - started >= 1.0  # the retry_after was waited out
    # Sending stopped when the 429 came back: a request already on its way then (a few ms at
    # this rate) may still meet the pause and is retried; none is started during the pause.
    first_429 = min(c.at for c in tg.errors if c.status == 429)
    late = [r for r in tg.refused_during_pause if r.at - first_429 > 0.2]
    assert late == []
    assert {len(v) for v in _reminders(tg).values()} == {1}  # everyone got it, once
    forgive(tg, lambda call: "retry after" in (call.error or "").lower())


async def test_the_month_closes_once_and_the_summary_goes_to_admins_and_operators(
    app, tg, session, clock
):
    world = await build_world(session)
    admin = tg.user(ADMIN_ID, "Admin", language_code="en")
    await open_bot(admin)
    operator = tg.user(OPERATOR, "Opi", language_code="en")
    await open_bot(operator)
    session.add(AdminAccount(telegram_id=OPERATOR, role="opd_operator", opd="Diskominfo"))
    await session.commit()
    ctx = _ctx(app, clock)
    # 27 Nov, the jobs' first run: the bot was in use in October (orders) and October was never
    # closed, so it is closed now, with its summary; November is not over.
    assert await month_closing(ctx) == {"closed": 1, "summaries": 2}
    await admin.wait_reply(containing="October 2026 is closed")
    assert await month_closing(ctx) == {"closed": 0, "summaries": 0}

    clock.now = at(1, 0, month=DEC) + timedelta(minutes=1)  # 00:01 WIB after the deadline day
    async with _process(app, clock, "a") as a, _process(app, clock, "b") as b:
        a.lease = EveryoneLeads(a.db, clock, holder="a")
        b.lease = EveryoneLeads(b.db, clock, holder="b")
        results = await asyncio.gather(month_closing(a), month_closing(b))
        assert sorted(r["closed"] for r in results) == [0, 1]
    assert await month_closing(ctx) == {"closed": 0, "summaries": 0}  # triggered again
    async with app.db.session() as s:
        closings = (await s.exec(select(MonthClosing.month).order_by(MonthClosing.month))).all()
        assert closings == [OCT, NOV]
        recorded = (
            await s.exec(
                select(func.count()).select_from(MonthResult).where(MonthResult.month == NOV)
            )
        ).one()
    figures = expected(world, NOV)
    assert recorded == figures.roster

    summary = await admin.wait_reply(containing="November 2026 is closed")
    assert "Scope: the whole city" in summary.text
    subject = figures.roster - figures.exempt
    assert f"Met the minimum: {figures.compliant} of {subject}" in summary.text
    chart = await admin.wait_reply(
        predicate=lambda m: m.photo_file is not None and "November 2026" in m.text
    )
    assert "the whole city" in chart.text
    mine = await operator.wait_reply(containing="November 2026 is closed")
    assert "Scope: Diskominfo" in mine.text
    asn, exempt, compliant, _spent = expected(world, NOV, opd="Diskominfo").per_opd["Diskominfo"]
    assert f"Met the minimum: {compliant} of {asn - exempt}" in mine.text
    await operator.wait_reply(predicate=lambda m: m.photo_file is not None)
    await admin.click("Spreadsheet", summary)  # the summary's buttons work
    await admin.wait_reply(predicate=lambda m: m.document_file is not None)
    await app.wait_handled()
    for person in (admin, operator):
        closed = [m for m in person.bot_messages if "November 2026 is closed" in (m.text or "")]
        charts = [m for m in person.bot_messages if "November 2026" in (m.text or "")]
        assert (len(closed), len([m for m in charts if m.photo_file is not None])) == (1, 1)


async def test_an_order_completed_on_its_own_counts_for_the_month_it_was_paid(
    app, tg, session, clock
):
    shop = await shop_with_owner(session, 2001)
    product = await f.product(session, shop, name="Batik Malangan", price=200_000, stock=5)
    buyer = await f.asn_user(session, 1001)
    customer = tg.user(1001, "Budi", language_code="en")
    await open_bot(customer)
    owner = (await session.exec(select(User).where(User.telegram_id == 2001))).one()
    tg.user(ADMIN_ID, "Admin", language_code="en", started=True)  # gets the monthly summary
    ctx = _ctx(app, clock)
    await run_all_jobs(ctx)  # the jobs are running (27 Nov)
    await cart.set_quantity(session, buyer, product.id, 3)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    order = (await orders.checkout(session, buyer, key, now=at(29))).orders[0]
    paid = datetime(2026, 11, 30, 23, 0, tzinfo=WIB)
    for action in ("accept", "pay", "ship"):
        await orders.transition(session, order.id, action, actor=owner, now=paid)

    clock.now = at(8, 10, month=DEC)  # shipped 30 Nov, never confirmed by the buyer
    results = await run_all_jobs(ctx)
    assert results["order_hygiene"]["completed"] == 1
    assert results["month_closing"]["closed"] == 1
    await customer.wait_reply(containing="completed automatically")
    async with app.db.session() as s:
        row = await s.get(Order, order.id)
        assert (row.status, row.paid_at) == ("completed", paid)
        result = await s.get(MonthResult, (NOV, buyer.nip))
    assert (result.spent, result.compliant) == (600_000, True)
    await customer.send("/kuota")
    december = await customer.wait_reply(containing="Minimum spend")
    assert "December 2026" in december.text and "Counted so far: Rp0" in december.text


async def test_a_scheduled_broadcast_is_started_on_time_by_one_process(app, tg, session, clock):
    users = await crowd(session, tg, range(63_001, 63_011))
    admin = tg.user(ADMIN_ID, "Admin", language_code="en")
    await open_bot(admin)
    async with app.db.session() as s:
        await bsvc.create(
            s, actor=await roles_of(s, ADMIN_ID, frozenset({ADMIN_ID})),
            content=bsvc.Content("text", "Apel pagi besok — SCHED-1"), audience=aud.Audience(),
            now=clock(), policy=QuotaPolicy(tz=WIB), draft_key="sched",
            scheduled_at=clock() + timedelta(minutes=1),
        )  # fmt: skip
    here = _ctx(app, clock, broadcasts=app.dp["broadcasts"])
    assert await scheduled_broadcasts(here) == {"started": 0}  # not due yet
    clock.advance(minutes=1)  # (within the lease the bot process keeps renewing)
    async with _process(app, clock, "other") as other:
        _sender, runner = await start_broadcast_runner(other.policy, other.db, other.bot, clock)
        other.broadcasts = runner
        try:
            results = await asyncio.gather(scheduled_broadcasts(other), scheduled_broadcasts(here))
            # The bot process holds the "broadcasts" lease: it starts and sends; the other waits.
            assert [r["started"] for r in results] == [0, 1]
            await admin.wait_reply(containing="Delivered: 10")
        finally:
            await runner.stop()
    got = received(tg, "SCHED-1")
    assert {u.telegram_id for u in users} <= got.keys()
    assert set(got.values()) == {1}


async def test_a_long_city_summary_chart_comes_as_an_album(app, tg, session, clock):
    for i in range(14):
        nip = f"19850312201001{i:04d}"
        await f.asn_user(session, 7_000 + i, nip, name=f"ASN {i}", opd=f"Dinas {i:02d}")
    admin = tg.user(ADMIN_ID, "Admin", language_code="en")
    await open_bot(admin)
    ctx = _ctx(app, clock)
    await month_closing(ctx)
    clock.now = at(1, 0, month=DEC) + timedelta(minutes=1)
    assert await month_closing(ctx) == {"closed": 1, "summaries": 1}
    await admin.wait_reply(containing="November 2026 is closed")
    await app.wait_handled()
    pages = [m for m in admin.bot_messages if m.photo_file is not None]
    assert len(pages) >= 2 and len({m.media_group_id for m in pages}) == 1
    assert pages[0].media_group_id is not None and "the whole city" in pages[0].text
