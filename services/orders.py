"""Checkout and the order lifecycle.

Checkout turns the cart into one order per merchant in one transaction, reserving stock.
It is idempotent per `checkout key` (a digest of the cart shown in the summary), so a
double-tapped "confirm" creates the orders once.

Lifecycle (who may do what):
    pending  --accept (merchant)-->  accepted  --pay (merchant)-->  paid
    paid  --ready / ship (merchant)-->  ready | shipped  --complete (merchant) / receive (buyer)-->
    completed;  pending|accepted --reject (merchant, reason)--> rejected;
    pending --cancel (buyer)--> cancelled.  Rejecting or cancelling releases the reserved stock.

Refusal codes: not_registered, cart_empty, cart_changed, product_unavailable (params: name),
qris_unavailable (params: merchant; QRIS chosen for a shop without a registered QRIS),
out_of_stock (params: name, stock), invalid_transition (params: status, action),
reason_required; Forbidden and NotFound for someone else's or a missing order.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    BuyerKind,
    CartItem,
    Merchant,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    Product,
    User,
)
from models.db import select_columns, write_transaction
from models.tables import table_of, utcnow
from services.cart import Cart, get_cart
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.merchants import is_member

S = OrderStatus


@dataclass(frozen=True)
class Action:
    name: str
    actor: str  # "merchant" or "buyer"
    sources: frozenset[OrderStatus]
    target: OrderStatus


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", "merchant", frozenset({S.PENDING}), S.ACCEPTED),
        Action("reject", "merchant", frozenset({S.PENDING, S.ACCEPTED}), S.REJECTED),
        Action("pay", "merchant", frozenset({S.ACCEPTED}), S.PAID),
        Action("ready", "merchant", frozenset({S.PAID}), S.READY),
        Action("ship", "merchant", frozenset({S.PAID}), S.SHIPPED),
        Action("complete", "merchant", frozenset({S.READY, S.SHIPPED}), S.COMPLETED),
        Action("cancel", "buyer", frozenset({S.PENDING}), S.CANCELLED),
        Action("receive", "buyer", frozenset({S.READY, S.SHIPPED}), S.COMPLETED),
        Action("expire", "system", frozenset({S.PENDING}), S.EXPIRED),
        Action("autocomplete", "system", frozenset({S.READY, S.SHIPPED}), S.COMPLETED),
    )
}
# Steps the system (scheduler) takes on its own; people never can.
SYSTEM_ACTIONS = frozenset({"expire", "autocomplete"})

# What the merchant may do next, in button order, for each status.
MERCHANT_NEXT: dict[OrderStatus, tuple[str, ...]] = {
    S.PENDING: ("accept", "reject"),
    S.ACCEPTED: ("pay", "reject"),
    S.PAID: ("ready", "ship"),
    S.READY: ("complete",),
    S.SHIPPED: ("complete",),
}
BUYER_NEXT: dict[OrderStatus, tuple[str, ...]] = {
    S.PENDING: ("cancel",),
    S.READY: ("receive",),
    S.SHIPPED: ("receive",),
}


def checkout_key(cart: Cart) -> str:
    """A short digest of what the summary showed: same cart, same key.

    The lines' creation times are part of it: a checkout empties the cart, so buying the very
    same products again later gives a new key, while a repeated "confirm" keeps the old one.
    """
    parts = sorted(
        f"{ln.product_id}x{ln.quantity}@{ln.price}/{ln.added_at.timestamp() if ln.added_at else 0}"
        for ln in cart.lines
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class CheckoutResult:
    orders: list[Order]
    created: bool  # False when these orders already existed (a repeated confirm)


async def _orders_for_key(session: AsyncSession, user: User, key: str) -> list[Order]:
    query = (
        select(Order)
        .where(Order.buyer_id == user.id, Order.checkout_key == key)
        .order_by(col(Order.id))
    )
    return list((await session.exec(query)).all())


async def checkout(
    session: AsyncSession,
    user: User,
    key: str,
    *,
    payment_method: str = PaymentMethod.CASH,
    now: datetime | None = None,
) -> CheckoutResult:
    if user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        raise ServiceError(Refusal.NOT_REGISTERED)
    if payment_method not in set(PaymentMethod):
        raise ServiceError(Refusal.PAYMENT_METHOD_INVALID)
    try:
        async with write_transaction(session):
            existing = await _orders_for_key(session, user, key)
            if existing:
                return CheckoutResult(existing, created=False)
            orders = await _create_orders(session, user, key, payment_method, now or utcnow())
    except IntegrityError:
        # A concurrent confirm of the same cart won the race: return its orders.
        existing = await _orders_for_key(session, user, key)
        await session.commit()
        if not existing:
            raise
        return CheckoutResult(existing, created=False)
    return CheckoutResult(orders, created=True)


async def _create_orders(
    session: AsyncSession, user: User, key: str, payment_method: str, now: datetime
) -> list[Order]:
    cart = await get_cart(session, user)
    if cart.is_empty:
        raise ServiceError(Refusal.CART_EMPTY)
    if checkout_key(cart) != key:
        raise ServiceError(Refusal.CART_CHANGED)
    assert user.id is not None  # a stored account
    orders: list[Order] = []
    for group in cart.groups:
        if payment_method == PaymentMethod.QRIS:
            merchant = await session.get(Merchant, group.merchant_id)
            if merchant is None or not merchant.qris:
                raise ServiceError(Refusal.QRIS_UNAVAILABLE, merchant=group.merchant_name)
        for line in group.lines:
            if not line.available:
                raise ServiceError(Refusal.PRODUCT_UNAVAILABLE, name=line.name)
            reserved = await session.exec(
                update(Product)
                .where(col(Product.id) == line.product_id, col(Product.stock) >= line.quantity)
                .values(stock=Product.stock - line.quantity, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if reserved.rowcount != 1:
                raise ServiceError(Refusal.OUT_OF_STOCK, name=line.name, stock=line.stock)
        order = Order(
            buyer_id=user.id,
            merchant_id=group.merchant_id,
            total=group.total,
            counts_for_quota=user.kind == BuyerKind.ASN,
            buyer_nip=user.nip if user.kind == BuyerKind.ASN else None,
            payment_method=payment_method,
            checkout_key=key,
            created_at=now,
        )
        session.add(order)
        await session.flush()
        assert order.id is not None  # flushed
        session.add_all(
            OrderItem(
                order_id=order.id,
                product_id=ln.product_id,
                name=ln.name,
                unit=ln.unit,
                price=ln.price,
                quantity=ln.quantity,
            )
            for ln in group.lines
        )
        session.add(
            OrderEvent(order_id=order.id, to_status=S.PENDING, actor_user_id=user.id, at=now)
        )
        orders.append(order)
    cart_items = table_of(CartItem)
    await session.exec(cart_items.delete().where(cart_items.c.user_id == user.id))
    return orders


@dataclass(frozen=True)
class TransitionResult:
    order: Order
    changed: bool  # False when the order already was in the target state (a repeated tap)
    action: Action


async def transition(
    session: AsyncSession,
    order_id: int,
    action_name: str,
    *,
    actor: User | None,
    reason: str | None = None,
    now: datetime | None = None,
) -> TransitionResult:
    """Move an order one step, checking who is asking and whether the step is allowed.

    `actor` None is the system itself (the scheduler expiring or auto-completing an order);
    it may only take the steps in SYSTEM_ACTIONS.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise ServiceError(Refusal.INVALID_TRANSITION, status="", action=action_name)
    async with write_transaction(session):
        order = await session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        assert order.id is not None  # read from the database
        if actor is None:
            if action.name not in SYSTEM_ACTIONS:
                raise Forbidden()
        elif action.actor == "merchant":
            assert actor.id is not None  # a stored account
            if not await is_member(session, actor.id, order.merchant_id):
                raise Forbidden()
        elif order.buyer_id != actor.id:
            raise Forbidden()
        if order.status == action.target:
            return TransitionResult(order, changed=False, action=action)
        if order.status not in action.sources:
            raise ServiceError(Refusal.INVALID_TRANSITION, status=order.status, action=action.name)
        if action.name == "reject":
            reason = " ".join((reason or "").split())
            if not reason:
                raise ServiceError(Refusal.REASON_REQUIRED)
            order.reject_reason = reason[:500]
        now = now or utcnow()
        previous = order.status
        order.status = action.target
        if action.target == S.ACCEPTED:
            order.accepted_at = now
        elif action.target == S.PAID:
            order.paid_at = now
        elif action.target in (S.READY, S.SHIPPED):
            order.fulfilled_at = now
        elif action.target == S.COMPLETED:
            order.completed_at = now
        elif action.target in (S.REJECTED, S.CANCELLED, S.EXPIRED):
            order.closed_at = now
            await _release_stock(session, order.id, now)
        session.add(order)
        session.add(
            OrderEvent(
                order_id=order.id,
                from_status=previous,
                to_status=order.status,
                actor_user_id=actor.id if actor else None,
                note=reason,
                at=now,
            )
        )
    return TransitionResult(order, changed=True, action=action)


