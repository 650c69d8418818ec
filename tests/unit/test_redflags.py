"""Red flags (services.redflags): each rule fires on a constructed case, with the orders it rests
on, and nothing fires on a clean month. The expected lists are written out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models import MonthClosing, PriceChange
from services.errors import Forbidden
from services.redflags import RedFlagPolicy, Verdict, red_flags, review
from services.roles import RoleKind, Roles
from tests import factories as f

WIB = ZoneInfo("Asia/Jakarta")
OCT = date(2026, 10, 1)
SEP = date(2026, 9, 1)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def _world(session):
    shops = [
        await f.merchant(session, name=f"Toko {n}", code=f"S{n}", phone=f"+62813111100{n}")
        for n in (1, 2, 3)
    ]
    products = [await f.product(session, shop, name="Barang", price=50_000) for shop in shops]
    people = {}
    for number, letter in enumerate("ABCDEFG"):
        nip = f"19850312201001{number:04d}"
        phone = "+628131111003" if letter == "B" else f"+62812000000{number}"  # B: shop S3's
        people[letter] = await f.asn_user(session, 8000 + number, nip=nip, phone=phone)
    return shops, products, people


async def _order(session, buyer, product, total, created, paid=None, **fields):
    order = await f.order(
        session,
        buyer,
        product,
        status=fields.pop("status", "completed"),
        counts_for_quota=True,
        buyer_nip=buyer.nip,
        created_at=created,
        paid_at=paid or created,
        **fields,
    )
    order.total = total
    session.add(order)
    await session.commit()
    return order.id


async def test_each_rule_fires_on_its_case_and_names_its_orders(session):
    (s1, s2, s3), (p1, p2, p3), who = await _world(session)
    a, b, c, d, e, fx, g = (who[k] for k in "ABCDEFG")
    # Clean September: one order at each shop, at office hours.
    for product in (p1, p2, p3):
        await _order(session, a, product, 100_000, utc(9, 10, 3))

    pair = [await _order(session, a, p1, 100_000, utc(10, day, 3)) for day in (5, 10, 15)]
    await _order(session, a, p2, 50_000, utc(10, 6, 3))
    contact = await _order(session, b, p3, 75_000, utc(10, 8, 3))
    rush = [
        await _order(session, c, p2, 200_000, utc(10, 31, 3)),
        await _order(session, c, p2, 250_000, utc(10, 31, 4)),
    ]
    session.add(
        PriceChange(product_id=p2.id, old_price=400_000, new_price=600_000, at=utc(10, 20, 2))
    )
    await session.commit()
    raised = await _order(session, d, p2, 1_200_000, utc(10, 21, 3))
    await _order(session, e, p1, 500_000, utc(10, 3, 3))
    split = [await _order(session, e, p3, 50_000, utc(10, 12, 3, m)) for m in (0, 10, 20)]
    refunded = await _order(
        session, fx, p1, 300_000, utc(10, 9, 3), status="refunded", refunded_at=utc(11, 5, 3)
    )
    session.add(MonthClosing(month=OCT, closed_at=utc(10, 31, 17, 1)))
    await session.commit()
    night = await _order(session, g, p2, 80_000, utc(10, 14, 16, 30))  # 23:30 WIB

    flags = await red_flags(session, OCT, tz=WIB, policy=RedFlagPolicy())
    got = [(fl.rule.value, fl.nip, fl.merchant_code, list(fl.order_ids)) for fl in flags]
    assert got == [
        ("pair_share", a.nip, "S1", pair),
        ("same_contact", b.nip, "S3", [contact]),
        ("month_end_rush", c.nip, "S2", rush),
        ("price_raise", d.nip, "S2", [raised]),
        ("splitting", e.nip, "S3", split),
        ("late_refund", fx.nip, "S1", [refunded]),
        ("odd_hours", g.nip, "S2", [night]),
    ]
    assert flags[0].amount == 300_000
    assert await red_flags(session, SEP, tz=WIB, policy=RedFlagPolicy()) == []

    # An administrator's verdict stays with the flag; the inspectorate cannot give one.
    admin = Roles(900, frozenset({RoleKind.ADMIN}))
    await review(session, actor=admin, month=OCT, flag_key=flags[3].key, verdict=Verdict.REFERRED)
    again = await red_flags(session, OCT, tz=WIB, policy=RedFlagPolicy())
    assert [fl.verdict for fl in again] == [None, None, None, "referred", None, None, None]
    inspector = Roles(901, frozenset({RoleKind.INSPECTORATE}))
    with pytest.raises(Forbidden):
        await review(
            session, actor=inspector, month=OCT, flag_key=flags[0].key, verdict=Verdict.FINE
        )
