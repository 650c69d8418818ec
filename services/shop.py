"""Running a shop from the chat: the dashboard, the open/closed switch, staff invitations, and
the administrators' suspension of a shop.

Owners do everything; staff see the dashboard, open or close the shop and move orders
(services.orders), but never invite, remove staff or change products (services.products).

Refusal codes (ServiceError, params in brackets): owner_only; merchant_suspended [merchant];
invite_invalid; invite_expired; already_member [merchant]; cannot_remove_owner;
merchant_not_found [merchant_code]; reason_required; not_suspended; Forbidden for strangers and
non-administrators.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    MemberRole,
    Merchant,
    MerchantInvite,
    MerchantMember,
    MerchantStatus,
    Order,
    User,
)
from models.db import write_transaction
from models.enums import OPEN_STATUSES, PAID_STATUSES
from models.tables import stored_id
from services.admins import audit
from services.errors import NotFound, Refusal, ServiceError
from services.fairness import FairnessPolicy
from services.geo import valid_point
from services.merchants import member_users, memberships
from services.products import parse_stock, require_member
from services.quota import month_bounds, month_start
from services.roles import Roles

MAX_WAITING_SHOWN = 10
MAX_REASON = 500


async def my_shops(session: AsyncSession, user: User) -> list[tuple[Merchant, str]]:
    return await memberships(session, user)


async def has_active_shop(session: AsyncSession, merchant_ids: Sequence[int]) -> bool:
    """Whether any of these shops is active (not suspended)."""
    if not merchant_ids:
        return False
    query = select(Merchant.id).where(
        col(Merchant.id).in_(list(merchant_ids)), col(Merchant.status) == MerchantStatus.ACTIVE
    )
    return (await session.exec(query)).first() is not None


# --- dashboard -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingOrder:
    id: int
    status: str
    total: int
    since: datetime  # when it reached its current step

    def age(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.since)


@dataclass(frozen=True)
class Dashboard:
    merchant: Merchant
    role: str
    new_today: int
    waiting: list[WaitingOrder]  # oldest first, at most MAX_WAITING_SHOWN
    waiting_total: int
    month: datetime  # first day of the month (WIB) of the sales figures
    month_sales: int
    month_orders: int
    has_qris: bool
    monthly_cap: int = 0  # the city's cap on a shop's paid sales a month; 0: none
    cap_hides: bool = False  # a shop at the cap is hidden (else ranked last)

    @property
    def cap_left(self) -> int:
        return max(0, self.monthly_cap - self.month_sales)

    @property
    def capped(self) -> bool:
        return self.monthly_cap > 0 and self.month_sales >= self.monthly_cap


def _since(order: Order) -> datetime:
    steps = [order.created_at, order.accepted_at, order.proof_at, order.paid_at]
    steps.append(order.fulfilled_at)
    return max(step for step in steps if step is not None)


async def dashboard(
    session: AsyncSession,
    user: User,
    merchant_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    fairness: FairnessPolicy | None = None,
) -> Dashboard:
    merchant, role = await require_member(session, user, merchant_id)
    await session.refresh(merchant)
    today = now.astimezone(tz).date()
    day_start = datetime(today.year, today.month, today.day, tzinfo=tz)
    new_today = (
        await session.exec(
            select(func.count())
            .select_from(Order)
            .where(
                col(Order.merchant_id) == merchant_id,
                col(Order.created_at) >= day_start,
                col(Order.created_at) < day_start + timedelta(days=1),
            )
        )
    ).one()
    open_orders = list(
        (
            await session.exec(
                select(Order).where(
                    col(Order.merchant_id) == merchant_id, col(Order.status).in_(OPEN_STATUSES)
                )
            )
        ).all()
    )
    waiting = sorted(
        (WaitingOrder(stored_id(o.id), o.status, o.total, _since(o)) for o in open_orders),
        key=lambda w: (w.since, w.id),
    )
    month = month_start(today)
    start, end = month_bounds(month, tz)
    sales, count = (
        await session.exec(
            select(func.coalesce(func.sum(Order.total), 0), func.count()).where(
                col(Order.merchant_id) == merchant_id,
                col(Order.status).in_(PAID_STATUSES),
                col(Order.paid_at) >= start,
                col(Order.paid_at) < end,
            )
        )
    ).one()
    return Dashboard(
        merchant=merchant,
        role=role,
        new_today=new_today,
        waiting=waiting[:MAX_WAITING_SHOWN],
        waiting_total=len(waiting),
        month=start,
        month_sales=int(sales),
        month_orders=int(count),
        has_qris=bool(merchant.qris),
        monthly_cap=fairness.monthly_cap if fairness else 0,
        cap_hides=fairness.hide_capped if fairness else False,
    )


async def set_open(
    session: AsyncSession, user: User, merchant_id: int, is_open: bool, *, now: datetime
) -> Merchant:
    """Open or close the shop (owner or staff). A closed shop is hidden from the catalog and
    search; its orders go on."""
    async with write_transaction(session):
        await require_member(session, user, merchant_id, active=True)
        merchant = await session.get(
            Merchant, merchant_id, with_for_update=True, populate_existing=True
        )
        assert merchant is not None  # require_member found it
        if merchant.is_open != is_open:
            merchant.is_open = is_open
            merchant.updated_at = now
            session.add(merchant)
    return merchant


MAX_LOW_STOCK_THRESHOLD = 1000


async def set_low_stock_threshold(
    session: AsyncSession, user: User, merchant_id: int, value: str | int, *, now: datetime
) -> Merchant:
    """The stock at or below which a paid order warns the shop (owner only); 0 = sold out."""
    threshold = parse_stock(value)
    if threshold > MAX_LOW_STOCK_THRESHOLD:
        raise ServiceError(Refusal.STOCK_TOO_LARGE, maximum=MAX_LOW_STOCK_THRESHOLD)
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True)
        merchant = await session.get(
            Merchant, merchant_id, with_for_update=True, populate_existing=True
        )
        assert merchant is not None  # require_member found it
        merchant.low_stock_threshold = threshold
        merchant.updated_at = now
        session.add(merchant)
    return merchant


async def set_location(
    session: AsyncSession, user: User, merchant_id: int, lat: float, lon: float, *, now: datetime
) -> Merchant:
    """The shop's location on the map (owner only), in or near Kota Malang."""
    if not valid_point(lat, lon):
        raise ServiceError(Refusal.LOCATION_OUTSIDE_CITY)
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True)
        merchant = await session.get(
            Merchant, merchant_id, with_for_update=True, populate_existing=True
        )
        assert merchant is not None  # require_member found it
        merchant.lat, merchant.lon = lat, lon
        merchant.updated_at = now
        session.add(merchant)
    return merchant


