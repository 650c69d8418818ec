"""Around each month's deadline: reminder slots, who is reminded (once), months due for closing.

A reminder slot is (month, offset): `offset` days before the month's deadline day, at `hour`
(WIB). The slot due at a moment is the latest one that has begun while the month's deadline day
is not over; earlier slots of the month are superseded by it (after a long downtime the ASN get
one reminder, the latest, not several at once). Slots that would fall before the month begins
(a deadline early in the month) are dropped.

Exactly once per ASN and slot: a reminder is claimed by inserting its `reminder_log` row (primary
key nip, month, offset) in the same write transaction that finds the ASN still below the
minimum; only the rows this transaction inserted are returned. A second scheduler process, a
re-run or a restart therefore never claims a reminder again. A reminder claimed by a process
that died before sending it stays "pending" and is not retried: reminders are sent at most
once, never twice.

Months are closed once their deadline day is over, also when the scheduler was not running at
that moment (on start, overdue months are closed), but only for deadlines after the bot came into
use (the first run of its jobs, `jobs_since`, or its first order), so a new installation does not
close (and report) months from before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from models import AppSetting, BuyerKind, MonthClosing, Order, ReminderLog, RosterEntry, User
from models.db import begin_write, is_sqlite, select_columns
from models.rollups import rollups_serve
from models.tables import table_of
from services.compliance import live_asn_query, minimums_in
from services.quota import (
    QuotaPolicy,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    deadline_for,
    month_bounds,
    month_start,
    next_month,
    outside_share_for,
)

PENDING, SENT, FAILED = "pending", "sent", "failed"
JOBS_SINCE = "jobs_since"
# Months looked back for closing (a bot stopped for longer closes the rest by hand).
MAX_CATCH_UP = 12


@dataclass(frozen=True)
class ReminderPolicy:
    offsets: tuple[int, ...] = (7, 3, 1)  # days before the deadline day
    hour: int = 9  # local time (WIB) of each slot


@dataclass(frozen=True)
class Slot:
    month: date
    offset_days: int
    at: datetime  # UTC: when the slot begins
    deadline: date  # the month's deadline day
    cutoff: datetime  # UTC: the deadline day is over; no reminder from then on


def month_slots(
    month: date, deadline_day: int, policy: ReminderPolicy, tz: ZoneInfo, credit_days: int = 0
) -> list[Slot]:
    """The month's reminder slots, earliest first (an outage's credit moves them with the
    deadline)."""
    month = month_start(month)
    deadline = deadline_for(month, deadline_day, credit_days)
    cutoff = closing_cutoff(month, deadline_day, tz, credit_days)
    begins, _end = month_bounds(month, tz)
    slots = []
    for offset in sorted(set(policy.offsets), reverse=True):
        local = datetime.combine(deadline - timedelta(days=offset), time(policy.hour), tzinfo=tz)
        at = local.astimezone(UTC)
        if begins <= at < cutoff:
            slots.append(Slot(month, offset, at, deadline, cutoff))
    return slots


async def slots_in(
    session: AsyncSession, month: date, *, quota: QuotaPolicy, policy: ReminderPolicy
) -> list[Slot]:
    day = await deadline_day_for(session, month_start(month), default=quota.deadline_day)
    credit = await deadline_credit(session, month_start(month))
    return month_slots(month, day, policy, quota.tz, credit)


async def due_slot(
    session: AsyncSession, *, now: datetime, quota: QuotaPolicy, policy: ReminderPolicy
) -> Slot | None:
    """The slot to remind for at `now`: the latest begun one, if the deadline is not over.
    Last month's slots too while an outage credit keeps its deadline in this month."""
    month = month_start(now.astimezone(quota.tz).date())
    for candidate in (next_month(month, -1), month):
        slots = await slots_in(session, candidate, quota=quota, policy=policy)
        begun = [s for s in slots if s.at <= now]
        if begun and now < begun[-1].cutoff:
            return begun[-1]
    return None


@dataclass(frozen=True)
class Reminder:
    user_id: int
    telegram_id: int
    nip: str
    language: str | None
    telegram_language: str | None
    minimum: int
    spent: int

    @property
    def remaining(self) -> int:
        return max(0, self.minimum - self.spent)


def _not_reminded(
    slot: Slot,
    minimums: dict[str, int],
    quota: QuotaPolicy,
    share: int,
    nips: Iterable[str] | None = None,
) -> Select[*tuple[Any, ...]]:
    """Registered, reachable, non-exempt ASN below the minimum without this slot's reminder."""
    start, end = month_bounds(slot.month, quota.tz)
    query = live_asn_query(
        slot.month,
        minimums,
        default=quota.default_minimum,
        start=start,
        end=end,
        share=share,
        rollup=rollups_serve(quota.tz, slot.month),
    )
    if nips is not None:
        query = query.where(col(RosterEntry.nip).in_(list(nips)))
    figures = query.subquery("figures")
    logged = exists().where(
        col(ReminderLog.nip) == figures.c.nip,
        col(ReminderLog.month) == slot.month,
        col(ReminderLog.offset_days) == slot.offset_days,
    )
    return (
        select_columns(
            User.id,
            User.telegram_id,
            figures.c.nip,
            User.language,
            User.telegram_language,
            figures.c.minimum,
            figures.c.spent,
        )
        .join(figures, figures.c.nip == col(User.nip))
        .where(
            col(User.kind) == BuyerKind.ASN,
            col(User.unreachable).is_not(True),
            ~figures.c.exempt,
            figures.c.spent < figures.c.minimum,
            ~logged,
        )
        .order_by(figures.c.nip)
    )


