"""The monthly rollups (models/rollups.py) always equal the sums computed from the orders.

Random sequences of what happens to orders (placed, accepted, paid, made ready or shipped,
completed, cancelled, rejected, refunded; inserted already paid as an import does; a line added
or removed; a product moved to another category), at instants on both sides of WIB month
boundaries, on SQLite and PostgreSQL. After each sequence the rollup tables equal a recomputation
in Python from the orders, and what reports, the closing and the reminders read from them
equals what they read from the orders.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import col, func, select

from models import (
    MerchantMember,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ProductSalesMonth,
    QuotaSpendMonth,
    ShopSalesMonth,
    User,
)
from models.db import Database
from models.enums import PAID_STATUSES, MemberRole
from models.rollups import rollup_bounds
from services import orders, refunds
from services.categories import ensure_categories
from services.compliance import counted_spend, paid_spend
from services.errors import Forbidden, ServiceError
from services.reports import _money_figures, _paid_in
from services.roles import roles_of
from tests import factories as f
from tests.conftest import _truncate

ADMIN_ID = 4242
WIB = timedelta(hours=7)
# Around the WIB month boundaries: 31 Oct 23:59:59 WIB, 1 Nov 00:00 WIB, mid-November,
# 30 Nov 23:59 WIB and 1 Dec 00:00 WIB.
INSTANTS = (
    datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC),
    datetime(2026, 10, 31, 17, 0, tzinfo=UTC),
    datetime(2026, 11, 15, 3, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 16, 59, tzinfo=UTC),
    datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
)
MONTHS = (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1))
STEPS = ("accept", "pay", "ready", "ship", "complete", "cancel", "reject", "refund")

instant = st.sampled_from(INSTANTS)
lines = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=3)
operation = st.one_of(
    st.tuples(st.just("place"), st.integers(0, 2), st.integers(0, 1), lines),
    st.tuples(st.just("import"), st.integers(0, 2), st.integers(0, 1), lines, instant),
    st.tuples(st.just("step"), st.integers(0, 30), st.sampled_from(STEPS), instant),
    st.tuples(st.just("add_line"), st.integers(0, 30), st.integers(0, 3), st.integers(1, 3)),
    st.tuples(st.just("drop_line"), st.integers(0, 30)),
    st.tuples(st.just("recategorize"), st.integers(0, 3), st.sampled_from(["kuliner", "fesyen"])),
)


async def _world(session) -> dict:
    """Two shops with two products each (their owners), two ASN and a general buyer."""
    shops, products, owners = [], [], []
    for n in range(2):
        shop = await f.merchant(session, name=f"Toko {n}", phone=f"+62813111100{n}")
        owner = User(telegram_id=3000 + n, first_name=f"Owner{n}")
        session.add(owner)
        await session.commit()
        session.add(MerchantMember(merchant_id=shop.id, user_id=owner.id, role=MemberRole.OWNER))
        await session.commit()
        shops.append(shop.id)
        owners.append(owner.id)
        for k in range(2):
            item = await f.product(session, shop, name=f"Produk {n}{k}", price=10_000 * (k + 1))
            products.append((item.id, shop.id, item.price))
    asn = [
        await f.asn_user(session, 1001, f.PNS_NIP),
        await f.asn_user(session, 1002, f.PNS_NIP_2),
    ]
    general = User(telegram_id=1003, first_name="Umum")
    admin = User(telegram_id=ADMIN_ID, first_name="Admin")
    session.add_all([general, admin])
    await session.commit()
    buyers = [(u.id, u.nip) for u in asn] + [(general.id, None)]
    return {"shops": shops, "owners": owners, "products": products, "buyers": buyers,
            "admin": admin.id, "orders": []}  # fmt: skip


async def _place(session, world: dict, buyer: int, shop: int, wanted: list, **fields) -> None:
    buyer_id, nip = world["buyers"][buyer]
    items = [world["products"][2 * shop + k % 2] for k, _q in wanted]
    order = Order(
        buyer_id=buyer_id,
        merchant_id=world["shops"][shop],
        total=sum(price * q for (_i, _s, price), (_k, q) in zip(items, wanted, strict=True)),
        counts_for_quota=nip is not None,
        buyer_nip=nip,
        checkout_key=f"k{len(world['orders'])}",
        **fields,
    )
    session.add(order)
    await session.flush()
    session.add_all(
        OrderItem(order_id=order.id, product_id=pid, name="x", unit="pcs", price=price, quantity=q)
        for (pid, _s, price), (_k, q) in zip(items, wanted, strict=True)
    )
    await session.commit()
    world["orders"].append((order.id, shop))


async def _step(session, world: dict, index: int, action: str, now: datetime) -> None:
    if not world["orders"]:
        return
    order_id, shop = world["orders"][index % len(world["orders"])]
    actor_id = world["admin"] if action == "refund" else world["owners"][shop]
    if action == "cancel":
        order = await session.get(Order, order_id)
        actor_id = order.buyer_id if order is not None else actor_id
    actor = await session.get(User, actor_id)
    assert actor is not None
    roles = await roles_of(session, actor.telegram_id, frozenset({ADMIN_ID}))
    try:
        if action == "refund":
            await refunds.refund(session, order_id, actor=actor, roles=roles, reason="x", now=now)
        else:
            await orders.transition(
                session, order_id, action, actor=actor, roles=roles, reason="habis", now=now
            )
    except (Forbidden, ServiceError):
        await session.rollback()  # a step the order's status does not allow: nothing changed


async def _apply(session, world: dict, op: tuple) -> None:
    kind = op[0]
    if kind == "place":
        await _place(session, world, op[1], op[2], op[3])
    elif kind == "import":  # written already paid, as an import or a test fixture does
        await _place(session, world, op[1], op[2], op[3], status="completed", paid_at=op[4])
    elif kind == "step":
        await _step(session, world, op[1], op[2], op[3])
    elif kind == "add_line" and world["orders"]:
        order_id, shop = world["orders"][op[1] % len(world["orders"])]
        pid, _s, price = world["products"][2 * shop + op[2] % 2]
        session.add(
            OrderItem(
                order_id=order_id,
                product_id=pid,
                name="x",
                unit="pcs",
                price=price,
                quantity=op[3],
            )  # fmt: skip
        )
        await session.commit()
    elif kind == "drop_line" and world["orders"]:
        order_id, _shop = world["orders"][op[1] % len(world["orders"])]
        first = (
            await session.exec(
                select(func.min(OrderItem.id)).where(OrderItem.order_id == order_id)
            )
        ).one()
        if first is not None:
            await session.exec(delete(OrderItem).where(col(OrderItem.id) == first))
            await session.commit()
    elif kind == "recategorize":
        category = await f.category(session, op[2])
        await session.exec(
            update(Product)
            .where(col(Product.id) == world["products"][op[1]][0])
            .values(category_id=category.id)
        )
        await session.commit()


def _month(paid_at: datetime) -> date:
    return (paid_at.astimezone(UTC) + WIB).date().replace(day=1)


async def _recomputed(session) -> tuple[dict, dict, dict]:
    """The rollups computed in Python from every order and line."""
    quota: dict = defaultdict(int)
    shops: dict = defaultdict(lambda: [0, 0])
    products: dict = defaultdict(lambda: [0, 0])
    paid = {}
    for o in (await session.exec(select(Order))).all():
        if o.status in PAID_STATUSES and o.paid_at is not None:
            month = _month(o.paid_at)
            paid[o.id] = month
            shops[(month, o.merchant_id)][0] += 1
            shops[(month, o.merchant_id)][1] += o.total
            if o.counts_for_quota and o.buyer_nip is not None:
                quota[(month, o.buyer_nip)] += o.total
    for i in (await session.exec(select(OrderItem))).all():
        if i.order_id in paid:
            key = (paid[i.order_id], i.product_id or 0)
            products[key][0] += 1
            products[key][1] += i.price * i.quantity
    return (
        {k: v for k, v in quota.items() if v},
        {k: tuple(v) for k, v in shops.items() if v[0]},
        {k: tuple(v) for k, v in products.items() if v[0]},
    )


async def _stored(session) -> tuple[dict, dict, dict]:
    quota = {(r.month, r.nip): r.spent for r in (await session.exec(select(QuotaSpendMonth)))}
    shops = {
        (r.month, r.merchant_id): (r.orders, r.sales)
        for r in (await session.exec(select(ShopSalesMonth)))
    }
    products = {
        (r.month, r.product_id): (r.lines, r.amount)
        for r in (await session.exec(select(ProductSalesMonth)))
    }
    # Rows that went back to nothing stay, at zero.
    assert all(sales == 0 for n, sales in shops.values() if n == 0), shops
    assert all(amount == 0 for n, amount in products.values() if n == 0), products
    return (
        {k: v for k, v in quota.items() if v},
        {k: v for k, v in shops.items() if v[0]},
        {k: v for k, v in products.items() if v[0]},
    )


async def _spend(session, subquery) -> dict:
    rows = (await session.exec(select(subquery.c.nip, subquery.c.spent))).all()
    return {nip: int(spent) for nip, spent in rows if spent}


async def _readers_agree(session) -> None:
    """What the services read from the rollups equals what they read from the orders."""
    for month in MONTHS:
        start, end = rollup_bounds(month)
        paid = _paid_in(start, end, None)
        assert await _money_figures(session, month, paid, True) == await _money_figures(
            session, month, paid, False
        )
        # The whole month; a deadline before its end; one moved into the next month.
        for cutoff in (end, end - timedelta(days=15, hours=3), end + timedelta(days=1)):
            from_rollup = await _spend(session, counted_spend(month, start, cutoff, rollup=True))
            assert from_rollup == await _spend(session, paid_spend(start, cutoff)), cutoff


async def _check(url: str, ops: list[tuple]) -> None:
    database = Database(url)
    try:
        await _truncate(database)
        async with database.session() as session:
            await ensure_categories(session)
            world = await _world(session)
            for op in ops:
                await _apply(session, world, op)
            assert await _stored(session) == await _recomputed(session)
            await _readers_agree(session)
    finally:
        await database.dispose()


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=30))
def test_the_rollups_equal_the_orders_after_any_sequence(db_url: str, ops: list[tuple]) -> None:
    asyncio.run(_check(db_url, ops))


def test_a_paid_order_counts_in_the_wib_month_it_was_paid(db_url: str) -> None:
    """Paid at 23:59:59 WIB on 31 October: October's; at 00:00 WIB on 1 November: November's;
    refunded: in neither."""
    ops = [
        ("place", 0, 0, [(0, 1)]),
        ("place", 0, 0, [(1, 2)]),
        ("step", 0, "accept", INSTANTS[0]),
        ("step", 0, "pay", INSTANTS[0]),
        ("step", 1, "accept", INSTANTS[1]),
        ("step", 1, "pay", INSTANTS[1]),
    ]

    async def run() -> None:
        await _check(db_url, ops)
        database = Database(db_url)
        try:
            async with database.session() as session:
                quota, shops, _products = await _stored(session)
                assert quota == {(MONTHS[0], f.PNS_NIP): 10_000, (MONTHS[1], f.PNS_NIP): 40_000}
                order_id, shop_id = (
                    await session.exec(
                        select(Order.id, Order.merchant_id).where(Order.total == 40_000)
                    )
                ).one()
                admin = await session.get(User, await _admin_id(session))
                assert admin is not None
                roles = await roles_of(session, ADMIN_ID, frozenset({ADMIN_ID}))
                await refunds.refund(session, order_id, actor=admin, roles=roles, reason="x")
                quota, shops, _products = await _stored(session)
                assert quota == {(MONTHS[0], f.PNS_NIP): 10_000}
                assert shops == {(MONTHS[0], shop_id): (1, 10_000)}
                assert (
                    await session.exec(select(Order.status).where(Order.id == order_id))
                ).one() == OrderStatus.REFUNDED
        finally:
            await database.dispose()

    asyncio.run(run())


async def _admin_id(session) -> int:
    admin = (await session.exec(select(User).where(User.telegram_id == ADMIN_ID))).one()
    assert admin.id is not None
    return admin.id