# --- staff ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user: User
    role: str


async def members(session: AsyncSession, user: User, merchant_id: int) -> list[Member]:
    await require_member(session, user, merchant_id, owner=True)
    rows = (
        await session.exec(
            select(User, MerchantMember.role)
            .join(MerchantMember, col(MerchantMember.user_id) == col(User.id))
            .where(col(MerchantMember.merchant_id) == merchant_id)
            .order_by(col(MerchantMember.role), col(MerchantMember.id))  # owner first
        )
    ).all()
    return [Member(u, role) for u, role in rows]


async def create_invite(
    session: AsyncSession, user: User, merchant_id: int, *, now: datetime, valid_for: timedelta
) -> MerchantInvite:
    """A one-time invitation for a staff member (owner only), valid for `valid_for`."""
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True, active=True)
        assert user.id is not None  # a stored account
        invite = MerchantInvite(
            token=secrets.token_urlsafe(12),
            merchant_id=merchant_id,
            created_by=user.id,
            created_at=now,
            expires_at=now + valid_for,
        )
        session.add(invite)
    return invite


async def accept_invite(
    session: AsyncSession, user: User, token: str, *, now: datetime
) -> Merchant:
    """Join a shop as staff through the owner's invitation (once, before it expires)."""
    if not token or len(token) > 32:
        raise ServiceError(Refusal.INVITE_INVALID)
    async with write_transaction(session):
        invite = await session.get(MerchantInvite, token, with_for_update=True)
        if invite is None or invite.used_by is not None:
            raise ServiceError(Refusal.INVITE_INVALID)
        if invite.expires_at <= now:
            raise ServiceError(Refusal.INVITE_EXPIRED)
        merchant = await session.get(Merchant, invite.merchant_id)
        assert merchant is not None and merchant.id is not None
        assert user.id is not None  # a stored account
        if merchant.status != MerchantStatus.ACTIVE:
            raise ServiceError(Refusal.MERCHANT_SUSPENDED, merchant=merchant.name)
        if (
            await session.exec(
                select(MerchantMember.id).where(
                    MerchantMember.merchant_id == merchant.id, MerchantMember.user_id == user.id
                )
            )
        ).first():
            raise ServiceError(Refusal.ALREADY_MEMBER, merchant=merchant.name)
        invite.used_by = user.id
        invite.used_at = now
        session.add(invite)
        session.add(
            MerchantMember(
                merchant_id=merchant.id, user_id=user.id, role=MemberRole.STAFF, created_at=now
            )
        )
    return merchant


