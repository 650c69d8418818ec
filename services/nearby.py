"""Shops near you, by place: the kecamatan of Kota Malang (the ASN's own from the roster first)
and the open shops in each (all, or one kelurahan's), in the fair order (fewer orders this month
first, rotated by day), with their kelurahan; a shop's visible products page by page.

By distance (:func:`nearest`): the open shops nearest to a shared location first (haversine),
shops within `SAME_DISTANCE_KM` of each other counting as equally near and put in the fair
order among themselves. A shop without coordinates is placed at its kelurahan's centroid (else
its kecamatan's; services.geo, from the Kemendagri boundaries); a shop whose place is not known
at all is listed after the others, its distance unknown."""

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
from services.geo import Point, distance_km, place_centroid
from services.text import normalize_key
from services.wilayah import list_kecamatan, list_kelurahan

MAX_SHOPS = 40
SAME_DISTANCE_KM = 0.5


@dataclass(frozen=True)
class NearbyShop:
    id: int
    name: str
    kelurahan: str
    products: int
    kecamatan: str = ""
    lat: float | None = None
    lon: float | None = None
    distance_km: float | None = None  # from the shared location (nearest())
    estimated: bool = False  # placed at its kelurahan's/kecamatan's centroid


def kecamatan_choices(home: str | None) -> list[str]:
    """The five kecamatan, the ASN's own (`home`, as the roster spells it) first."""
    names = list_kecamatan()
    if home:
        key = normalize_key(home)
        names.sort(key=lambda name: normalize_key(name) != key)
    return names


def kelurahan_choices(kecamatan: str) -> list[str]:
    """The kelurahan of a kecamatan (canonical names, sorted)."""
    key = normalize_key(kecamatan)
    return [k.name for k in list_kelurahan() if normalize_key(k.kecamatan) == key]


async def _open_shops(session: AsyncSession, standing: Standing) -> list[NearbyShop]:
    """Every open shop that has something to show (capped shops hidden when so set)."""
    rows = (
        await session.exec(
            select_columns(
                Merchant.id,
                Merchant.name,
                Merchant.kelurahan,
                Merchant.kecamatan,
                Merchant.lat,
                Merchant.lon,
                func.count(),
            )
            .join(Product, col(Product.merchant_id) == col(Merchant.id))
            .where(visible_product_clause())
            .group_by(
                col(Merchant.id),
                col(Merchant.name),
                col(Merchant.kelurahan),
                col(Merchant.kecamatan),
                col(Merchant.lat),
                col(Merchant.lon),
            )
        )
    ).all()
    return [
        NearbyShop(m_id or 0, name, kelurahan, int(count), place, lat, lon)
        for m_id, name, kelurahan, place, lat, lon, count in rows
        if not standing.hidden(m_id or 0)
    ]


async def shops_in(
    session: AsyncSession, kecamatan: str, standing: Standing, kelurahan: str | None = None
) -> list[NearbyShop]:
    """The open shops of a kecamatan (or of one of its kelurahan) that have something to show
    (at most MAX_SHOPS), in the fair order."""
    key = normalize_key(kecamatan)
    sub = normalize_key(kelurahan) if kelurahan else None
    shops = [
        shop
        for shop in await _open_shops(session, standing)
        if normalize_key(shop.kecamatan) == key
        and (sub is None or normalize_key(shop.kelurahan) == sub)
    ]
    ordered = rotate_ties(
        shops,
        key=lambda s: (standing.is_capped(s.id), standing.band(s.id)),
        stable=lambda s: (s.id,),
        offset=rotation_offset(standing.day, f"k{key}{sub or ''}"),
    )
    return ordered[:MAX_SHOPS]


def _placed(shop: NearbyShop) -> tuple[Point | None, bool]:
    """The shop's point: its own, else its kelurahan's or kecamatan's centroid (estimated)."""
    if shop.lat is not None and shop.lon is not None:
        return Point(shop.lat, shop.lon), False
    guess = place_centroid(shop.kecamatan, shop.kelurahan)
    return guess, guess is not None


def order_by_distance(
    shops: list[NearbyShop], here: Point, standing: Standing
) -> list[NearbyShop]:
    """`shops` nearest first (module doc), each with its distance; capped shops last."""
    measured = []
    for shop in shops:
        point, estimated = _placed(shop)
        distance = None if point is None else distance_km(here, point)
        measured.append(
            NearbyShop(
                shop.id,
                shop.name,
                shop.kelurahan,
                shop.products,
                shop.kecamatan,
                shop.lat,
                shop.lon,
                distance,
                estimated,
            )
        )

    def key(s: NearbyShop) -> tuple[object, ...]:
        far = s.distance_km is None
        step = 0 if s.distance_km is None else int(s.distance_km // SAME_DISTANCE_KM)
        return (standing.is_capped(s.id), far, step, standing.band(s.id))

    return rotate_ties(
        measured,
        key=key,
        stable=lambda s: (s.distance_km or 0.0, s.id),
        offset=rotation_offset(standing.day, "near"),
    )


@dataclass(frozen=True)
class NearestPage:
    shops: list[NearbyShop]
    page: int
    pages: int
    total: int
    first: int  # the number of the page's first shop (1-based)


async def nearest(
    session: AsyncSession, here: Point, standing: Standing, *, page: int = 0, page_size: int = 10
) -> NearestPage:
    """One page of the open shops, nearest to `here` first (an out-of-range page: the last)."""
    ordered = order_by_distance(await _open_shops(session, standing), here, standing)
    pages = max(1, math.ceil(len(ordered) / page_size))
    page = min(max(page, 0), pages - 1)
    start = page * page_size
    return NearestPage(ordered[start : start + page_size], page, pages, len(ordered), start + 1)


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
