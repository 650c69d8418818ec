"""A small city for compliance and report tests, and an independent computation of its figures.

The expected figures are computed here in plain Python over the orders the test created, so
that a report's SQL can be checked against something that shares no code with it.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    BuyerKind,
    Merchant,
    Order,
    OrderItem,
    Product,
    QuotaExemption,
    RosterEntry,
    User,
)
from models.enums import PAID_STATUSES
from services.quota import month_bounds, set_minimum
from tests import factories as f

WIB = ZoneInfo("Asia/Jakarta")
NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
OPDS = ("Bappeda", "Dinas Kesehatan", "Diskominfo")
CLASSES = ("I", "II", "III", "IV", "PPPK")
MINIMUMS = {"I": 200_000, "II": 300_000, "III": 500_000, "IV": 700_000, "PPPK": 250_000}
GOLONGAN = {"I": "I/c", "II": "II/b", "III": "III/a", "IV": "IV/a", "PPPK": "PPPK IX"}


def nip_of(i: int) -> str:
    """A valid NIP (PNS) or NI PPPK for the i-th ASN of the world (class by position)."""
    if CLASSES[i % len(CLASSES)] == "PPPK":
        return f"198503122022211{i + 1:03d}"
    return f"198503122010011{i + 1:03d}"


@dataclass
class World:
    roster: list[RosterEntry] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)  # by NIP
    general: User | None = None
    merchants: list[Merchant] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    categories: dict[int, str] = field(default_factory=dict)  # product id -> category slug
    order_category: dict[int, str] = field(default_factory=dict)  # order id -> category slug
    exempt: dict[date, set[str]] = field(default_factory=dict)


async def build_world(session: AsyncSession, *, seed: int = 7, asn: int = 18) -> World:
    rng = random.Random(seed)
    world = World()
    for cls, amount in MINIMUMS.items():
        await set_minimum(session, cls, amount, valid_from=date(2000, 1, 1))
    for i in range(asn):
        cls = CLASSES[i % len(CLASSES)]
        entry = await f.roster(
            session,
            nip_of(i),
            name=f"ASN {i:02d}",
            opd=OPDS[i % len(OPDS)],
            golongan=GOLONGAN[cls],
            quota_class=cls,
            phone=None,
            active=i != asn - 1,  # the last one left the roster
        )
        world.roster.append(entry)
        if i % 4 != 3:
            user = User(
                telegram_id=50_000 + i,
                first_name=f"ASN{i}",
                kind=BuyerKind.ASN,
                nip=entry.nip,
                full_name=entry.name,
                language="en",
            )
            session.add(user)
            await session.commit()
            world.users[entry.nip] = user
    world.general = User(
        telegram_id=59_999, first_name="Umum", kind=BuyerKind.GENERAL, language="en"
    )
    session.add(world.general)
    await session.commit()
    slugs = ("kuliner", "fesyen", "kriya")
    for m in range(4):
        shop = await f.merchant(
            session, name=f"Toko {m}", code=f"T{m:02d}", phone=f"+62813111100{m:02d}"
        )
        world.merchants.append(shop)
        for slug in slugs:
            product = await f.product(
                session, shop, name=f"Produk {slug} {m}", price=25_000, category_slug=slug
            )
            world.products.append(product)
            world.categories[product.id] = slug
    # The last merchant never sells anything.
    selling = [p for p in world.products if p.merchant_id != world.merchants[-1].id]
    # Exemptions: one ASN for October to December, one for September only.
    session.add(
        QuotaExemption(nip=nip_of(2), from_month=OCT, to_month=date(2026, 12, 1), reason="study")
    )
    session.add(
        QuotaExemption(
            nip=nip_of(4), from_month=date(2026, 9, 1), to_month=date(2026, 9, 1), reason="leave"
        )
    )
    await session.commit()
    world.exempt = {OCT: {nip_of(2)}, NOV: {nip_of(2)}}

    seq = 0

    async def order(buyer: User, counts: bool, month: date, status: str) -> None:
        nonlocal seq
        seq += 1
        product = rng.choice(selling)
        qty = rng.randint(1, 12)
        start, end = month_bounds(month, WIB)
        when = start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds()) - 1))
        paid = status in PAID_STATUSES or status == "refunded"
        row = Order(
            buyer_id=buyer.id,
            merchant_id=product.merchant_id,
            status=status,
            total=product.price * qty,
            counts_for_quota=counts,
            buyer_nip=buyer.nip if counts else None,
            checkout_key=f"w{seq}",
            created_at=when - timedelta(hours=1),
            paid_at=when if paid else None,
            refunded_at=when + timedelta(hours=2) if status == "refunded" else None,
        )
        session.add(row)
        await session.flush()
        session.add(
            OrderItem(
                order_id=row.id,
                product_id=product.id,
                name=product.name,
                unit=product.unit,
                price=product.price,
                quantity=qty,
            )
        )
        world.orders.append(row)
        world.order_category[row.id] = world.categories[product.id]

    statuses = ["paid", "completed", "completed", "ready", "refunded", "accepted", "rejected"]
    statuses += ["completed"] * 3
    for user in world.users.values():
        for month in (OCT, NOV):
            for _ in range(rng.randint(1, 6)):
                await order(user, True, month, rng.choice(statuses))
    for month in (OCT, NOV):
        for _ in range(4):
            await order(world.general, False, month, rng.choice(statuses))
    await session.commit()
    return world


@dataclass
class Expected:
    roster: int
    registered: int
    exempt: int
    compliant: int
    counted_spend: int
    total_paid: int
    median: float
    merchants_with_sales: int
    merchants_without_sales: int
    categories: dict[str, int]
    per_opd: dict[str, tuple[int, int, int, int]]  # asn, exempt, compliant, spent
    spent: dict[str, int]


def expected(world: World, month: date, *, opd: str | None = None) -> Expected:
    """The month's figures computed from the test's own objects."""
    start, end = month_bounds(month, WIB)

    def paid_in_month(o: Order) -> bool:
        return o.status in PAID_STATUSES and o.paid_at is not None and start <= o.paid_at < end

    in_scope = {e.nip for e in world.roster if opd is None or e.opd == opd}
    active = [e for e in world.roster if e.active and e.nip in in_scope]
    exempt = world.exempt.get(month, set())
    spent = {e.nip: 0 for e in active}
    for o in world.orders:
        if o.counts_for_quota and paid_in_month(o) and o.buyer_nip in spent:
            spent[o.buyer_nip] += o.total
    compliant = {
        e.nip for e in active if e.nip not in exempt and spent[e.nip] >= MINIMUMS[e.quota_class]
    }
    per_opd = {}
    for name in {e.opd for e in active}:
        members = [e for e in active if e.opd == name]
        per_opd[name] = (
            len(members),
            sum(e.nip in exempt for e in members),
            sum(e.nip in compliant for e in members),
            sum(spent[e.nip] for e in members),
        )
    scoped_orders = [
        o for o in world.orders if paid_in_month(o) and (opd is None or (o.buyer_nip in in_scope))
    ]
    categories: dict[str, int] = {}
    for o in scoped_orders:
        slug = world.order_category[o.id]
        categories[slug] = categories.get(slug, 0) + o.total
    sellers = {o.merchant_id for o in scoped_orders}
    subject = [spent[e.nip] for e in active if e.nip not in exempt]
    return Expected(
        roster=len(active),
        registered=sum(e.nip in world.users for e in active),
        exempt=sum(e.nip in exempt for e in active),
        compliant=len(compliant),
        counted_spend=sum(spent.values()),
        total_paid=sum(o.total for o in scoped_orders),
        median=float(statistics.median(subject)) if subject else 0.0,
        merchants_with_sales=len(sellers),
        merchants_without_sales=len([m for m in world.merchants if m.id not in sellers]),
        categories=categories,
        per_opd=per_opd,
        spent=spent,
    )


def at(day: int, hour: int = 10, month: date = NOV) -> datetime:
    """A moment in WIB as aware UTC."""
    return datetime(month.year, month.month, day, hour, tzinfo=WIB).astimezone(UTC)