async def remove_staff(
    session: AsyncSession, user: User, merchant_id: int, staff_user_id: int
) -> User:
    """The owner removes a staff member (never an owner)."""
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True)
        member = (
            await session.exec(
                select(MerchantMember).where(
                    MerchantMember.merchant_id == merchant_id,
                    MerchantMember.user_id == staff_user_id,
                )
            )
        ).first()
        if member is None:
            raise NotFound()
        if member.role == MemberRole.OWNER:
            raise ServiceError(Refusal.CANNOT_REMOVE_OWNER)
        removed = await session.get(User, staff_user_id)
        await session.delete(member)
    assert removed is not None
    return removed


# --- administrators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuspensionResult:
    merchant: Merchant
    changed: bool
    notify: list[User]  # the shop's people, to be told


async def _merchant_by_code(session: AsyncSession, code: str) -> Merchant:
    code = (code or "").strip()
    merchant = (
        await session.exec(
            select(Merchant)
            .where(func.lower(Merchant.code) == code.lower())
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if merchant is None:
        raise NotFound(Refusal.MERCHANT_NOT_FOUND, merchant_code=code[:40])
    return merchant


async def suspend(
    session: AsyncSession,
    *,
    actor: Roles,
    code: str,
    reason: str,
    now: datetime,
) -> SuspensionResult:
    """Suspend a shop (administrators only): hidden everywhere; its people are told why."""
    actor.require_admin()
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if not reason:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        merchant = await _merchant_by_code(session, code)
        changed = merchant.status != MerchantStatus.SUSPENDED or (
            merchant.suspended_reason != reason
        )
        merchant.status = MerchantStatus.SUSPENDED
        merchant.suspended_reason = reason
        merchant.updated_at = now
        session.add(merchant)
        audit(session, actor.telegram_id, "suspend_merchant", code=merchant.code, reason=reason)
    return SuspensionResult(merchant, changed, await member_users(session, stored_id(merchant.id)))


async def reactivate(
    session: AsyncSession,
    *,
    actor: Roles,
    code: str,
    now: datetime,
) -> SuspensionResult:
    actor.require_admin()
    async with write_transaction(session):
        merchant = await _merchant_by_code(session, code)
        if merchant.status == MerchantStatus.ACTIVE:
            raise ServiceError(Refusal.NOT_SUSPENDED, merchant=merchant.name)
        merchant.status = MerchantStatus.ACTIVE
        merchant.suspended_reason = None
        merchant.updated_at = now
        session.add(merchant)
        audit(session, actor.telegram_id, "reactivate_merchant", code=merchant.code)
    return SuspensionResult(merchant, True, await member_users(session, stored_id(merchant.id)))
