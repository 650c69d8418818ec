"""Outage credit: an administrator declares that the service was unavailable between two
times. The deadline of each month whose open period the outage touched (not closed yet) moves
by the outage's length rounded up to whole days, or by OUTAGE_CREDIT_DAYS when that is set; the
reminder slots move with it (services.deadlines). Audited; everyone is told by the caller.

Refusal codes: forbidden (Forbidden), outage_invalid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from models import MonthClosing, Outage
from models.db import write_transaction
from services.admins import audit
from services.errors import Refusal, ServiceError
from services.quota import (
    QuotaPolicy,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    deadline_for,
    month_bounds,
    month_start,
    next_month,
)
from services.roles import Roles

MAX_OUTAGE = timedelta(days=31)


@dataclass(frozen=True)
class Credit:
    month: date
    days: int
    deadline: date  # the month's deadline now


def credit_days(starts_at: datetime, ends_at: datetime, setting: int) -> int:
    if setting > 0:
        return setting
    return max(1, math.ceil((ends_at - starts_at) / timedelta(days=1)))


async def declare(
    session: AsyncSession,
    *,
    actor: Roles,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    policy: QuotaPolicy,
    setting_days: int = 0,
) -> list[Credit]:
    """Record the outage; returns the months whose deadline moved, and where to."""
    actor.require_admin()
    if not starts_at < ends_at <= now or ends_at - starts_at > MAX_OUTAGE:
        raise ServiceError(Refusal.OUTAGE_INVALID)
    days = credit_days(starts_at, ends_at, setting_days)
    current = month_start(now.astimezone(policy.tz).date())
    credits = []
    async with write_transaction(session):
        for month in (next_month(current, -1), current):
            begins, _end = month_bounds(month, policy.tz)
            day = await deadline_day_for(session, month, default=policy.deadline_day)
            credit = await deadline_credit(session, month)
            cutoff = closing_cutoff(month, day, policy.tz, credit)
            open_ = await session.get(MonthClosing, month) is None
            if not (open_ and starts_at < cutoff and ends_at > begins):
                continue
            session.add(
                Outage(
                    month=month,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    credit_days=days,
                    declared_by=actor.telegram_id,
                    created_at=now,
                )
            )
            credits.append(Credit(month, days, deadline_for(month, day, credit + days)))
        if not credits:
            raise ServiceError(Refusal.OUTAGE_INVALID)
        audit(
            session,
            actor.telegram_id,
            "declare_outage",
            starts_at=starts_at,
            ends_at=ends_at,
            days=days,
            months=[c.month for c in credits],
        )
    return credits
