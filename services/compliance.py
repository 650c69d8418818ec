"""Compliance with the monthly minimum: what administrators set, and what each month recorded.

- Rules: the minimum per class and the deadline day change from a chosen month onward (never
  for a past month: past months keep the rule they had). Administrators only; audited.
- Exemptions: an ASN excused for a range of months (leave, study assignment, new appointment)
  counts in no compliance figure and gets no reminder.
- Closing: once a month's deadline day is over, each active ASN's counted spend (payments
  confirmed up to the end of the deadline day), minimum, exemption and compliance are recorded
  in `month_results`. Later changes (a refund, a late payment confirmation) never rewrite that
  record; reports show them as adjustments. Closing again is a no-op, unless an administrator
  asks for a re-run, which records the month anew.
- Figures per ASN come from one SQL query (`asn_figures`) that reports and closing share.

Refusal codes: forbidden (Forbidden), unknown_class, amount_invalid, day_invalid,
month_in_past (params: month), month_range_invalid, reason_required, not_in_roster (params: nip),
exemption_not_found (NotFound), month_not_over (params: month, deadline), not_asn, inactive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Exists,
    Subquery,
    and_,
    case,
    cast,
    delete,
    exists,
    insert,
    literal,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from models import (
    BuyerKind,
    MonthClosing,
    MonthResult,
    Order,
    QuotaExemption,
    QuotaRule,
    QuotaSpendMonth,
    RosterEntry,
    User,
)
from models.db import select_columns, write_transaction
from models.enums import PAID_STATUSES
from models.rollups import rollup_bounds, rollups_serve
from services.admins import audit
from services.errors import NotFound, Refusal, ServiceError
from services.golongan import QUOTA_CLASSES
from services.quota import (
    OUTSIDE_SHARE_SETTING,
    QuotaPolicy,
    capped_outside,
    check_rule,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    deadline_for,
    deadline_rules,
    exemption_for,
    minimum_for,
    month_bounds,
    month_start,
    next_month,
    outside_share_for,
    outside_spend,
    put_deadline_day,
    put_month_rule,
    put_rule,
    quota_status,
    spent_in_month,
)
from services.roles import Roles

MAX_EXEMPTION_MONTHS = 60
# Reasons offered as buttons; stored as these codes and shown translated. Anything else typed
# by an administrator is stored and shown as typed.
EXEMPTION_REASONS = ("leave", "study", "new_appointment")


def current_month(now: datetime, policy: QuotaPolicy) -> date:
    return month_start(now.astimezone(policy.tz).date())


# --- figures per ASN (shared by reports and closing) ----------------------------------------


async def minimums_in(session: AsyncSession, month: date, *, default: int) -> dict[str, int]:
    return {cls: await minimum_for(session, cls, month, default=default) for cls in QUOTA_CLASSES}


def _counted_paid(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The orders that count for a quota, paid in [start, end) and not refunded since."""
    return [
        col(Order.counts_for_quota).is_(True),
        col(Order.status).in_(list(PAID_STATUSES)),
        col(Order.paid_at) >= start,
        col(Order.paid_at) < end,
        col(Order.buyer_nip).is_not(None),
    ]


def paid_spend(start: datetime, end: datetime) -> Subquery:
    """Counted spend per NIP of the orders paid in [start, end), as they are now."""
    return (
        select(col(Order.buyer_nip).label("nip"), func.sum(Order.total).label("spent"))
        .where(*_counted_paid(start, end))
        .group_by(col(Order.buyer_nip))
        .subquery("spend")
    )


def counted_spend(month: date, start: datetime, end: datetime, *, rollup: bool) -> Subquery:
    """Counted spend per NIP of the orders paid in [start, end), as they are now.

    With `rollup` (the caller's time zone is the rollups', `models.rollups.rollups_serve`) and
    `start` the month's first instant, it is read from the month's rollup; an `end` other than
    the month's (a deadline day before its last, or one moved into the next month) is
    corrected with the orders paid between the two, a range of days. Otherwise from the
    orders (`paid_spend`)."""
    first = month_start(month)
    month_first, month_end = rollup_bounds(first)
    if not rollup or start != month_first:
        return paid_spend(start, end)
    recorded = select_columns(
        col(QuotaSpendMonth.nip).label("nip"), col(QuotaSpendMonth.spent).label("spent")
    ).where(col(QuotaSpendMonth.month) == first)
    if end == month_end:
        return recorded.subquery("spend")
    low, high, sign = (end, month_end, -1) if end < month_end else (month_end, end, 1)
    between = (
        select_columns(
            col(Order.buyer_nip).label("nip"), (sign * func.sum(Order.total)).label("spent")
        )
        .where(*_counted_paid(low, high))
        .group_by(col(Order.buyer_nip))
    )
    parts = union_all(recorded, between).subquery("parts")
    return (
        select(parts.c.nip.label("nip"), cast(func.sum(parts.c.spent), BigInteger).label("spent"))
        .group_by(parts.c.nip)
        .subquery("spend")
    )


