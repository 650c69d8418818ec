"""The monthly minimum spend: rules per class, deadlines, and what an ASN has counted so far.

An order counts toward the WIB calendar month in which the merchant confirmed its payment
(`paid_at`); rejected, cancelled and expired orders never count. Only orders placed as an ASN
count (`counts_for_quota`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, Order, QuotaRule, RosterEntry, User
from models.db import begin_write
from models.enums import PAID_STATUSES
from services.errors import ServiceError
from services.golongan import QUOTA_CLASSES


@dataclass(frozen=True)
class QuotaPolicy:
    tz: ZoneInfo
    default_minimum: int = 500_000
    deadline_day: int = 0  # 0: last day of the month


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a WIB calendar month starts and ends (end exclusive)."""
    first = month_start(month)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(nxt, time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def deadline_for(month: date, deadline_day: int) -> date:
    last = calendar.monthrange(month.year, month.month)[1]
    day = last if deadline_day <= 0 else min(deadline_day, last)
    return month.replace(day=day)


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


async def set_minimum(
    session: AsyncSession, quota_class: str, amount: int, *, valid_from: date
) -> QuotaRule:
    quota_class = quota_class.strip().upper()
    if quota_class not in QUOTA_CLASSES:
        raise ServiceError("unknown_class", quota_class=quota_class)
    if not 0 <= amount <= 1_000_000_000:
        raise ServiceError("amount_invalid")
    start = month_start(valid_from)
    await begin_write(session)
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
    await session.commit()
    return rule


@dataclass(frozen=True)
class CountedOrder:
    id: int
    merchant_name: str
    total: int
    paid_at: datetime


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
        raise ServiceError("not_asn")
    roster = await session.get(RosterEntry, user.nip)
    if roster is None:
        raise ServiceError("not_asn")
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
    deadline = deadline_for(month, policy.deadline_day)
    return QuotaStatus(
        month=month,
        quota_class=roster.quota_class,
        golongan=roster.golongan,
        minimum=minimum,
        spent=sum(o.total for o in orders),
        deadline=deadline,
        days_left=(deadline - today).days,
        orders=orders,
    )


async def spent_in_month(session: AsyncSession, nip: str, month: date, *, tz: ZoneInfo) -> int:
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
