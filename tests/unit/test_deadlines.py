"""Reminder slots, exactly-once claims and the months due for closing."""

import asyncio
from datetime import UTC, date, datetime, timedelta

from models import Order, QuotaExemption, ReminderLog
from models.db import Database
from services import deadlines as dl
from services.compliance import close_month
from services.quota import QuotaPolicy, set_deadline_day
from tests import factories as f
from tests.compliance_world import NOV, WIB, at

QUOTA = QuotaPolicy(tz=WIB)
POLICY = dl.ReminderPolicy()


def wib(slot: dl.Slot) -> str:
    return f"{slot.at.astimezone(WIB):%d %b %H:%M}"


def test_slots_are_days_before_the_deadline_at_the_hour_in_wib():
    slots = dl.month_slots(NOV, 0, POLICY, WIB)  # the last day: 30 November
    assert [(s.offset_days, wib(s)) for s in slots] == [
        (7, "23 Nov 09:00"),
        (3, "27 Nov 09:00"),
        (1, "29 Nov 09:00"),
    ]
    assert slots[0].at == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert {s.deadline for s in slots} == {date(2026, 11, 30)}
    assert slots[0].cutoff == at(1, 0, month=date(2026, 12, 1))
    custom = dl.month_slots(NOV, 25, dl.ReminderPolicy(offsets=(5, 0), hour=15), WIB)
    assert [(s.offset_days, wib(s)) for s in custom] == [(5, "20 Nov 15:00"), (0, "25 Nov 15:00")]
    # A deadline early in the month: a slot before the month begins is dropped.
    early = dl.month_slots(NOV, 5, POLICY, WIB)
    assert [(s.offset_days, wib(s)) for s in early] == [(3, "02 Nov 09:00"), (1, "04 Nov 09:00")]


async def test_the_due_slot_is_the_latest_begun_one_until_the_deadline_day_ends(session):
    async def due(moment: datetime) -> int | None:
        slot = await dl.due_slot(session, now=moment, quota=QUOTA, policy=POLICY)
        return None if slot is None else slot.offset_days

    assert await due(at(23, 8)) is None
    assert await due(at(23, 9)) == 7
    assert await due(at(26, 23)) == 7
    assert await due(at(28, 12)) == 3  # 7 was superseded, nothing is sent twice
    assert await due(datetime(2026, 11, 30, 23, 59, tzinfo=WIB)) == 1  # the deadline day
    assert await due(at(1, 0, month=date(2026, 12, 1))) is None  # over: skipped
    # The deadline day set by administrators moves the slots.
    await set_deadline_day(session, 25, valid_from=NOV)
    assert await due(at(22, 9)) == 3
    assert await due(at(26, 9)) is None


async def _people(session):
    """Behind (with some spend), compliant, exempt, unregistered, and left the roster."""
    shop = await f.merchant(session)
    behind = await f.asn_user(session, 1001, f.PNS_NIP)
    done = await f.asn_user(session, 1002, f.PNS_NIP_2, name="Siti Aminah")
    exempt = await f.asn_user(session, 1003, f.PPPK_NIP, name="Rina", quota_class="PPPK")
    await f.roster(session, "198001012005011001", name="Not Registered")
    await f.asn_user(session, 1005, "198001012005011002", name="Gone", active=False)
    session.add(QuotaExemption(nip=exempt.nip, from_month=NOV, to_month=NOV, reason="leave"))
    for i, (user, total) in enumerate(((behind, 150_000), (done, 500_000))):
        session.add(
            Order(
                buyer_id=user.id,
                merchant_id=shop.id,
                status="completed",
                total=total,
                counts_for_quota=True,
                buyer_nip=user.nip,
                checkout_key=f"k{i}",
                created_at=at(10),
                paid_at=at(10),
            )
        )
    await session.commit()
    return behind


