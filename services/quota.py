"""The monthly minimum spend: rules per class, deadlines, and what an ASN has counted so far.

An order counts toward the WIB calendar month in which the merchant confirmed its payment
(`paid_at`); rejected, cancelled, expired and refunded orders never count. Only orders placed as
an ASN count (`counts_for_quota`).

The deadline day is administrators' data too (`app_settings`, a rule per starting month, like
the minimums), falling back to QUOTA_DEADLINE_DAY; a declared outage moves a month's deadline
by its credit days (`outages`). An ASN may be exempt for a range of months.

Purchases outside the catalog (`outside_purchases`) count toward the month of their purchase
date once approved, up to a share of the minimum (`outside_share`, a rule per starting month,
falling back to OUTSIDE_SHARE_PERCENT): spend = paid orders + min(approved outside, share).
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    AppSetting,
    Merchant,
    Order,
    Outage,
    OutsidePurchase,
    QuotaExemption,
    QuotaRule,
    RosterEntry,
    User,
)
from models.db import begin_write
from models.enums import PAID_STATUSES
from services.errors import Refusal, ServiceError
from services.golongan import QUOTA_CLASSES


@dataclass(frozen=True)
class QuotaPolicy:
    tz: ZoneInfo
    default_minimum: int = 500_000
    deadline_day: int = 0  # 0: last day of the month
    outside_share: int = 50  # percent of the minimum purchases outside the catalog may cover


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a WIB calendar month starts and ends (end exclusive)."""
    first = month_start(month)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(nxt, time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def deadline_for(month: date, deadline_day: int, credit_days: int = 0) -> date:
    """The month's deadline: its deadline day, moved by the outage credit (may fall in the
    next month)."""
    last = calendar.monthrange(month.year, month.month)[1]
    day = last if deadline_day <= 0 else min(deadline_day, last)
    return month.replace(day=day) + timedelta(days=credit_days)


def parse_month(text: str) -> date:
    """A month typed as 2026-12 (also 2026/12, 12-2026, 12/2026); refusal: month_invalid."""
    parts = text.strip().replace("/", "-").replace(".", "-").split("-")
    if len(parts) == 2 and all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        first, second = (int(p) for p in parts)
        year, month = (first, second) if first > 12 else (second, first)
        if 2000 <= year <= 2200 and 1 <= month <= 12:
            return date(year, month, 1)
    raise ServiceError(Refusal.MONTH_INVALID, text=text[:20])


def month_code(month: date) -> int:
    """A month as YYYYMM (for callback data)."""
    return month.year * 100 + month.month


def month_from_code(code: int) -> date:
    year, month = divmod(code, 100)
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        raise ServiceError(Refusal.MONTH_INVALID, text=str(code))
    return date(year, month, 1)


def next_month(month: date, months: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def closing_cutoff(month: date, deadline_day: int, tz: ZoneInfo, credit_days: int = 0) -> datetime:
    """The UTC instant the month's deadline day ends (WIB): what is paid later is late."""
    after = deadline_for(month_start(month), deadline_day, credit_days) + timedelta(days=1)
    return datetime.combine(after, time(0), tzinfo=tz).astimezone(UTC)


DEADLINE_SETTING = "quota_deadline_day"
OUTSIDE_SHARE_SETTING = "outside_share"


async def deadline_credit(session: AsyncSession, month: date) -> int:
    """Days the month's deadline moved for declared outages."""
    total = (
        await session.exec(
            select(func.coalesce(func.sum(Outage.credit_days), 0)).where(
                col(Outage.month) == month_start(month)
            )
        )
    ).one()
    return int(total)


async def deadline_rules(session: AsyncSession, key: str = DEADLINE_SETTING) -> dict[date, int]:
    """The deadline day (or another per-month rule, `key`) set by administrators, by first
    month it applies to."""
    row = await session.get(AppSetting, key)
    if row is None:
        return {}
    try:
        raw = json.loads(row.value)
        return {date.fromisoformat(f"{key}-01"): int(day) for key, day in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return {}


async def deadline_day_for(session: AsyncSession, month: date, *, default: int) -> int:
    """The deadline day in force in a month: the latest rule starting on or before it."""
    rules = await deadline_rules(session)
    starts = [start for start in rules if start <= month_start(month)]
    return rules[max(starts)] if starts else default


async def outside_share_for(session: AsyncSession, month: date, *, default: int) -> int:
    """The percent of the minimum outside purchases may cover in a month."""
    rules = await deadline_rules(session, OUTSIDE_SHARE_SETTING)
    starts = [start for start in rules if start <= month_start(month)]
    return rules[max(starts)] if starts else default


async def put_month_rule(session: AsyncSession, key: str, value: int, start: date) -> None:
    """Record a per-month rule (`key`) in the caller's write transaction."""
    rules = await deadline_rules(session, key)
    rules[month_start(start)] = value
    text = json.dumps({f"{m:%Y-%m}": d for m, d in sorted(rules.items())})
    row = await session.get(AppSetting, key) or AppSetting(key=key, value=text)
    row.value = text
    row.updated_at = datetime.now(UTC)
    session.add(row)


async def put_deadline_day(session: AsyncSession, day: int, start: date) -> None:
    """Record a deadline day rule in the caller's write transaction."""
    if not 0 <= day <= 31:
        raise ServiceError(Refusal.DAY_INVALID)
    rules = await deadline_rules(session)
    rules[month_start(start)] = day
    value = json.dumps({f"{m:%Y-%m}": d for m, d in sorted(rules.items())})
    row = await session.get(AppSetting, DEADLINE_SETTING) or AppSetting(
        key=DEADLINE_SETTING, value=value
    )
    row.value = value
    row.updated_at = datetime.now(UTC)
    session.add(row)


async def set_deadline_day(session: AsyncSession, day: int, *, valid_from: date) -> None:
    """The deadline day from a month onward (0: the last day of the month)."""
    if not 0 <= day <= 31:
        raise ServiceError(Refusal.DAY_INVALID)
    await begin_write(session)
    await put_deadline_day(session, day, valid_from)
    await session.commit()


async def exemption_for(session: AsyncSession, nip: str, month: date) -> QuotaExemption | None:
    first = month_start(month)
    query = (
        select(QuotaExemption)
        .where(
            QuotaExemption.nip == nip,
            QuotaExemption.from_month <= first,
            QuotaExemption.to_month >= first,
        )
        .order_by(col(QuotaExemption.to_month).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def minimum_for(
    session: AsyncSession, quota_class: str, month: date, *, default: int
) -> int:
    """The minimum in force for a class in a month: the latest rule starting on or before it."""
    query = (
        select(QuotaRule.amount)
        .where(QuotaRule.quota_class == quota_class, QuotaRule.valid_from <= month_start(month))
        .order_by(col(QuotaRule.valid_from).desc())
        .limit(1)
    )
    amount = (await session.exec(query)).first()
    return default if amount is None else amount


def check_rule(quota_class: str, amount: int) -> str:
    """The class name normalised, or a refusal (unknown_class, amount_invalid)."""
    quota_class = quota_class.strip().upper()
    if quota_class not in QUOTA_CLASSES:
        raise ServiceError(Refusal.UNKNOWN_CLASS, quota_class=quota_class)
    if not 0 <= amount <= 1_000_000_000:
        raise ServiceError(Refusal.AMOUNT_INVALID)
    return quota_class


async def put_rule(session: AsyncSession, quota_class: str, amount: int, start: date) -> QuotaRule:
    """Insert or update a rule in the caller's write transaction (checked with check_rule)."""
    rule = (
        await session.exec(
            select(QuotaRule).where(
                QuotaRule.quota_class == quota_class, QuotaRule.valid_from == start
            )
        )
    ).first()
    if rule is None:
        rule = QuotaRule(quota_class=quota_class, amount=amount, valid_from=start)
    rule.amount = amount
    session.add(rule)
    return rule


async def set_minimum(
    session: AsyncSession, quota_class: str, amount: int, *, valid_from: date
) -> QuotaRule:
    quota_class = check_rule(quota_class, amount)
    await begin_write(session)
    rule = await put_rule(session, quota_class, amount, month_start(valid_from))
    await session.commit()
    return rule


@dataclass(frozen=True)
class CountedOrder:
    id: int
    merchant_name: str
    total: int
    paid_at: datetime


APPROVED = "approved"


def outside_spend(month: date) -> Subquery:
    """Approved outside purchases per NIP dated in the month (uncapped)."""
    first = month_start(month)
    return (
        select(
            col(OutsidePurchase.nip).label("nip"),
            func.sum(OutsidePurchase.amount).label("outside"),
        )
        .where(
            col(OutsidePurchase.status) == APPROVED,
            col(OutsidePurchase.purchase_date) >= first,
            col(OutsidePurchase.purchase_date) < next_month(first),
        )
        .group_by(col(OutsidePurchase.nip))
        .subquery("outside")
    )


def outside_cap(minimum: int, share: int) -> int:
    return minimum * share // 100


def capped_outside(outside: ColumnElement, minimum: Any, share: int) -> ColumnElement:
    """What of `outside` counts: at most `share` percent of `minimum` (integers, in SQL)."""
    cap = (minimum * share) / 100
    return case((outside > cap, cap), else_=outside)


@dataclass(frozen=True)
class OutsideItem:
    id: int
    shop_name: str
    amount: int
    purchase_date: date
    status: str
    reject_reason: str | None


@dataclass(frozen=True)
class QuotaStatus:
    month: date
    quota_class: str
    golongan: str
    minimum: int
    spent: int
    deadline: date
    days_left: int  # 0 on the deadline day itself; negative once it has passed
    orders: list[CountedOrder]
    exemption: QuotaExemption | None = None  # excused from the minimum this month
    outside_approved: int = 0  # approved outside purchases dated this month (uncapped)
    outside_share: int = 50  # percent of the minimum they may cover
    outside: tuple[OutsideItem, ...] = ()  # this month's submissions and any still waiting

    @property
    def outside_cap(self) -> int:
        return outside_cap(self.minimum, self.outside_share)

    @property
    def outside_counted(self) -> int:
        return min(self.outside_approved, self.outside_cap)

    @property
    def orders_spent(self) -> int:
        return self.spent - self.outside_counted

    @property
    def remaining(self) -> int:
        return max(0, self.minimum - self.spent)

    @property
    def met(self) -> bool:
        return self.spent >= self.minimum

    @property
    def ratio(self) -> float:
        return 1.0 if self.minimum <= 0 else min(1.0, self.spent / self.minimum)


async def quota_status(
    session: AsyncSession, user: User, *, now: datetime, policy: QuotaPolicy
) -> QuotaStatus:
    if not user.nip:
        raise ServiceError(Refusal.NOT_ASN)
    roster = await session.get(RosterEntry, user.nip)
    if roster is None:
        raise ServiceError(Refusal.NOT_ASN)
    if not roster.active:
        raise ServiceError(Refusal.INACTIVE, nip=roster.nip)
    today = now.astimezone(policy.tz).date()
    month = month_start(today)
    start, end = month_bounds(month, policy.tz)
    minimum = await minimum_for(session, roster.quota_class, month, default=policy.default_minimum)
    rows = (
        await session.exec(
            select(Order.id, Merchant.name, Order.total, Order.paid_at)
            .join(Merchant, col(Merchant.id) == col(Order.merchant_id))
            .where(
                col(Order.buyer_nip) == user.nip,
                col(Order.counts_for_quota).is_(True),
                col(Order.status).in_(list(PAID_STATUSES)),
                col(Order.paid_at) >= start,
                col(Order.paid_at) < end,
            )
            .order_by(col(Order.paid_at))
        )
    ).all()
    orders = [CountedOrder(*row) for row in rows]
    deadline_day = await deadline_day_for(session, month, default=policy.deadline_day)
    deadline = deadline_for(month, deadline_day, await deadline_credit(session, month))
    share = await outside_share_for(session, month, default=policy.outside_share)
    approved = await outside_approved(session, roster.nip, month)
    return QuotaStatus(
        month=month,
        quota_class=roster.quota_class,
        golongan=roster.golongan,
        minimum=minimum,
        spent=sum(o.total for o in orders) + min(approved, outside_cap(minimum, share)),
        deadline=deadline,
        days_left=(deadline - today).days,
        orders=orders,
        exemption=await exemption_for(session, roster.nip, month),
        outside_approved=approved,
        outside_share=share,
        outside=await _outside_items(session, roster.nip, month),
    )


async def outside_approved(session: AsyncSession, nip: str, month: date) -> int:
    first = month_start(month)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(OutsidePurchase.amount), 0)).where(
                col(OutsidePurchase.nip) == nip,
                col(OutsidePurchase.status) == APPROVED,
                col(OutsidePurchase.purchase_date) >= first,
                col(OutsidePurchase.purchase_date) < next_month(first),
            )
        )
    ).one()
    return int(total)


async def _outside_items(session: AsyncSession, nip: str, month: date) -> tuple[OutsideItem, ...]:
    first = month_start(month)
    rows = (
        await session.exec(
            select(OutsidePurchase)
            .where(
                col(OutsidePurchase.nip) == nip,
                (col(OutsidePurchase.purchase_date) >= first)
                | col(OutsidePurchase.status).in_(["pending", "more_photos"]),
            )
            .order_by(col(OutsidePurchase.created_at))
        )
    ).all()
    return tuple(
        OutsideItem(
            id=r.id or 0,
            shop_name=r.shop_name,
            amount=r.amount,
            purchase_date=r.purchase_date,
            status=r.status,
            reject_reason=r.reject_reason,
        )
        for r in rows
    )


async def spent_in_month(
    session: AsyncSession, nip: str, month: date, *, tz: ZoneInfo, minimum: int, share: int
) -> int:
    """Counted spend of a month: paid orders and approved outside purchases (capped)."""
    orders = await orders_spent(session, nip, month, tz=tz)
    return orders + min(await outside_approved(session, nip, month), outside_cap(minimum, share))


async def orders_spent(session: AsyncSession, nip: str, month: date, *, tz: ZoneInfo) -> int:
    start, end = month_bounds(month, tz)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(Order.total), 0)).where(
                col(Order.buyer_nip) == nip,
                col(Order.counts_for_quota).is_(True),
                col(Order.status).in_(list(PAID_STATUSES)),
                col(Order.paid_at) >= start,
                col(Order.paid_at) < end,
            )
        )
    ).one()
    return int(total)