def _registered(nip_column: Mapped[str]) -> Exists:
    return exists().where(col(User.nip) == nip_column, col(User.kind) == BuyerKind.ASN)


def live_asn_query(
    month: date,
    minimums: dict[str, int],
    *,
    default: int,
    start: datetime,
    end: datetime,
    share: int,
    opd: str | None = None,
    rollup: bool = False,
) -> Select:
    """Each active ASN of the roster with the month's minimum, counted spend and status.

    Counted spend: orders paid in [start, end) and approved outside purchases dated in the
    month, these up to `share` percent of the minimum. `rollup`: the orders' part may be read
    from the monthly rollup (`counted_spend`).

    Columns: nip, name, opd, quota_class, golongan, minimum, spent, exempt, compliant,
    registered (the last three as booleans).
    """
    first = month_start(month)
    spend = counted_spend(first, start, end, rollup=rollup)
    outside = outside_spend(first)
    minimum = case(minimums, value=col(RosterEntry.quota_class), else_=default)
    spent = func.coalesce(spend.c.spent, 0) + capped_outside(
        func.coalesce(outside.c.outside, 0), minimum, share
    )
    # Joined rather than asked row by row (EXISTS): one hash join instead of an index probe
    # per ASN, which counts at 100,000 ASN (bench/scale.py).
    exemptions = (
        select(col(QuotaExemption.nip).label("nip"))
        .where(col(QuotaExemption.from_month) <= first, col(QuotaExemption.to_month) >= first)
        .distinct()
        .subquery("exempted")
    )
    accounts = (
        select(col(User.nip).label("nip"))
        .where(col(User.kind) == BuyerKind.ASN, col(User.nip).is_not(None))
        .subquery("accounts")
    )
    exempt = exemptions.c.nip.is_not(None)
    query = (
        select_columns(
            col(RosterEntry.nip).label("nip"),
            col(RosterEntry.name).label("name"),
            col(RosterEntry.opd).label("opd"),
            col(RosterEntry.quota_class).label("quota_class"),
            col(RosterEntry.golongan).label("golongan"),
            minimum.label("minimum"),
            spent.label("spent"),
            exempt.label("exempt"),
            and_(~exempt, spent >= minimum).label("compliant"),
            accounts.c.nip.is_not(None).label("registered"),
        )
        .select_from(RosterEntry)
        .outerjoin(spend, spend.c.nip == col(RosterEntry.nip))
        .outerjoin(outside, outside.c.nip == col(RosterEntry.nip))
        .outerjoin(exemptions, exemptions.c.nip == col(RosterEntry.nip))
        .outerjoin(accounts, accounts.c.nip == col(RosterEntry.nip))
        .where(col(RosterEntry.active).is_(True))
    )
    if opd is not None:
        query = query.where(col(RosterEntry.opd) == opd)
    return query


def closed_asn_query(month: date, *, opd: str | None = None) -> Select:
    """The recorded results of a closed month, with the same columns as `live_asn_query`."""
    query = (
        select_columns(
            col(MonthResult.nip).label("nip"),
            func.coalesce(col(RosterEntry.name), "").label("name"),
            col(MonthResult.opd).label("opd"),
            col(MonthResult.quota_class).label("quota_class"),
            func.coalesce(col(RosterEntry.golongan), "").label("golongan"),
            col(MonthResult.minimum).label("minimum"),
            col(MonthResult.spent).label("spent"),
            col(MonthResult.exempt).label("exempt"),
            col(MonthResult.compliant).label("compliant"),
            _registered(col(MonthResult.nip)).label("registered"),
        )
        .select_from(MonthResult)
        .outerjoin(RosterEntry, col(RosterEntry.nip) == col(MonthResult.nip))
        .where(col(MonthResult.month) == month_start(month))
    )
    if opd is not None:
        query = query.where(col(MonthResult.opd) == opd)
    return query


