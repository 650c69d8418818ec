"""Paying an order by QRIS: the shop's static code, the per-order dynamic code, the buyer's proof.

- A shop registers its printed static QRIS once (owner only); the payload is validated
  (services.qris.validate_static) before it is stored.
- When the shop accepts a QRIS order, the buyer gets a dynamic payload for the exact total
  (services.qris.make_dynamic: parsed and rebuilt, never string-replaced).
- The buyer may attach a photo of the payment proof to an accepted order. That alone changes
  nothing for the quota: only the shop's "payment received" (services.orders, action `pay`)
  sets `paid_at`. The shop may answer "not received", which clears the proof.

Refusal codes (ServiceError, params in brackets): qris_invalid [reason: a QrisError code];
qris_missing; qris_unavailable [merchant]; proof_not_expected [status]; proof_missing;
owner_only; merchant_suspended [merchant]; Forbidden and NotFound for someone else's or a
missing order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, Order, OrderEvent, OrderStatus, PaymentMethod, User
from models.db import write_transaction
from models.tables import stored_id, utcnow
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.merchants import is_member
from services.products import parse_photo, require_member
from services.qris import QrisError, QrisPayload, make_dynamic, validate_static

PROOF_REJECTED_NOTE = "proof_not_received"


def check_static_qris(payload: str) -> QrisPayload:
    """Validate a static QRIS; refuses with qris_invalid and the QrisError code as reason."""
    try:
        return validate_static(payload)
    except QrisError as exc:
        raise ServiceError(Refusal.QRIS_INVALID, reason=exc.code) from exc


async def register_qris(
    session: AsyncSession, user: User, merchant_id: int, payload: str, *, now: datetime
) -> QrisPayload:
    """Store the shop's static QRIS (owner only: it decides where buyers' money goes)."""
    parsed = check_static_qris(payload)
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True, active=True)
        merchant = await session.get(
            Merchant, merchant_id, with_for_update=True, populate_existing=True
        )
        assert merchant is not None  # require_member found it
        merchant.qris = parsed.to_string()
        merchant.updated_at = now
        session.add(merchant)
    return parsed


async def remove_qris(
    session: AsyncSession, user: User, merchant_id: int, *, now: datetime
) -> None:
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True)
        merchant = await session.get(
            Merchant, merchant_id, with_for_update=True, populate_existing=True
        )
        assert merchant is not None  # require_member found it
        merchant.qris = None
        merchant.updated_at = now
        session.add(merchant)


async def shop_qris(session: AsyncSession, user: User, merchant_id: int) -> QrisPayload | None:
    """The shop's registered QRIS, parsed (owner only)."""
    merchant, _role = await require_member(session, user, merchant_id, owner=True)
    await session.refresh(merchant)
    if not merchant.qris:
        return None
    try:
        return validate_static(merchant.qris)
    except QrisError:
        return None


async def merchants_with_qris(session: AsyncSession, merchant_ids: Iterable[int]) -> set[int]:
    ids = list(merchant_ids)
    if not ids:
        return set()
    rows = await session.exec(
        select(Merchant.id).where(col(Merchant.id).in_(ids), col(Merchant.qris).is_not(None))
    )
    return {stored_id(merchant_id) for merchant_id in rows.all()}


@dataclass(frozen=True)
class OrderQris:
    order: Order
    merchant: Merchant
    payload: str  # the dynamic payload for the order's total


async def order_qris(session: AsyncSession, order_id: int, *, viewer: User) -> OrderQris:
    """The dynamic QRIS to pay an accepted QRIS order, for its buyer or its shop."""
    order = await session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise NotFound(Refusal.ORDER_NOT_FOUND)
    assert viewer.id is not None  # a stored account
    if order.buyer_id != viewer.id and not await is_member(session, viewer.id, order.merchant_id):
        raise Forbidden()
    if order.payment_method != PaymentMethod.QRIS:
        raise ServiceError(Refusal.QRIS_MISSING)
    if order.status != OrderStatus.ACCEPTED:
        raise ServiceError(Refusal.INVALID_TRANSITION, status=order.status, action="qris")
    merchant = await session.get(Merchant, order.merchant_id, populate_existing=True)
    assert merchant is not None
    if not merchant.qris:
        raise ServiceError(Refusal.QRIS_MISSING)
    try:
        payload = make_dynamic(merchant.qris, order.total)
    except QrisError as exc:
        raise ServiceError(Refusal.QRIS_INVALID, reason=exc.code) from exc
    return OrderQris(order, merchant, payload)


async def submit_proof(
    session: AsyncSession, user: User, order_id: int, file_id: str, *, now: datetime | None = None
) -> Order:
    """The buyer attaches (or replaces) a photo of the payment to an accepted order."""
    file_id = parse_photo(file_id) or ""
    now = now or utcnow()
    async with write_transaction(session):
        order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        if order.buyer_id != user.id:
            raise Forbidden()
        if order.status != OrderStatus.ACCEPTED:
            raise ServiceError(Refusal.PROOF_NOT_EXPECTED, status=order.status)
        assert order.id is not None  # read from the database
        order.proof_file_id = file_id
        order.proof_at = now
        session.add(order)
        session.add(
            OrderEvent(
                order_id=order.id,
                from_status=order.status,
                to_status=order.status,
                actor_user_id=user.id,
                note="proof",
                at=now,
            )
        )
    return order


async def reject_proof(
    session: AsyncSession, user: User, order_id: int, *, now: datetime | None = None
) -> Order:
    """The shop has not received the money the proof shows: the proof is set aside, the order
    stays accepted (the buyer may pay and send a new proof)."""
    now = now or utcnow()
    async with write_transaction(session):
        order = await session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order is None:
            raise NotFound(Refusal.ORDER_NOT_FOUND)
        assert order.id is not None and user.id is not None  # both read from the database
        if not await is_member(session, user.id, order.merchant_id):
            raise Forbidden()
        if order.status != OrderStatus.ACCEPTED:
            raise ServiceError(
                Refusal.INVALID_TRANSITION, status=order.status, action="no_payment"
            )
        if not order.proof_file_id:
            raise ServiceError(Refusal.PROOF_MISSING)
        order.proof_file_id = None
        session.add(order)
        session.add(
            OrderEvent(
                order_id=order.id,
                from_status=order.status,
                to_status=order.status,
                actor_user_id=user.id,
                note=PROOF_REJECTED_NOTE,
                at=now,
            )
        )
    return order