async def test_only_asn_below_the_minimum_are_claimed_and_only_once(session):
    behind = await _people(session)
    slot = await dl.due_slot(session, now=at(27, 10), quota=QUOTA, policy=POLICY)
    minimums = await dl.slot_minimums(session, slot, quota=QUOTA)
    nips = await dl.to_remind(session, slot, quota=QUOTA, minimums=minimums)
    assert nips == [behind.nip]
    claimed = await dl.claim(session, slot, nips, quota=QUOTA, minimums=minimums, now=at(27, 10))
    assert [(r.telegram_id, r.minimum, r.spent, r.remaining) for r in claimed] == [
        (1001, 500_000, 150_000, 350_000)
    ]
    assert (
        await dl.claim(session, slot, nips, quota=QUOTA, minimums=minimums, now=at(27, 11)) == []
    )
    assert await dl.to_remind(session, slot, quota=QUOTA, minimums=minimums) == []
    await dl.record(session, slot, [dl.Outcome(claimed[0], sent=True)], now=at(27, 10))
    assert await dl.reminder_counts(session, NOV) == {(3, "sent"): 1}
    row = await session.get(ReminderLog, (behind.nip, NOV, 3), populate_existing=True)
    assert row.sent_at is not None
    # The next slot is a new reminder.
    later = await dl.due_slot(session, now=at(29, 10), quota=QUOTA, policy=POLICY)
    assert await dl.to_remind(session, later, quota=QUOTA, minimums=minimums) == [behind.nip]


async def test_two_processes_claiming_at_once_never_claim_the_same_reminder(db):
    async with db.session() as session:
        for i in range(40):
            await f.asn_user(session, 5000 + i, f"19850312201001{i:04d}", name=f"ASN {i}")
        slot = await dl.due_slot(session, now=at(27, 10), quota=QUOTA, policy=POLICY)
        minimums = await dl.slot_minimums(session, slot, quota=QUOTA)
        nips = await dl.to_remind(session, slot, quota=QUOTA, minimums=minimums)
    assert len(nips) == 40
    engines = [Database(db.url), Database(db.url)]

    async def process(database: Database, order: list[str]) -> list[str]:
        got = []
        for start in range(0, len(order), 7):
            async with database.session() as session:
                batch = await dl.claim(
                    session, slot, order[start : start + 7], quota=QUOTA, minimums=minimums,
                    now=at(27, 10),
                )  # fmt: skip
            got += [r.nip for r in batch]
            await asyncio.sleep(0)
        return got

    try:
        first, second = await asyncio.gather(
            process(engines[0], nips), process(engines[1], list(reversed(nips)))
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(first + second) == sorted(nips)  # everyone once, nobody twice


async def test_months_close_only_after_their_deadline_and_since_the_bot_was_used(session):
    buyer = await f.asn_user(session, 1001)
    shop = await f.merchant(session)
    item = await f.product(session, shop)
    # The bot has been in use since November (its first order): October is not closed.
    await f.order(session, buyer, item, created_at=at(10))
    assert await dl.months_to_close(session, now=at(27), quota=QUOTA) == []
    assert await dl.months_to_close(session, now=at(30, 23), quota=QUOTA) == []
    december = at(1, 0, month=date(2026, 12, 1)) + timedelta(minutes=1)
    assert await dl.months_to_close(session, now=december, quota=QUOTA) == [NOV]
    await close_month(session, NOV, policy=QUOTA, now=december)
    assert await dl.months_to_close(session, now=december, quota=QUOTA) == []
    # A deadline mid-month closes that month once the day is over (and nothing before).
    await set_deadline_day(session, 20, valid_from=date(2026, 12, 1))
    assert await dl.months_to_close(session, now=at(20, 23, date(2026, 12, 1)), quota=QUOTA) == []
    due = await dl.months_to_close(session, now=at(21, 0, date(2026, 12, 1)), quota=QUOTA)
    assert due == [date(2026, 12, 1)]


async def test_a_new_installation_closes_no_month_from_before_it(session):
    await f.asn_user(session, 1001)
    # The jobs first run on 2 December: November's deadline passed before the bot was in use.
    december = at(2, 9, month=date(2026, 12, 1))
    assert await dl.months_to_close(session, now=december, quota=QUOTA) == []
    # Its first own deadline closes December, and nothing older.
    january = at(1, 0, month=date(2027, 1, 1)) + timedelta(minutes=1)
    assert await dl.months_to_close(session, now=january, quota=QUOTA) == [date(2026, 12, 1)]


async def test_months_missed_while_the_scheduler_was_down_are_all_closed_on_start(session):
    await f.asn_user(session, 1001)
    assert await dl.months_to_close(session, now=at(5), quota=QUOTA) == []  # first run, 5 Nov
    # Down from late November until February: November, December and January close, oldest first.
    february = at(3, 8, month=date(2027, 2, 1))
    assert await dl.months_to_close(session, now=february, quota=QUOTA) == [
        NOV,
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