async def asn_query(
    session: AsyncSession, month: date, *, policy: QuotaPolicy, opd: str | None = None
) -> tuple[Select, MonthClosing | None]:
    """Figures per ASN for a month: the recorded ones once closed, else live (so far)."""
    month = month_start(month)
    closing = await session.get(MonthClosing, month)
    if closing is not None:
        return closed_asn_query(month, opd=opd), closing
    start, end = month_bounds(month, policy.tz)
    minimums = await minimums_in(session, month, default=policy.default_minimum)
    share = await outside_share_for(session, month, default=policy.outside_share)
    query = live_asn_query(
        month,
        minimums,
        default=policy.default_minimum,
        start=start,
        end=end,
        share=share,
        opd=opd,
        rollup=rollups_serve(policy.tz, month),
    )
    return query, None


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassRule:
    quota_class: str
    minimum: int  # in force this month
    upcoming: list[tuple[date, int]]  # (from month, amount), later changes


@dataclass(frozen=True)
class RulesOverview:
    month: date
    classes: list[ClassRule]
    deadline_day: int  # 0: last day of the month
    deadline: date
    upcoming_deadlines: list[tuple[date, int]]
    exempt_count: int  # ASN exempt this month
    outside_share: int = 50  # percent of the minimum outside purchases may cover this month


async def rules_overview(
    session: AsyncSession,
    *,
    actor: Roles,
    now: datetime,
    policy: QuotaPolicy,
) -> RulesOverview:
    actor.require_admin()
    month = current_month(now, policy)
    classes = []
    for cls in QUOTA_CLASSES:
        upcoming = (
            await session.exec(
                select(col(QuotaRule.valid_from), col(QuotaRule.amount))
                .where(QuotaRule.quota_class == cls, QuotaRule.valid_from > month)
                .order_by(col(QuotaRule.valid_from))
            )
        ).all()
        minimum = await minimum_for(session, cls, month, default=policy.default_minimum)
        classes.append(
            ClassRule(cls, minimum, [(valid_from, amount) for valid_from, amount in upcoming])
        )
    day = await deadline_day_for(session, month, default=policy.deadline_day)
    credit = await deadline_credit(session, month)
    later = sorted((m, d) for m, d in (await deadline_rules(session)).items() if m > month)
    exempt_count = (
        await session.exec(
            select(func.count())
            .select_from(QuotaExemption)
            .join(RosterEntry, col(RosterEntry.nip) == col(QuotaExemption.nip))
            .where(
                col(QuotaExemption.from_month) <= month,
                col(QuotaExemption.to_month) >= month,
                col(RosterEntry.active).is_(True),
            )
        )
    ).one()
    share = await outside_share_for(session, month, default=policy.outside_share)
    return RulesOverview(
        month, classes, day, deadline_for(month, day, credit), later, int(exempt_count), share
    )


def _not_past(valid_from: date, now: datetime, policy: QuotaPolicy) -> date:
    first = month_start(valid_from)
    if first < current_month(now, policy):
        raise ServiceError(Refusal.MONTH_IN_PAST, month=first)
    return first


async def change_minimum(
    session: AsyncSession,
    *,
    actor: Roles,
    quota_class: str,
    amount: int,
    valid_from: date,
    now: datetime,
    policy: QuotaPolicy,
) -> QuotaRule:
    """A class's minimum from `valid_from` (this month or later) onward."""
    actor.require_admin()
    quota_class = check_rule(quota_class, amount)
    first = _not_past(valid_from, now, policy)
    async with write_transaction(session):
        before = await minimum_for(session, quota_class, first, default=policy.default_minimum)
        rule = await put_rule(session, quota_class, amount, first)
        audit(
            session,
            actor.telegram_id,
            "set_minimum",
            quota_class=quota_class,
            amount=amount,
            valid_from=first,
            before=before,
        )
    return rule


async def change_deadline_day(
    session: AsyncSession,
    *,
    actor: Roles,
    day: int,
    valid_from: date,
    now: datetime,
    policy: QuotaPolicy,
) -> None:
    """The deadline day (1-31, 0 = last day of the month) from `valid_from` onward."""
    actor.require_admin()
    if not 0 <= day <= 31:
        raise ServiceError(Refusal.DAY_INVALID)
    first = _not_past(valid_from, now, policy)
    async with write_transaction(session):
        await put_deadline_day(session, day, first)
        audit(session, actor.telegram_id, "set_deadline_day", day=day, valid_from=first)


