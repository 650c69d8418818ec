"""Small builders for test data, written straight through the models."""

from __future__ import annotations

import itertools
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Category, Merchant, Order, OrderItem, Product, RosterEntry, User
from models.enums import BuyerKind

_seq = itertools.count(1)

# Real QRIS payloads (a static one, the dynamic one it makes for Rp15,000), from shared/data.
STATIC_QRIS, DYNAMIC_QRIS_15000 = (
    line.strip()
    for line in (Path(__file__).parent / "data" / "qris_vectors.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)

PNS_NIP = "198503122010011001"
PNS_NIP_2 = "199001152015032002"
PPPK_NIP = "200012312024211001"


async def category(session: AsyncSession, slug: str = "kuliner") -> Category:
    return (await session.exec(select(Category).where(Category.slug == slug))).one()


async def roster(
    session: AsyncSession,
    nip: str = PNS_NIP,
    *,
    name: str = "Budi Santoso",
    opd: str = "Diskominfo",
    golongan: str = "III/a",
    quota_class: str = "III",
    phone: str | None = "+6281234567890",
    active: bool = True,
) -> RosterEntry:
    entry = RosterEntry(
        nip=nip,
        name=name,
        opd=opd,
        golongan=golongan,
        quota_class=quota_class,
        employee_kind="PPPK" if quota_class == "PPPK" else "PNS",
        phone=phone,
        active=active,
    )
    session.add(entry)
    await session.commit()
    return entry


async def merchant(
    session: AsyncSession,
    *,
    name: str = "Keripik Sanan Bu Tin",
    code: str | None = None,
    phone: str = "+6281311112222",
    kecamatan: str = "Blimbing",
    kelurahan: str = "Purwantoro",
    is_open: bool = True,
    status: str = "active",
) -> Merchant:
    shop = Merchant(
        code=code or f"M{next(_seq):03d}",
        name=name,
        nib="1234567890123",
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        address="Jl. Sanan 1",
        phone=phone,
        is_open=is_open,
        status=status,
    )
    session.add(shop)
    await session.commit()
    return shop


async def product(
    session: AsyncSession,
    shop: Merchant,
    *,
    name: str = "Keripik Tempe Sanan",
    price: int = 25_000,
    stock: int = 10,
    unit: str = "bungkus",
    category_slug: str = "kuliner",
    description: str = "Keripik tempe renyah khas Sanan, Malang.",
    name_en: str | None = None,
    photo: str | None = None,
    is_active: bool = True,
) -> Product:
    cat = await category(session, category_slug)
    item = Product(
        merchant_id=shop.id,
        category_id=cat.id,
        name=name,
        price=price,
        stock=stock,
        unit=unit,
        description=description,
        name_en=name_en,
        photo=photo,
        is_active=is_active,
    )
    session.add(item)
    await session.commit()
    return item


async def asn_user(
    session: AsyncSession, telegram_id: int, nip: str = PNS_NIP, **roster_kwargs: object
) -> User:
    """An already registered ASN account (for tests that are not about registration)."""
    entry = await session.get(RosterEntry, nip) or await roster(session, nip, **roster_kwargs)
    user = User(
        telegram_id=telegram_id,
        first_name=entry.name.split()[0],
        kind=BuyerKind.ASN,
        nip=entry.nip,
        full_name=entry.name,
        phone=entry.phone,
    )
    session.add(user)
    await session.commit()
    return user


async def order(
    session: AsyncSession,
    buyer: User,
    item: Product,
    *,
    quantity: int = 1,
    checkout_key: str | None = None,
    **order_fields: object,
) -> Order:
    """An order of ``quantity`` of one product at its price (status and dates in
    ``order_fields``)."""
    row = Order(
        buyer_id=buyer.id,
        merchant_id=item.merchant_id,
        total=item.price * quantity,
        checkout_key=checkout_key or f"k{next(_seq)}",
        **order_fields,
    )
    session.add(row)
    await session.commit()
    session.add(
        OrderItem(
            order_id=row.id,
            product_id=item.id,
            name=item.name,
            unit=item.unit,
            price=item.price,
            quantity=quantity,
        )
    )
    await session.commit()
    return row


async def fresh(session: AsyncSession, model: type, ident: object) -> object:
    """Read a row again from the database, bypassing the session's identity map."""
    return await session.get(model, ident, populate_existing=True)
