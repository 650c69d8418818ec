"""Orders that never stall: nudge slow shops, expire unanswered orders, remind unpaid buyers,
complete delivered orders nobody confirmed.

Each function claims its orders atomically (the marker column or the status change is written
in the same transaction that selects them), so a second scheduler process or a re-run never
acts on an order twice. They return what the caller must tell people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Order, OrderStatus
from models.db import write_transaction
from services.errors import ServiceError
from services.orders import system_step

BATCH = 500


@dataclass(frozen=True)
class HygienePolicy:
    nudge_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(hours=48)
    remind_payment_after: timedelta = timedelta(days=3)
    autocomplete_after: timedelta = timedelta(days=7)


async def _claim(
    session: AsyncSession,
    marker: str,
    status: OrderStatus,
    since_column: str,
    before: datetime,
    now: datetime,
) -> list[Order]:
    """Set `marker` to now on orders in `status` older than `before` that lack it; return them."""
    marker_col = getattr(Order, marker)
    since = getattr(Order, since_column)
    async with write_transaction(session):
        ids = (
            await session.exec(
                select(Order.id)
                .where(col(Order.status) == status, col(since) < before, col(marker_col).is_(None))
                .order_by(col(Order.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not ids:
            return []
        await session.exec(
            update(Order)
            .where(col(Order.id).in_(ids), col(marker_col).is_(None))
            .values({marker: now})
            .execution_options(synchronize_session=False)
        )
    rows = await session.exec(
        select(Order).where(col(Order.id).in_(ids)).execution_options(populate_existing=True)
    )
    return list(rows.all())


async def nudge_slow_merchants(
    session: AsyncSession, *, now: datetime, policy: HygienePolicy
) -> list[Order]:
    """Pending orders older than `nudge_after`, not nudged yet: the shop gets one reminder."""
    return await _claim(
        session,
        "merchant_nudged_at",
        OrderStatus.PENDING,
        "created_at",
        now - policy.nudge_after,
        now,
    )


async def remind_unpaid(
    session: AsyncSession, *, now: datetime, policy: HygienePolicy
) -> list[Order]:
    """Accepted orders unpaid after `remind_payment_after`: the buyer gets one reminder."""
    return await _claim(
        session,
        "payment_reminded_at",
        OrderStatus.ACCEPTED,
        "accepted_at",
        now - policy.remind_payment_after,
        now,
    )


async def _step_all(
    session: AsyncSession,
    status: OrderStatus,
    since_column: str,
    before: datetime,
    action: str,
    now: datetime,
) -> list[Order]:
    since = getattr(Order, since_column)
    ids = (
        await session.exec(
            select(Order.id)
            .where(col(Order.status) == status, col(since) < before)
            .order_by(col(Order.id))
            .limit(BATCH)
        )
    ).all()
    await session.commit()
    done = []
    for order_id in ids:
        assert order_id is not None  # a primary key
        try:
            result = await system_step(session, order_id, action, now=now)
        except ServiceError:
            continue  # someone moved it meanwhile (accepted at the last minute): leave it
        if result.changed:
            done.append(result.order)
    return done


async def expire_unanswered(
    session: AsyncSession, *, now: datetime, policy: HygienePolicy
) -> list[Order]:
    """Pending orders older than `expire_after` expire; their stock is released."""
    return await _step_all(
        session, OrderStatus.PENDING, "created_at", now - policy.expire_after, "expire", now
    )


async def autocomplete_delivered(
    session: AsyncSession, *, now: datetime, policy: HygienePolicy
) -> list[Order]:
    """Ready or shipped orders the buyer never confirmed complete after `autocomplete_after`."""
    before = now - policy.autocomplete_after
    done = await _step_all(session, OrderStatus.READY, "fulfilled_at", before, "autocomplete", now)
    done += await _step_all(
        session, OrderStatus.SHIPPED, "fulfilled_at", before, "autocomplete", now
    )
    return done