async def change_outside_share(
    session: AsyncSession,
    *,
    actor: Roles,
    percent: int,
    valid_from: date,
    now: datetime,
    policy: QuotaPolicy,
) -> None:
    """The share of the minimum purchases outside the catalog may cover, from a month on."""
    actor.require_admin()
    if not 0 <= percent <= 100:
        raise ServiceError(Refusal.AMOUNT_INVALID)
    first = _not_past(valid_from, now, policy)
    async with write_transaction(session):
        await put_month_rule(session, OUTSIDE_SHARE_SETTING, percent, first)
        audit(session, actor.telegram_id, "set_outside_share", percent=percent, valid_from=first)


# --- exemptions --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExemptionRow:
    id: int
    nip: str
    name: str
    opd: str
    from_month: date
    to_month: date
    reason: str


async def find_asn(session: AsyncSession, nip: str) -> RosterEntry:
    entry = await session.get(RosterEntry, nip.strip())
    if entry is None:
        raise ServiceError(Refusal.NOT_IN_ROSTER, nip=nip.strip())
    return entry


async def add_exemption(
    session: AsyncSession,
    *,
    actor: Roles,
    nip: str,
    from_month: date,
    to_month: date,
    reason: str,
) -> QuotaExemption:
    actor.require_admin()
    entry = await find_asn(session, nip)
    first, last = month_start(from_month), month_start(to_month)
    if last < first or next_month(first, MAX_EXEMPTION_MONTHS) <= last:
        raise ServiceError(Refusal.MONTH_RANGE_INVALID)
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        exemption = QuotaExemption(
            nip=entry.nip,
            from_month=first,
            to_month=last,
            reason=reason,
            created_by=actor.telegram_id,
        )
        session.add(exemption)
        await session.flush()
        audit(
            session,
            actor.telegram_id,
            "add_exemption",
            id=exemption.id,
            nip=entry.nip,
            from_month=first,
            to_month=last,
            reason=reason,
        )
    return exemption


async def remove_exemption(
    session: AsyncSession, *, actor: Roles, exemption_id: int
) -> QuotaExemption:
    actor.require_admin()
    async with write_transaction(session):
        exemption = await session.get(QuotaExemption, exemption_id)
        if exemption is None:
            raise NotFound(Refusal.EXEMPTION_NOT_FOUND)
        await session.delete(exemption)
        audit(
            session,
            actor.telegram_id,
            "remove_exemption",
            id=exemption_id,
            nip=exemption.nip,
            from_month=exemption.from_month,
            to_month=exemption.to_month,
        )
    return exemption


async def list_exemptions(
    session: AsyncSession,
    *,
    actor: Roles,
    now: datetime,
    policy: QuotaPolicy,
    page: int = 0,
    page_size: int = 8,
) -> tuple[list[ExemptionRow], int]:
    """Exemptions in force this month or later (ended ones are history), a page at a time."""
    actor.require_admin()
    month = current_month(now, policy)
    where = col(QuotaExemption.to_month) >= month
    total = (
        await session.exec(select(func.count()).select_from(QuotaExemption).where(where))
    ).one()
    rows = (
        await session.exec(
            select_columns(
                QuotaExemption.id,
                QuotaExemption.nip,
                func.coalesce(col(RosterEntry.name), ""),
                func.coalesce(col(RosterEntry.opd), ""),
                QuotaExemption.from_month,
                QuotaExemption.to_month,
                QuotaExemption.reason,
            )
            .outerjoin(RosterEntry, col(RosterEntry.nip) == col(QuotaExemption.nip))
            .where(where)
            .order_by(col(QuotaExemption.from_month), col(QuotaExemption.id))
            .offset(max(page, 0) * page_size)
            .limit(page_size)
        )
    ).all()
    return [ExemptionRow(*row) for row in rows], int(total)


# --- closing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingResult:
    month: date
    closed_at: datetime
    created: bool  # False: the month was already closed and nothing was recorded anew
    asn: int
    compliant: int
    exempt: int


