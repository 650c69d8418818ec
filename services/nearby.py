"""Shops near you, by place: the kecamatan of Kota Malang (the ASN's own from the roster first)
and the open shops in each, in the fair order (fewer orders this month first, rotated by day),
with their kelurahan; a shop's visible products page by page."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, MerchantStatus, Product
from models.db import select_columns
from services.catalog import ProductPage, ProductRow, visible_product_clause
from services.errors import NotFound, Refusal
from services.fairness import Standing, rotate_ties, rotation_offset
from services.text import normalize_key
from services.wilayah import list_kecamatan

MAX_SHOPS = 40


@dataclass(frozen=True)
class NearbyShop:
    id: int
    name: str
    kelurahan: str
    products: int


def kecamatan_choices(home: str | None) -> list[str]:
    """The five kecamatan, the ASN's own (`home`, as the roster spells it) first."""
    names = list_kecamatan()
    if home:
        key = normalize_key(home)
        names.sort(key=lambda name: normalize_key(name) != key)
    return names


async def shops_in(session: AsyncSession, kecamatan: str, standing: Standing) -> list[NearbyShop]:
    """The open shops of a kecamatan that have something to show (at most MAX_SHOPS)."""
    rows = (
        await session.exec(
            select_columns(
                Merchant.id, Merchant.name, Merchant.kelurahan, Merchant.kecamatan, func.count()
            )
            .join(Product, col(Product.merchant_id) == col(Merchant.id))
            .where(visible_product_clause())
            .group_by(
                col(Merchant.id),
                col(Merchant.name),
                col(Merchant.kelurahan),
                col(Merchant.kecamatan),
            )
        )
    ).all()
    key = normalize_key(kecamatan)
    shops = [
        NearbyShop(m_id or 0, name, kelurahan, int(count))
        for m_id, name, kelurahan, place, count in rows
        if normalize_key(place) == key and not standing.hidden(m_id or 0)
    ]
    ordered = rotate_ties(
        shops,
        key=lambda s: (standing.is_capped(s.id), standing.band(s.id)),
        stable=lambda s: (s.id,),
        offset=rotation_offset(standing.day, f"k{key}"),
    )
    return ordered[:MAX_SHOPS]


async def shop_page(
    session: AsyncSession, merchant_id: int, *, page: int, page_size: int
) -> tuple[Merchant, ProductPage]:
    """An open shop and one page of its visible products (in stock first, then by name)."""
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None or merchant.status != MerchantStatus.ACTIVE or not merchant.is_open:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    rows = (
        await session.exec(
            select(Product)
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(col(Product.merchant_id) == merchant_id, visible_product_clause())
            .order_by((col(Product.stock) > 0).desc(), col(Product.name), col(Product.id))
        )
    ).all()
    pages = max(1, math.ceil(len(rows) / page_size))
    page = min(max(page, 0), pages - 1)
    items = [
        ProductRow(p.id or 0, p.name, p.name_en, p.price, p.unit, p.stock)
        for p in rows[page * page_size : (page + 1) * page_size]
    ]
    return merchant, ProductPage(items, page, pages, len(rows))