async def slot_minimums(
    session: AsyncSession, slot: Slot, *, quota: QuotaPolicy
) -> dict[str, int]:
    return await minimums_in(session, slot.month, default=quota.default_minimum)


async def to_remind(
    session: AsyncSession, slot: Slot, *, quota: QuotaPolicy, minimums: dict[str, int]
) -> list[str]:
    """NIPs of the ASN who should get this slot's reminder and have not been given it."""
    share = await outside_share_for(session, slot.month, default=quota.outside_share)
    rows = (await session.exec(_not_reminded(slot, minimums, quota, share))).all()
    await session.commit()  # end the read transaction
    return [row[2] for row in rows]


async def claim(
    session: AsyncSession,
    slot: Slot,
    nips: Iterable[str],
    *,
    quota: QuotaPolicy,
    minimums: dict[str, int],
    now: datetime,
) -> list[Reminder]:
    """Record the reminders of these ASN (still below the minimum, not reminded) as claimed.

    Returns the reminders this call recorded, with the figures as they are now; whoever else
    recorded one first (another process) keeps it.
    """
    nips = list(nips)
    if not nips:
        return []
    share = await outside_share_for(session, slot.month, default=quota.outside_share)
    await begin_write(session)
    rows = (await session.exec(_not_reminded(slot, minimums, quota, share, nips))).all()
    if not rows:
        await session.commit()
        return []
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    table = table_of(ReminderLog)
    statement = (
        insert(table)
        .values(
            [
                {
                    "nip": row[2],
                    "month": slot.month,
                    "offset_days": slot.offset_days,
                    "status": PENDING,
                    "created_at": now,
                }
                for row in rows
            ]
        )
        .on_conflict_do_nothing(index_elements=["nip", "month", "offset_days"])
        .returning(table.c.nip)
    )
    claimed = set((await session.exec(statement)).scalars().all())
    await session.commit()
    return [Reminder(*row) for row in rows if row[2] in claimed]


@dataclass(frozen=True)
class Outcome:
    reminder: Reminder
    sent: bool
    gone: bool = False  # blocked the bot or deleted the account: stop writing to them


async def record(
    session: AsyncSession, slot: Slot, outcomes: Sequence[Outcome], *, now: datetime
) -> None:
    """Store what happened to claimed reminders (one transaction for the group)."""
    if not outcomes:
        return
    await begin_write(session)
    for status in (SENT, FAILED):
        group = [o for o in outcomes if o.sent == (status == SENT)]
        if not group:
            continue
        await session.exec(
            update(ReminderLog)
            .where(
                col(ReminderLog.month) == slot.month,
                col(ReminderLog.offset_days) == slot.offset_days,
                col(ReminderLog.nip).in_([o.reminder.nip for o in group]),
            )
            .values(status=status, sent_at=now if status == SENT else None)
        )
    gone = [o.reminder.user_id for o in outcomes if o.gone]
    if gone:
        await session.exec(update(User).where(col(User.id).in_(gone)).values(unreachable=True))
    await session.commit()


async def reminder_counts(session: AsyncSession, month: date) -> dict[tuple[int, str], int]:
    """How many reminders of a month per (offset, status): for logs and tests."""
    rows = (
        await session.exec(
            select(ReminderLog.offset_days, ReminderLog.status, func.count())
            .where(col(ReminderLog.month) == month_start(month))
            .group_by(col(ReminderLog.offset_days), col(ReminderLog.status))
        )
    ).all()
    return {(offset, status): int(n) for offset, status, n in rows}


# --- closing -------------------------------------------------------------------------------


async def jobs_since(session: AsyncSession, now: datetime) -> datetime:
    """When the scheduled jobs first ran here (recorded at the first call)."""
    row = await session.get(AppSetting, JOBS_SINCE)
    if row is None:
        insert = sqlite_insert if is_sqlite(session) else pg_insert
        await begin_write(session)
        await session.exec(
            insert(table_of(AppSetting))
            .values(key=JOBS_SINCE, value=now.astimezone(UTC).isoformat(), updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        await session.commit()
        row = await session.get(AppSetting, JOBS_SINCE, populate_existing=True)
    if row is None:
        return now
    try:
        return datetime.fromisoformat(row.value)
    except ValueError:
        return now


async def months_to_close(
    session: AsyncSession, *, now: datetime, quota: QuotaPolicy
) -> list[date]:
    """Every month whose deadline day is over and that is not closed yet, oldest first, at
    most a year back: also months whose deadline passed while the scheduler was not running
    (it closes them when it starts). Only deadlines after the bot came into use count (the
    first run of its jobs, or its first order if that is older), so that a new installation
    does not record months from before it."""
    since = await jobs_since(session, now)
    first_order = (await session.exec(select(func.min(Order.created_at)))).one()
    if first_order is not None:
        since = min(since, first_order.replace(tzinfo=first_order.tzinfo or UTC))
    current = month_start(now.astimezone(quota.tz).date())
    month = next_month(current, -MAX_CATCH_UP)
    due = []
    while month <= current:
        day = await deadline_day_for(session, month, default=quota.deadline_day)
        cutoff = closing_cutoff(month, day, quota.tz, await deadline_credit(session, month))
        if since < cutoff <= now and await session.get(MonthClosing, month) is None:
            due.append(month)
        month = next_month(month)
    await session.commit()
    return due
