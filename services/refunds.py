"""Refunding a paid order: the shop or an administrator gives the money back.

A refunded order no longer counts toward the buyer's minimum. A month already closed keeps its
recorded figures; the refund shows there as an adjustment. Goods not yet handed over (paid or
ready for pickup) go back into stock; shipped or completed ones are gone.

Refusal codes: reason_required, invalid_transition (params: status, action); Forbidden when the
actor is neither a member of the order's shop nor an administrator; NotFound (order_not_found).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Order, OrderEvent, OrderItem, OrderStatus, Product, User
from models.db import write_transaction
from models.tables import utcnow
from services.admins import audit
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.orders import SHOP, STEPS, TRANSITIONS, parties_for, parties_of
from services.roles import Roles

REFUNDABLE = frozenset(source for action, source, _to, _who in STEPS if action == "refund")
STILL_AT_THE_SHOP = frozenset({OrderStatus.PAID, OrderStatus.READY})


@dataclass(frozen=True)
class RefundResult:
    order: Order
    changed: bool  # False: it was already refunded (a repeated tap)
    by_admin: bool


async def can_refund(session: AsyncSession, order: Order, actor: User, roles: Roles) -> bool:
    """Whether `actor` may refund this order at all (its shop, or an administrator)."""
    return bool(await parties_for(session, order, actor, roles) & parties_of("refund"))


async def refund(
    session: AsyncSession,
    order_id: int,
    *,
    actor: User,
    roles: Roles,
    reason: str | None,
    now: datetime | None = None,
) -> RefundResult:
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        order = await session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        assert order.id is not None  # read from the database
        mine = await parties_for(session, order, actor, roles)
        if not mine & parties_of("refund"):
            raise Forbidden()
        by_admin = not mine & SHOP
        if order.status == OrderStatus.REFUNDED:
            return RefundResult(order, changed=False, by_admin=by_admin)
        step = TRANSITIONS.get(("refund", OrderStatus(order.status)))
        if step is None or not mine & step[1]:
            raise ServiceError(Refusal.INVALID_TRANSITION, status=order.status, action="refund")
        now = now or utcnow()
        previous = order.status
        order.status = OrderStatus.REFUNDED
        order.refunded_at = now
        if previous in STILL_AT_THE_SHOP:
            await _restock(session, order.id, now)
        session.add(order)
        session.add(
            OrderEvent(
                order_id=order.id,
                from_status=previous,
                to_status=OrderStatus.REFUNDED,
                actor_user_id=actor.id,
                note=reason,
                at=now,
            )
        )
        audit(
            session,
            actor.telegram_id,
            "refund_order",
            order_id=order.id,
            total=order.total,
            buyer_nip=order.buyer_nip,
            paid_at=order.paid_at,
            reason=reason,
            by="admin" if by_admin else "merchant",
        )
    return RefundResult(order, changed=True, by_admin=by_admin)


async def _restock(session: AsyncSession, order_id: int, now: datetime) -> None:
    items = (await session.exec(select(OrderItem).where(OrderItem.order_id == order_id))).all()
    for item in items:
        if item.product_id is not None:
            await session.exec(
                update(Product)
                .where(col(Product.id) == item.product_id)
                .values(stock=Product.stock + item.quantity, updated_at=now)
                .execution_options(synchronize_session=False)
            )
