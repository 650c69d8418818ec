"""Browsing the catalog: what a buyer may see, page by page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from models import Category, Merchant, MerchantStatus, Product
from models.db import begin_write, select_columns
from services import categories
from services.errors import NotFound, Refusal
from services.fairness import Listed, Standing, fair_order


def visible_product_clause() -> ColumnElement[bool]:
    """Products a buyer may see: active and not deleted, of an active and open merchant."""
    return (
        (col(Product.is_active).is_(True))
        & (col(Product.deleted_at).is_(None))
        & (col(Merchant.status) == MerchantStatus.ACTIVE)
        & (col(Merchant.is_open).is_(True))
    )


@dataclass(frozen=True)
class ProductRow:
    id: int
    name: str
    name_en: str | None
    price: int
    unit: str
    stock: int


@dataclass(frozen=True)
class ProductPage:
    items: list[ProductRow]
    page: int
    pages: int
    total: int
    # When the order may change without any change of the data (a product stops being
    # "fresh"): a cached page is stale from then on. None: not before the data changes.
    valid_until: datetime | None = None


@dataclass(frozen=True)
class ProductCard:
    product: Product
    merchant: Merchant
    category: Category
    visible: bool


@cache
def _category_page_query() -> Select[*tuple[Any, ...]]:
    """One page of a category (built once: building the statement cost more than running it)."""
    return (
        select_columns(
            Product.id,
            Product.name,
            Product.name_en,
            Product.price,
            Product.unit,
            Product.stock,
            func.count().over(),
        )
        .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
        .where(col(Product.category_id) == bindparam("category_id"), visible_product_clause())
        .order_by((col(Product.stock) > 0).desc(), col(Product.name), col(Product.id))
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


@cache
def _category_count_query() -> SelectOfScalar[int]:
    base = (
        select(Product.id)
        .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
        .where(col(Product.category_id) == bindparam("category_id"), visible_product_clause())
    )
    return select(func.count()).select_from(base.subquery())


@dataclass(frozen=True)
class FairOrder:
    """A category's visible products in the fair order (every page is a slice of it), and
    when that order may change without a change of the data (`ProductPage.valid_until`)."""

    rows: list[ProductRow]
    valid_until: datetime | None


async def fair_category_order(
    session: AsyncSession, category_id: int, standing: Standing
) -> FairOrder:
    """A category in the fair order (services.fairness): in stock first, capped shops last
    (or hidden), round the shops, fewer sales this month and fresher first, rotated."""
    rows = (
        await session.exec(
            select_columns(
                Product.id,
                Product.name,
                Product.name_en,
                Product.price,
                Product.unit,
                Product.stock,
                Product.merchant_id,
                Product.created_at,
            )
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(col(Product.category_id) == category_id, visible_product_clause())
        )
    ).all()
    ordered = fair_order(
        rows,
        lambda r: Listed(r[0], r[6], r[5] > 0, r[7], (r[5] <= 0,), r[1]),
        standing,
        salt=f"c{category_id}",
        round_robin=True,
    )
    valid_until = standing.fresh_until(r[7] for r in rows)
    return FairOrder([ProductRow(*r[:6]) for r in ordered], valid_until)


def fair_page(order: FairOrder, *, page: int, page_size: int) -> ProductPage:
    """One page of a category in the fair order (a page past the end: the last one)."""
    total = len(order.rows)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    chosen = order.rows[page * page_size : (page + 1) * page_size]
    return ProductPage(chosen, page, pages, total, order.valid_until)


async def _fair_category_page(
    session: AsyncSession, category_id: int, *, page: int, page_size: int, standing: Standing
) -> ProductPage:
    order = await fair_category_order(session, category_id, standing)
    return fair_page(order, page=page, page_size=page_size)


async def category_page(
    session: AsyncSession,
    category_id: int,
    *,
    page: int,
    page_size: int,
    standing: Standing | None = None,
) -> ProductPage:
    """One page of a category's visible products: in stock first, then by name; with this
    month's `standing`, in the fair order instead (`_fair_category_page`).

    The page and the number of matching products come from one query (a window count): the
    products of the category are read and joined once, not twice. Only a page past the end
    (products hidden since the buttons were made) needs the count first, to show the last page.
    """

    async def read(number: int) -> Sequence[tuple[Any, ...]]:
        params = {"category_id": category_id, "offset": number * page_size, "limit": page_size}
        return (await session.exec(_category_page_query(), params=params)).all()

    if standing is not None:
        return await _fair_category_page(
            session, category_id, page=page, page_size=page_size, standing=standing
        )
    page = max(page, 0)
    rows = await read(page)
    if rows:
        total = rows[0][-1]
    else:
        query = _category_count_query()
        total = (await session.exec(query, params={"category_id": category_id})).one()
    pages = max(1, math.ceil(total / page_size))
    if page > pages - 1:
        page = pages - 1
        rows = await read(page) if total else []
    return ProductPage([ProductRow(*row[:-1]) for row in rows], page, pages, total)


async def get_category(session: AsyncSession, category_id: int) -> Category:
    category = await categories.get_category(session, category_id)
    if category is None:
        raise NotFound(Refusal.CATEGORY_NOT_FOUND)
    return category


@cache
def _product_card_query() -> Select[Product, Merchant, Category]:
    return (
        select(Product, Merchant, Category)
        .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
        .join(Category, col(Category.id) == col(Product.category_id))
        .where(col(Product.id) == bindparam("product_id"))
    )


async def product_card(session: AsyncSession, product_id: int) -> ProductCard:
    """A product with its merchant and category; `visible` says whether buyers may see it."""
    row = (await session.exec(_product_card_query(), params={"product_id": product_id})).first()
    if row is None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    product, merchant, category = row
    visible = (
        product.is_active
        and product.deleted_at is None
        and merchant.status == MerchantStatus.ACTIVE
        and merchant.is_open
    )
    return ProductCard(product, merchant, category, visible)


async def remember_photo_file_id(session: AsyncSession, product_id: int, file_id: str) -> None:
    """Cache Telegram's file_id after the first upload of a product photo."""
    await begin_write(session)
    product = await session.get(Product, product_id)
    if product is not None and product.photo_file_id != file_id:
        product.photo_file_id = file_id
        session.add(product)
        await session.commit()


def detached(card: ProductCard) -> ProductCard:
    """A copy of `card` that belongs to no session (kept across updates by a screen cache:
    nothing one update's session does to its rows reaches it)."""
    return ProductCard(
        Product.model_validate(card.product.model_dump()),
        Merchant.model_validate(card.merchant.model_dump()),
        Category.model_validate(card.category.model_dump()),
        card.visible,
    )
