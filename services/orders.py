"""Checkout and the order lifecycle.

Checkout turns the cart into one order per merchant in one transaction, reserving stock.
It is idempotent per `checkout key` (a digest of the cart shown in the summary), so a
double-tapped "confirm" creates the orders once.

Lifecycle: `STEPS` is the one table of who may take which step from which status (the buyer,
the shop's owner or staff, an administrator, the system); nothing outside it is allowed.
    pending  --accept (shop)-->  accepted  --pay (shop)-->  paid
    paid  --ready / ship (shop)-->  ready | shipped  --complete (shop) / receive (buyer)-->
    completed;  pending|accepted --reject (shop, reason)--> rejected;
    pending --cancel (buyer)--> cancelled;  pending --expire (system)--> expired;
    ready|shipped --autocomplete (system)--> completed;
    paid|ready|shipped|completed --refund (shop or administrator)--> refunded.
Rejecting, cancelling or expiring releases the reserved stock. People's steps go through
`transition`; the scheduler's through `system_step`, which takes only the system's.

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
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    BuyerKind,
    CartItem,
    Fulfilment,
    MemberRole,
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
from models.tables import stored_id, table_of, utcnow
from services.cart import Cart, get_cart
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.merchants import is_member, member_role
from services.roles import Roles
from services.text import clean_line

S = OrderStatus


class Party(StrEnum):
    """Who takes a step, as seen from the order."""

    BUYER = "buyer"  # the order's buyer
    OWNER = "owner"  # an owner of the order's shop
    STAFF = "staff"  # a staff member of the order's shop
    ADMIN = "admin"  # a city administrator
    SYSTEM = "system"  # the scheduler (expiring, completing on its own); never a chat user


SHOP = frozenset({Party.OWNER, Party.STAFF})
BUYER = frozenset({Party.BUYER})
SYSTEM = frozenset({Party.SYSTEM})
SHOP_OR_ADMIN = SHOP | {Party.ADMIN}

# Every step an order can take: (action, from status, to status, who may take it). A step not in
# this table is refused, whoever asks. Rows are in the order their buttons are shown.
STEPS: tuple[tuple[str, OrderStatus, OrderStatus, frozenset[Party]], ...] = (
    ("accept", S.PENDING, S.ACCEPTED, SHOP),
    ("reject", S.PENDING, S.REJECTED, SHOP),
    ("cancel", S.PENDING, S.CANCELLED, BUYER),
    ("expire", S.PENDING, S.EXPIRED, SYSTEM),
    ("pay", S.ACCEPTED, S.PAID, SHOP),
    ("reject", S.ACCEPTED, S.REJECTED, SHOP),
    ("ready", S.PAID, S.READY, SHOP),
    ("ship", S.PAID, S.SHIPPED, SHOP),
    ("refund", S.PAID, S.REFUNDED, SHOP_OR_ADMIN),
    ("complete", S.READY, S.COMPLETED, SHOP),
    ("receive", S.READY, S.COMPLETED, BUYER),
    ("autocomplete", S.READY, S.COMPLETED, SYSTEM),
    ("refund", S.READY, S.REFUNDED, SHOP_OR_ADMIN),
    ("complete", S.SHIPPED, S.COMPLETED, SHOP),
    ("receive", S.SHIPPED, S.COMPLETED, BUYER),
    ("autocomplete", S.SHIPPED, S.COMPLETED, SYSTEM),
    ("refund", S.SHIPPED, S.REFUNDED, SHOP_OR_ADMIN),
    ("refund", S.COMPLETED, S.REFUNDED, SHOP_OR_ADMIN),
)
TRANSITIONS: dict[tuple[str, OrderStatus], tuple[OrderStatus, frozenset[Party]]] = {
    (action, source): (target, parties) for action, source, target, parties in STEPS
}
ACTIONS: frozenset[str] = frozenset(action for action, *_rest in STEPS)
# Steps only the scheduler takes (`system_step`); `transition` never accepts them.
SYSTEM_ACTIONS = frozenset(a for a, _s, _t, parties in STEPS if parties == SYSTEM)
# Steps people take with the buttons under an order (refunds have a button of their own).
PERSON_ACTIONS = ACTIONS - SYSTEM_ACTIONS - {"refund"}


def target_of(action: str) -> OrderStatus | None:
    """Where `action` leads (every row of an action has the same target)."""
    return next((target for a, _s, target, _p in STEPS if a == action), None)


def parties_of(action: str) -> frozenset[Party]:
    """Everyone who may take `action` from some status."""
    return frozenset().union(*(parties for a, _s, _t, parties in STEPS if a == action))


def next_steps(status: OrderStatus, party: Party) -> tuple[str, ...]:
    """The buttons `party` gets on an order in `status`, in order."""
    return tuple(
        action
        for action, source, _t, parties in STEPS
        if source == status and party in parties and action in PERSON_ACTIONS
    )


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


@dataclass(frozen=True)
class Handover:
    """How the buyer gets the goods, and what they tell the shop (asked at checkout)."""

    fulfilment: str = Fulfilment.PICKUP
    address: str | None = None  # delivery only: where to, within Kota Malang
    note: str | None = None  # for the shop: a time, a size, "no sugar"…


MAX_ADDRESS = 300
MAX_NOTE = 500


def parse_address(text: str) -> str:
    """A typed delivery address (refusal: address_invalid)."""
    address = clean_line(text)
    if not 8 <= len(address) <= MAX_ADDRESS or address.startswith("/"):
        raise ServiceError(Refusal.ADDRESS_INVALID, max=MAX_ADDRESS)
    return address


def parse_note(text: str) -> str:
    """A typed note to the shop (refusal: text_too_long)."""
    note = " ".join(text.split())
    if len(note) > MAX_NOTE:
        raise ServiceError(Refusal.TEXT_TOO_LONG, length=len(note), max=MAX_NOTE)
    return note


async def checkout(
    session: AsyncSession,
    user: User,
    key: str,
    *,
    payment_method: str = PaymentMethod.CASH,
    handover: Handover | None = None,
    now: datetime | None = None,
) -> CheckoutResult:
    """Turn the cart (as the summary with `key` showed it) into one order per shop. A delivery
    address is remembered on the account for the next time."""
    if user.kind not in (BuyerKind.ASN, BuyerKind.GENERAL):
        raise ServiceError(Refusal.NOT_REGISTERED)
    if payment_method not in set(PaymentMethod):
        raise ServiceError(Refusal.PAYMENT_METHOD_INVALID)
    handover = handover or Handover()
    if handover.fulfilment not in set(Fulfilment):
        raise ServiceError(Refusal.FULFILMENT_INVALID)
    if handover.fulfilment == Fulfilment.DELIVERY and not handover.address:
        raise ServiceError(Refusal.ADDRESS_REQUIRED)
    try:
        async with write_transaction(session):
            existing = await _orders_for_key(session, user, key)
            if existing:
                return CheckoutResult(existing, created=False)
            orders = await _create_orders(
                session, user, key, payment_method, handover, now or utcnow()
            )
            if handover.fulfilment == Fulfilment.DELIVERY:
                user.delivery_address = handover.address
                session.add(user)
    except (IntegrityError, ServiceError) as exc:
        # A concurrent confirm of the same cart may have won the race: its orders stand (this
        # one then met the unique key, or found the cart already emptied by it).
        if isinstance(exc, ServiceError) and exc.code not in (
            Refusal.CART_CHANGED,
            Refusal.CART_EMPTY,
        ):
            raise
        existing = await _orders_for_key(session, user, key)
        await session.commit()
        if not existing:
            raise
        return CheckoutResult(existing, created=False)
    return CheckoutResult(orders, created=True)


async def _create_orders(
    session: AsyncSession,
    user: User,
    key: str,
    payment_method: str,
    handover: Handover,
    now: datetime,
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
                # The cart's figure may be stale (another buyer took the last units a moment
                # ago): tell what is left now.
                left = (
                    await session.exec(
                        select(Product.stock).where(col(Product.id) == line.product_id)
                    )
                ).one_or_none()
                raise ServiceError(Refusal.OUT_OF_STOCK, name=line.name, stock=max(left or 0, 0))
        order = Order(
            buyer_id=user.id,
            merchant_id=group.merchant_id,
            total=group.total,
            counts_for_quota=user.kind == BuyerKind.ASN,
            buyer_nip=user.nip if user.kind == BuyerKind.ASN else None,
            payment_method=payment_method,
            checkout_key=key,
            created_at=now,
            fulfilment=handover.fulfilment,
            delivery_address=(
                handover.address if handover.fulfilment == Fulfilment.DELIVERY else None
            ),
            buyer_note=handover.note or None,
        )
        session.add(order)
        await session.flush()
        assert order.id is not None  # flushed
        session.add_all(
            OrderItem(
                order_id=order.id,
                product_id=ln.product_id,
                name=ln.name,
                name_en=ln.name_en,
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
    action: str
    party: Party  # as whom the step was taken


async def parties_for(
    session: AsyncSession, order: Order, actor: User, roles: Roles | None = None
) -> frozenset[Party]:
    """What `actor` is to `order`: its buyer, an owner or staff of its shop, an administrator
    (one person may be several: a shop owner buying in their own shop)."""
    parties = set()
    if order.buyer_id == actor.id:
        parties.add(Party.BUYER)
    role = await member_role(session, stored_id(actor.id), order.merchant_id)
    if role == MemberRole.OWNER:
        parties.add(Party.OWNER)
    elif role == MemberRole.STAFF:
        parties.add(Party.STAFF)
    if roles is not None and roles.is_admin:
        parties.add(Party.ADMIN)
    return frozenset(parties)


async def transition(
    session: AsyncSession,
    order_id: int,
    action: str,
    *,
    actor: User,
    roles: Roles | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> TransitionResult:
    """A person moves an order one step, if the table (STEPS) lets them take it from the
    order's status: the buyer, the shop's owner or staff, or an administrator (`roles`).
    Steps of the system (expire, autocomplete) are refused here: see `system_step`."""
    if action in SYSTEM_ACTIONS:
        raise Forbidden()
    return await _take(session, order_id, action, actor, roles, reason=reason, now=now)


async def system_step(
    session: AsyncSession, order_id: int, action: str, *, now: datetime
) -> TransitionResult:
    """The scheduler moves an order on its own (expire, autocomplete): only its own steps."""
    if action not in SYSTEM_ACTIONS:
        raise Forbidden()
    return await _take(session, order_id, action, None, None, reason=None, now=now)


async def _take(
    session: AsyncSession,
    order_id: int,
    action: str,
    actor: User | None,
    roles: Roles | None,
    *,
    reason: str | None,
    now: datetime | None,
) -> TransitionResult:
    target = target_of(action)
    if target is None:
        raise ServiceError(Refusal.INVALID_TRANSITION, status="", action=action)
    async with write_transaction(session):
        order = await session.get(Order, order_id, with_for_update=True)
        if order is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        assert order.id is not None  # read from the database
        mine = {Party.SYSTEM} if actor is None else await parties_for(session, order, actor, roles)
        allowed_anywhere = mine & parties_of(action)
        if not allowed_anywhere:
            raise Forbidden()
        if order.status == target:
            party = sorted(allowed_anywhere)[0]
            return TransitionResult(order, changed=False, action=action, party=party)
        step = TRANSITIONS.get((action, OrderStatus(order.status)))
        allowed = mine & step[1] if step is not None else frozenset()
        if not allowed:
            raise ServiceError(Refusal.INVALID_TRANSITION, status=order.status, action=action)
        party = sorted(allowed)[0]
        if action == "reject":
            reason = " ".join((reason or "").split())
            if not reason:
                raise ServiceError(Refusal.REASON_REQUIRED)
            order.reject_reason = reason[:500]
        now = now or utcnow()
        previous = order.status
        order.status = target
        if target == S.ACCEPTED:
            order.accepted_at = now
        elif target == S.PAID:
            order.paid_at = now
        elif target in (S.READY, S.SHIPPED):
            order.fulfilled_at = now
        elif target == S.COMPLETED:
            order.completed_at = now
        elif target in (S.REJECTED, S.CANCELLED, S.EXPIRED):
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
    return TransitionResult(order, changed=True, action=action, party=party)


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
