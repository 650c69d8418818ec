"""A product's price history (services.price_history): who may read it, pages newest first,
and which products of a flag's orders had their price raised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models import MerchantMember, PriceChange, User
from services.errors import Forbidden
from services.price_history import (
    oversight_price_history,
    owner_price_history,
    raised_products,
)
from services.roles import RoleKind, Roles
from tests import factories as f
from views.i18n import get_i18n
from views.price_history import raised_chooser

ADMIN = Roles(900, frozenset({RoleKind.ADMIN}))
INSPECTOR = Roles(950, frozenset({RoleKind.INSPECTORATE}))
OPD = Roles(960, frozenset({RoleKind.OPD_OPERATOR}), "Dinkes")


def utc(day: int) -> datetime:
    return datetime(2026, 11, day, 3, tzinfo=UTC)


async def _person(session, telegram_id: int, shop, role: str | None) -> User:
    user = User(telegram_id=telegram_id, first_name=f"U{telegram_id}")
    session.add(user)
    await session.commit()
    if role is not None:
        session.add(MerchantMember(merchant_id=shop.id, user_id=user.id, role=role))
        await session.commit()
    return user


async def test_pages_newest_first_and_only_the_owner_or_oversight_reads(session):
    shop = await f.merchant(session, code="S1")
    product = await f.product(session, shop, name="Kain", price=30_000)
    owner = await _person(session, 1, shop, "owner")
    staff = await _person(session, 2, shop, "staff")
    stranger = await _person(session, 3, shop, None)
    for day in range(1, 6):
        session.add(
            PriceChange(
                product_id=product.id,
                old_price=day * 1_000,
                new_price=day * 1_000 + 500,
                changed_by=owner.id if day % 2 else None,
                source="chat" if day % 2 else "import",
                at=utc(day),
            )
        )
    await session.commit()

    first = await owner_price_history(session, owner, product.id, page=0, page_size=2)
    assert (first.total, first.pages, first.page) == (5, 3, 0)
    assert [(e.at.day, e.changed_by, e.source) for e in first.entries] == [
        (5, "U1", "chat"),
        (4, None, "import"),
    ]
    last = await owner_price_history(session, owner, product.id, page=99, page_size=2)
    assert last.page == 2 and [e.old_price for e in last.entries] == [1_000]

    for outsider in (staff, stranger):
        with pytest.raises(Forbidden):
            await owner_price_history(session, outsider, product.id)
    for reader in (ADMIN, INSPECTOR):
        seen = await oversight_price_history(session, actor=reader, product_id=product.id)
        assert seen.total == 5 and seen.merchant_code == "S1"
    for outsider in (OPD, Roles(3, frozenset({RoleKind.SHOP_OWNER}))):
        with pytest.raises(Forbidden):
            await oversight_price_history(session, actor=outsider, product_id=product.id)


async def test_raised_products_of_a_flag_and_the_chooser(session):
    shop = await f.merchant(session, code="S1")
    raised_b = await f.product(session, shop, name="Tas", price=400_000)
    raised_a = await f.product(session, shop, name="Kain", price=600_000)
    lowered = await f.product(session, shop, name="Batik", price=100_000)
    untouched = await f.product(session, shop, name="Dompet", price=90_000)
    elsewhere = await f.product(session, shop, name="Sepatu", price=300_000)
    for product, old, new in (
        (raised_b, 300_000, 400_000),
        (raised_a, 500_000, 600_000),
        (lowered, 150_000, 100_000),
        (elsewhere, 200_000, 300_000),
    ):
        session.add(PriceChange(product_id=product.id, old_price=old, new_price=new, at=utc(2)))
    await session.commit()
    buyer = await f.asn_user(session, 8001, nip="198503122010010001")
    orders = [
        (await f.order(session, buyer, p, status="completed")).id
        for p in (raised_b, raised_a, lowered, untouched)
    ]

    found = await raised_products(session, actor=INSPECTOR, order_ids=orders)
    assert [p.name for p in found] == ["Kain", "Tas"]
    with pytest.raises(Forbidden):
        await raised_products(session, actor=OPD, order_ids=orders)

    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text, markup = raised_chooser(found, number=3, month=202611, back=0)
    assert "Flag 3" in text
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["Kain"], ["Tas"], ["⬅️ Red flags"]]
    assert markup.inline_keyboard[0][0].callback_data == f"tp:202611:0:{raised_a.id}:0"
