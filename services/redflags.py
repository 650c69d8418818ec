"""Red flags: patterns of a month that deserve a look by the city (administrators and the
inspectorate), after Stranas PK's procurement patterns and other cities' voucher schemes.

Each rule looks at the ASN orders of a WIB month (counted toward the minimum, paid in the
month; refunded ones too) and names the orders it rests on:

- `pair_share`: one shop holds more than `pair_share` of an ASN's counted spend, over at least
  `pair_min_orders` orders (the same vendor again and again);
- `same_contact`: the ASN and the shop share a phone number (roster or account vs the shop's)
  or an address (the ASN's delivery address vs the shop's);
- `month_end_rush`: orders placed in the last `rush_hours` hours before the deadline day ends by
  an ASN who had counted less than `rush_below` of their minimum before;
- `price_raise`: an order of at least `large_order` holding a product whose price was raised in
  the `price_raise_hours` hours before it was placed (price history);
- `splitting`: at least `split_orders` orders of one ASN at one shop placed within
  `split_minutes` minutes;
- `late_refund`: a counted order refunded after its month was closed;
- `odd_hours`: orders placed between `odd_from` and `odd_to` o'clock WIB.

A flag's `key` is stable (rule, ASN, shop, first order), so an administrator's verdict ("reviewed,
fine" or "referred") stays with it (`review`, audited).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    FlagReview,
    Merchant,
    MonthClosing,
    Order,
    OrderItem,
    OrderStatus,
    PriceChange,
    RosterEntry,
    User,
)
from models.db import write_transaction
from models.enums import PAID_STATUSES
from services.admins import audit
from services.errors import Refusal, ServiceError
from services.phones import PhoneError, normalize_phone
from services.quota import (
    QuotaPolicy,
    closing_cutoff,
    deadline_credit,
    deadline_day_for,
    minimum_for,
    month_bounds,
)
from services.roles import RoleKind, Roles
from services.text import normalize_key


class Rule(StrEnum):
    PAIR_SHARE = "pair_share"
    SAME_CONTACT = "same_contact"
    MONTH_END_RUSH = "month_end_rush"
    PRICE_RAISE = "price_raise"
    SPLITTING = "splitting"
    LATE_REFUND = "late_refund"
    ODD_HOURS = "odd_hours"


class Verdict(StrEnum):
    FINE = "fine"  # reviewed, fine
    REFERRED = "referred"  # referred to the inspectorate / further review


@dataclass(frozen=True)
class RedFlagPolicy:
    pair_share: float = 0.8
    pair_min_orders: int = 3
    rush_hours: int = 48
    rush_below: float = 0.5
    price_raise_hours: int = 72
    large_order: int = 1_000_000
    split_orders: int = 3
    split_minutes: int = 30
    odd_from: int = 23  # WIB hour, inclusive
    odd_to: int = 5  # WIB hour, exclusive


@dataclass(frozen=True)
class Flag:
    rule: Rule
    nip: str
    merchant_code: str
    merchant_name: str
    order_ids: tuple[int, ...]
    amount: int  # the orders' total
    verdict: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.nip}:{self.merchant_code}:{self.order_ids[0]}"[:120]


@dataclass
class _Order:
    id: int
    nip: str
    merchant_id: int
    total: int
    status: str
    created_at: datetime
    paid_at: datetime
    refunded_at: datetime | None
    products: list[int] = field(default_factory=list)


def _phone(text: str) -> str:
    """A stored phone number in one form (E.164 when it can be read)."""
    try:
        return normalize_phone(text)
    except PhoneError:
        return text.strip()


def _flag(rule: Rule, orders: list[_Order], shops: dict[int, Merchant]) -> Flag:
    first = orders[0]
    shop = shops[first.merchant_id]
    ids = tuple(sorted(o.id for o in orders))
    return Flag(rule, first.nip, shop.code, shop.name, ids, sum(o.total for o in orders))


async def _month_orders(
    session: AsyncSession, month: date, tz: ZoneInfo
) -> tuple[list[_Order], dict[int, Merchant]]:
    start, end = month_bounds(month, tz)
    statuses = [*PAID_STATUSES, OrderStatus.REFUNDED]
    rows = (
        await session.exec(
            select(Order).where(
                col(Order.counts_for_quota).is_(True),
                col(Order.buyer_nip).is_not(None),
                col(Order.status).in_(statuses),
                col(Order.paid_at) >= start,
                col(Order.paid_at) < end,
            )
        )
    ).all()
    orders = {
        o.id: _Order(
            o.id or 0,
            o.buyer_nip or "",
            o.merchant_id,
            o.total,
            o.status,
            o.created_at,
            o.paid_at or o.created_at,
            o.refunded_at,
        )
        for o in rows
    }
    if orders:
        items = await session.exec(
            select(OrderItem.order_id, OrderItem.product_id).where(
                col(OrderItem.order_id).in_(list(orders))
            )
        )
        for order_id, product_id in items.all():
            if product_id is not None:
                orders[order_id].products.append(product_id)
    ids = {o.merchant_id for o in orders.values()}
    shops = {
        m.id or 0: m
        for m in (await session.exec(select(Merchant).where(col(Merchant.id).in_(ids)))).all()
    }
    return sorted(orders.values(), key=lambda o: (o.created_at, o.id)), shops


def _pairs(orders: list[_Order]) -> dict[tuple[str, int], list[_Order]]:
    pairs: dict[tuple[str, int], list[_Order]] = defaultdict(list)
    for order in orders:
        pairs[(order.nip, order.merchant_id)].append(order)
    return pairs


def _counted(orders: list[_Order]) -> list[_Order]:
    return [o for o in orders if o.status in PAID_STATUSES]


def pair_share(orders: list[_Order], shops: dict[int, Merchant], p: RedFlagPolicy) -> list[Flag]:
    spend: dict[str, int] = defaultdict(int)
    for order in _counted(orders):
        spend[order.nip] += order.total
    flags = []
    for (nip, _m), pair in _pairs(_counted(orders)).items():
        total = sum(o.total for o in pair)
        if len(pair) >= p.pair_min_orders and total > p.pair_share * spend[nip]:
            flags.append(_flag(Rule.PAIR_SHARE, pair, shops))
    return flags


async def same_contact(
    session: AsyncSession, orders: list[_Order], shops: dict[int, Merchant]
) -> list[Flag]:
    nips = {o.nip for o in orders}
    phones: dict[str, set[str]] = defaultdict(set)
    addresses: dict[str, set[str]] = defaultdict(set)
    if nips:
        for entry in (
            await session.exec(select(RosterEntry).where(col(RosterEntry.nip).in_(nips)))
        ).all():
            if entry.phone:
                phones[entry.nip].add(_phone(entry.phone))
        for user in (await session.exec(select(User).where(col(User.nip).in_(nips)))).all():
            if user.phone:
                phones[user.nip or ""].add(_phone(user.phone))
            if user.delivery_address and normalize_key(user.delivery_address):
                addresses[user.nip or ""].add(normalize_key(user.delivery_address))
    flags = []
    for (nip, merchant_id), pair in _pairs(orders).items():
        shop = shops[merchant_id]
        phone = _phone(shop.phone)
        address = normalize_key(shop.address)
        if phone in phones[nip] or (address and address in addresses[nip]):
            flags.append(_flag(Rule.SAME_CONTACT, pair, shops))
    return flags


async def month_end_rush(
    session: AsyncSession,
    orders: list[_Order],
    shops: dict[int, Merchant],
    month: date,
    p: RedFlagPolicy,
    *,
    tz: ZoneInfo,
    default_deadline: int,
    default_minimum: int,
) -> list[Flag]:
    day = await deadline_day_for(session, month, default=default_deadline)
    cutoff = closing_cutoff(month, day, tz, await deadline_credit(session, month))
    window = cutoff - timedelta(hours=p.rush_hours)
    classes = {
        e.nip: e.quota_class
        for e in (
            await session.exec(
                select(RosterEntry).where(col(RosterEntry.nip).in_({o.nip for o in orders}))
            )
        ).all()
    }
    minimums: dict[str, int] = {}
    for quota_class in set(classes.values()):
        minimums[quota_class] = await minimum_for(
            session, quota_class, month, default=default_minimum
        )
    by_asn: dict[str, list[_Order]] = defaultdict(list)
    for order in _counted(orders):
        by_asn[order.nip].append(order)
    flags = []
    for nip, own in by_asn.items():
        minimum = minimums.get(classes.get(nip, ""), default_minimum)
        before = sum(o.total for o in own if o.paid_at < window)
        rush = [o for o in own if window <= o.created_at < cutoff]
        if rush and before < p.rush_below * minimum:
            for pair in _pairs(rush).values():
                flags.append(_flag(Rule.MONTH_END_RUSH, pair, shops))
    return flags


async def price_raise(
    session: AsyncSession, orders: list[_Order], shops: dict[int, Merchant], p: RedFlagPolicy
) -> list[Flag]:
    large = [o for o in _counted(orders) if o.total >= p.large_order and o.products]
    products = {pid for o in large for pid in o.products}
    if not products:
        return []
    raises: dict[int, list[datetime]] = defaultdict(list)
    for change in (
        await session.exec(select(PriceChange).where(col(PriceChange.product_id).in_(products)))
    ).all():
        if change.new_price > change.old_price:
            raises[change.product_id].append(change.at)
    span = timedelta(hours=p.price_raise_hours)
    return [
        _flag(Rule.PRICE_RAISE, [o], shops)
        for o in large
        if any(
            o.created_at - span <= at <= o.created_at for pid in o.products for at in raises[pid]
        )
    ]


def splitting(orders: list[_Order], shops: dict[int, Merchant], p: RedFlagPolicy) -> list[Flag]:
    span = timedelta(minutes=p.split_minutes)
    flags = []
    for pair in _pairs(orders).values():
        start = 0
        while start < len(pair):
            end = start
            while (
                end + 1 < len(pair) and pair[end + 1].created_at - pair[start].created_at <= span
            ):
                end += 1
            if end - start + 1 >= p.split_orders:
                flags.append(_flag(Rule.SPLITTING, pair[start : end + 1], shops))
                start = end + 1
            else:
                start += 1
    return flags


async def late_refund(
    session: AsyncSession, orders: list[_Order], shops: dict[int, Merchant], month: date
) -> list[Flag]:
    closing = await session.get(MonthClosing, month)
    if closing is None:
        return []
    return [
        _flag(Rule.LATE_REFUND, [o], shops)
        for o in orders
        if o.status == OrderStatus.REFUNDED
        and o.refunded_at is not None
        and o.refunded_at > closing.closed_at
    ]


def odd_hours(
    orders: list[_Order], shops: dict[int, Merchant], p: RedFlagPolicy, tz: ZoneInfo
) -> list[Flag]:
    def odd(moment: datetime) -> bool:
        hour = moment.astimezone(tz).hour
        if p.odd_from > p.odd_to:
            return hour >= p.odd_from or hour < p.odd_to
        return p.odd_from <= hour < p.odd_to

    flags = []
    for pair in _pairs([o for o in orders if odd(o.created_at)]).values():
        flags.append(_flag(Rule.ODD_HOURS, pair, shops))
    return flags


async def red_flags(
    session: AsyncSession,
    month: date,
    *,
    tz: ZoneInfo,
    policy: RedFlagPolicy,
    default_deadline: int = 0,
    default_minimum: int = 500_000,
) -> list[Flag]:
    """Every red flag of `month`, by rule then ASN, each with its verdict if reviewed."""
    orders, shops = await _month_orders(session, month, tz)
    flags = [
        *pair_share(orders, shops, policy),
        *await same_contact(session, orders, shops),
        *await month_end_rush(
            session,
            orders,
            shops,
            month,
            policy,
            tz=tz,
            default_deadline=default_deadline,
            default_minimum=default_minimum,
        ),
        *await price_raise(session, orders, shops, policy),
        *splitting(orders, shops, policy),
        *await late_refund(session, orders, shops, month),
        *odd_hours(orders, shops, policy, tz),
    ]
    reviews = {
        r.flag_key: r.verdict
        for r in (await session.exec(select(FlagReview).where(col(FlagReview.month) == month)))
    }
    order = list(Rule)
    flags.sort(key=lambda f: (order.index(f.rule), f.nip, f.merchant_code, f.order_ids))
    return [
        Flag(
            f.rule,
            f.nip,
            f.merchant_code,
            f.merchant_name,
            f.order_ids,
            f.amount,
            reviews.get(f.key),
        )
        for f in flags
    ]


async def review(
    session: AsyncSession,
    *,
    actor: Roles,
    month: date,
    flag_key: str,
    verdict: Verdict,
    note: str | None = None,
) -> None:
    """An administrator marks a flag "reviewed, fine" or "referred" (audited). The
    inspectorate reads flags but changes nothing."""
    actor.require_admin()
    if verdict not in set(Verdict) or not flag_key or len(flag_key) > 120:
        raise ServiceError(Refusal.NOT_FOUND)
    async with write_transaction(session):
        row = await session.get(FlagReview, (month, flag_key))
        if row is None:
            row = FlagReview(month=month, flag_key=flag_key, verdict=verdict, reviewed_by=0)
        row.verdict = verdict
        row.note = note
        row.reviewed_by = actor.telegram_id or 0
        session.add(row)
        audit(
            session,
            actor.telegram_id,
            "red_flag_review",
            month=month.isoformat(),
            flag=flag_key,
            verdict=str(verdict),
        )


async def month_flags(
    session: AsyncSession,
    *,
    actor: Roles,
    month: date,
    policy: RedFlagPolicy,
    quota: QuotaPolicy,
) -> list[Flag]:
    """The month's red flags for administrators and the inspectorate (others are refused)."""
    actor.require(RoleKind.ADMIN, RoleKind.INSPECTORATE)
    return await red_flags(
        session,
        month,
        tz=quota.tz,
        policy=policy,
        default_deadline=quota.deadline_day,
        default_minimum=quota.default_minimum,
    )