async def _closing_result(
    session: AsyncSession, closing: MonthClosing, created: bool
) -> ClosingResult:
    count, compliant, exempt = (
        await session.exec(
            select(
                func.count(),
                func.coalesce(func.sum(case((col(MonthResult.compliant), 1), else_=0)), 0),
                func.coalesce(func.sum(case((col(MonthResult.exempt), 1), else_=0)), 0),
            ).where(col(MonthResult.month) == closing.month)
        )
    ).one()
    return ClosingResult(
        closing.month, closing.closed_at, created, int(count), int(compliant), int(exempt)
    )


async def _cutoff_passed(
    session: AsyncSession, month: date, *, policy: QuotaPolicy, now: datetime
) -> datetime:
    """The moment the month's deadline day is over; refuses if `now` is before it."""
    deadline_day = await deadline_day_for(session, month, default=policy.deadline_day)
    credit = await deadline_credit(session, month)
    cutoff = closing_cutoff(month, deadline_day, policy.tz, credit)
    if now < cutoff:
        raise ServiceError(
            Refusal.MONTH_NOT_OVER,
            month=month,
            deadline=deadline_for(month, deadline_day, credit),
        )
    return cutoff


async def _insert_results(session: AsyncSession, month: date, figures: Subquery) -> None:
    """One `month_results` row per ASN of `figures` (the live figures, as a subquery)."""
    await session.exec(
        insert(MonthResult).from_select(
            [
                "month",
                "nip",
                "opd",
                "quota_class",
                "minimum",
                "spent",
                "compliant",
                "exempt",
            ],
            select_columns(
                literal(month, Date),
                figures.c.nip,
                figures.c.opd,
                figures.c.quota_class,
                figures.c.minimum,
                figures.c.spent,
                figures.c.compliant,
                figures.c.exempt,
            ),
        )
    )


async def _record_month(
    session: AsyncSession,
    month: date,
    closing: MonthClosing | None,
    figures: Subquery,
    *,
    now: datetime,
    actor: Roles,
) -> MonthClosing:
    """Record the month's closing and results anew (`closing`: the one recorded before)."""
    if closing is None:
        # Inserted first: a concurrent closing of the same month waits on it and
        # then fails on the primary key instead of recording twice.
        closing = MonthClosing(month=month, closed_at=now, closed_by=None)
        session.add(closing)
        await session.flush()
    else:
        await session.exec(delete(MonthResult).where(col(MonthResult.month) == month))
    closing.closed_at = now
    closing.closed_by = actor.telegram_id
    session.add(closing)
    await _insert_results(session, month, figures)
    return closing


async def close_month(
    session: AsyncSession,
    month: date,
    *,
    policy: QuotaPolicy,
    now: datetime,
    actor: Roles | None = None,
    rerun: bool = False,
) -> ClosingResult:
    """Record the month's result for every active ASN, once its deadline day is over.

    Idempotent: a month already closed is left as it was (`created` False), unless `rerun`,
    which records it anew from the orders as they are now. `actor` None is the system (the
    scheduler, or the command line on the server); anyone else must be an administrator.
    """
    actor = actor or Roles.system()
    if not actor.is_system:
        actor.require_admin()
    month = month_start(month)
    cutoff = await _cutoff_passed(session, month, policy=policy, now=now)
    existing = await session.get(MonthClosing, month)
    if existing is not None and not rerun:
        result = await _closing_result(session, existing, created=False)
        await session.commit()
        return result
    start, _end = month_bounds(month, policy.tz)
    minimums = await minimums_in(session, month, default=policy.default_minimum)
    share = await outside_share_for(session, month, default=policy.outside_share)
    figures = live_asn_query(
        month,
        minimums,
        default=policy.default_minimum,
        start=start,
        end=cutoff,
        share=share,
        rollup=rollups_serve(policy.tz, month),
    ).subquery("figures")
    try:
        async with write_transaction(session):
            closing = await session.get(MonthClosing, month, with_for_update=True)
            if closing is not None and not rerun:
                created = False
            else:
                closing = await _record_month(
                    session, month, closing, figures, now=now, actor=actor
                )
                created = True
                audit(
                    session,
                    actor.telegram_id,
                    "reclose_month" if existing is not None else "close_month",
                    month=month,
                    cutoff=cutoff,
                )
    except IntegrityError:
        # Someone else closed it at the same moment: theirs stands.
        closing = await session.get(MonthClosing, month, populate_existing=True)
        if closing is None:
            raise
        created = False
    result = await _closing_result(session, closing, created=created)
    await session.commit()
    return result