async def _release_stock(session: AsyncSession, order_id: int, now: datetime) -> None:
    items = (await session.exec(select(OrderItem).where(OrderItem.order_id == order_id))).all()
    for item in items:
        if item.product_id is not None:
            await session.exec(
                update(Product)
                .where(col(Product.id) == item.product_id)
                .values(stock=Product.stock + item.quantity, updated_at=now)
                .execution_options(synchronize_session=False)
            )


@dataclass(frozen=True)
class OrderView:
    order: Order
    items: list[OrderItem]
    merchant: Merchant
    buyer: User
    viewer_is_buyer: bool
    viewer_is_merchant: bool


async def order_view(session: AsyncSession, order_id: int, *, viewer: User) -> OrderView:
    """An order with its lines, for its buyer or its merchant's staff only."""
    order = await session.get(Order, order_id)
    if order is None:
        raise NotFound(Refusal.ORDER_NOT_FOUND)
    assert viewer.id is not None  # a stored account
    is_buyer = order.buyer_id == viewer.id
    is_merchant = await is_member(session, viewer.id, order.merchant_id)
    if not (is_buyer or is_merchant):
        raise Forbidden()
    items = (
        await session.exec(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(col(OrderItem.id))
        )
    ).all()
    merchant = await session.get(Merchant, order.merchant_id)
    buyer = await session.get(User, order.buyer_id)
    assert merchant is not None and buyer is not None
    return OrderView(order, list(items), merchant, buyer, is_buyer, is_merchant)


@dataclass(frozen=True)
class OrderRow:
    id: int
    status: str
    total: int
    created_at: datetime
    merchant_name: str


@dataclass(frozen=True)
class OrderPage:
    items: list[OrderRow]
    page: int
    pages: int
    total: int


async def buyer_orders(
    session: AsyncSession, user: User, *, page: int, page_size: int
) -> OrderPage:
    """The buyer's own orders, newest first."""
    total = (
        await session.exec(
            select(func.count()).select_from(Order).where(Order.buyer_id == user.id)
        )
    ).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    rows = (
        await session.exec(
            select_columns(Order.id, Order.status, Order.total, Order.created_at, Merchant.name)
            .join(Merchant, col(Merchant.id) == col(Order.merchant_id))
            .where(Order.buyer_id == user.id)
            .order_by(col(Order.created_at).desc(), col(Order.id).desc())
            .offset(page * page_size)
            .limit(page_size)
        )
    ).all()
    return OrderPage([OrderRow(*row) for row in rows], page, pages, total)