async def closed_months(session: AsyncSession) -> list[MonthClosing]:
    rows = await session.exec(select(MonthClosing).order_by(col(MonthClosing.month).desc()))
    return list(rows.all())


# --- an ASN's own history ----------------------------------------------------------------


@dataclass(frozen=True)
class HistoryMonth:
    month: date
    spent: int
    minimum: int
    exempt: bool
    compliant: bool
    closed: bool  # False: the month is still open (figures so far)


async def quota_history(
    session: AsyncSession, user: User, *, now: datetime, policy: QuotaPolicy, months: int = 6
) -> list[HistoryMonth]:
    """The ASN's last `months` months, newest first: each closed month as it was recorded, each
    open one (this month, or one whose deadline is not over yet) as it stands so far. Months
    before the account registered, and closed months that did not include them, are left out."""
    status = await quota_status(session, user, now=now, policy=policy)
    assert user.nip is not None  # quota_status refused an account without a roster entry
    roster = await session.get(RosterEntry, user.nip)
    assert roster is not None
    recorded = {
        r.month: r
        for r in (
            await session.exec(
                select(MonthResult).where(
                    MonthResult.nip == user.nip,
                    col(MonthResult.month) > next_month(status.month, -months),
                )
            )
        ).all()
    }
    closed = set(
        (
            await session.exec(
                select(col(MonthClosing.month)).where(
                    col(MonthClosing.month) > next_month(status.month, -months)
                )
            )
        ).all()
    )
    first_order = (
        await session.exec(select(func.min(Order.created_at)).where(Order.buyer_nip == user.nip))
    ).one()
    since = min(t for t in (user.registered_at, user.created_at, first_order, now) if t)
    first = month_start(since.astimezone(policy.tz).date())
    history = []
    for back in range(months):
        month = next_month(status.month, -back)
        if month in recorded:
            r = recorded[month]
            history.append(
                HistoryMonth(r.month, r.spent, r.minimum, r.exempt, r.compliant, closed=True)
            )
        elif month in closed or month < first:
            continue  # closed without them, or before they registered
        elif month == status.month:
            exempt = status.exemption is not None
            history.append(
                HistoryMonth(
                    month,
                    status.spent,
                    status.minimum,
                    exempt,
                    status.met and not exempt,
                    closed=False,
                )  # fmt: skip
            )
        else:
            minimum = await minimum_for(
                session, roster.quota_class, month, default=policy.default_minimum
            )
            share = await outside_share_for(session, month, default=policy.outside_share)
            spent = await spent_in_month(
                session, user.nip, month, tz=policy.tz, minimum=minimum, share=share
            )
            was_exempt = await exemption_for(session, user.nip, month) is not None
            history.append(
                HistoryMonth(
                    month,
                    spent,
                    minimum,
                    was_exempt,
                    spent >= minimum and not was_exempt,
                    closed=False,
                )  # fmt: skip
            )
    return history


# --- for reminders -----------------------------------------------------------------------


@dataclass(frozen=True)
class BehindRow:
    user_id: int
    telegram_id: int
    nip: str
    minimum: int
    spent: int

    @property
    def remaining(self) -> int:
        return max(0, self.minimum - self.spent)


async def behind_minimum(
    session: AsyncSession, month: date, *, policy: QuotaPolicy
) -> list[BehindRow]:
    """Registered, active, non-exempt ASN below the month's minimum so far (for reminders)."""
    month = month_start(month)
    start, end = month_bounds(month, policy.tz)
    minimums = await minimums_in(session, month, default=policy.default_minimum)
    share = await outside_share_for(session, month, default=policy.outside_share)
    figures = live_asn_query(
        month,
        minimums,
        default=policy.default_minimum,
        start=start,
        end=end,
        share=share,
        rollup=rollups_serve(policy.tz, month),
    ).subquery("figures")
    rows = (
        await session.exec(
            select_columns(
                User.id, User.telegram_id, figures.c.nip, figures.c.minimum, figures.c.spent
            )
            .join(figures, figures.c.nip == col(User.nip))
            .where(
                col(User.kind) == BuyerKind.ASN,
                col(User.unreachable).is_not(True),
                ~figures.c.exempt,
                figures.c.spent < figures.c.minimum,
            )
            .order_by(figures.c.nip)
        )
    ).all()
    return [BehindRow(*row) for row in rows]
