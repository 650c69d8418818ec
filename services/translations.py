"""The translation queue for administrators: products whose English text is missing or older
than the Indonesian one (and the few with an English description but no Indonesian one).
Administrators write the translation themselves in a guided edit: nothing is machine-translated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, Product
from models.db import write_transaction
from services.admins import audit
from services.errors import NotFound, Refusal
from services.products import parse_description, parse_name
from services.roles import Roles


@dataclass(frozen=True)
class QueueItem:
    product: Product
    merchant: Merchant
    need: str  # "en": English missing or outdated; "id": Indonesian description missing


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    page: int
    pages: int
    total: int


def _needs_en() -> ColumnElement[bool]:
    return or_(
        col(Product.name_en).is_(None),
        col(Product.description_en).is_(None),
        col(Product.text_en_at) < col(Product.text_id_at),
    )


def _needs_id() -> ColumnElement[bool]:
    return and_(col(Product.description) == "", col(Product.description_en).is_not(None))


async def queue(
    session: AsyncSession, *, actor: Roles, page: int, page_size: int = 8
) -> QueuePage:
    actor.require_admin()
    where = (
        col(Product.deleted_at).is_(None),
        col(Product.is_active).is_(True),
        or_(_needs_en(), _needs_id()),
    )
    total = (await session.exec(select(func.count()).select_from(Product).where(*where))).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    rows = (
        await session.exec(
            select(Product, Merchant)
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(*where)
            .order_by(col(Product.updated_at).desc(), col(Product.id))
            .offset(page * page_size)
            .limit(page_size)
        )
    ).all()
    items = [
        QueueItem(p, m, "id" if (not p.description and p.description_en and p.name_en) else "en")
        for p, m in rows
    ]
    return QueuePage(items, page, pages, total)


async def queue_item(session: AsyncSession, *, actor: Roles, product_id: int) -> QueueItem:
    actor.require_admin()
    product = await session.get(Product, product_id, populate_existing=True)
    if product is None or product.deleted_at is not None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    merchant = await session.get(Merchant, product.merchant_id)
    assert merchant is not None
    need = (
        "id" if (not product.description and product.description_en and product.name_en) else "en"
    )
    return QueueItem(product, merchant, need)


async def save_translation(
    session: AsyncSession,
    *,
    actor: Roles,
    product_id: int,
    need: str,
    name: str | None,
    description: str,
    now: datetime,
) -> Product:
    """An administrator's translation: the English name and description (need "en"), or the
    Indonesian description (need "id"); audited. `name` None keeps the current one."""
    actor.require_admin()
    parsed_name = parse_name(name) if name is not None else None
    parsed = parse_description(description)
    async with write_transaction(session):
        product = await session.get(Product, product_id, with_for_update=True)
        if product is None or product.deleted_at is not None:
            raise NotFound(Refusal.PRODUCT_NOT_FOUND)
        if need == "id":
            product.description = parsed
            product.text_id_at = now
        else:
            if parsed_name is not None:
                product.name_en = parsed_name
            product.description_en = parsed or None
            product.text_en_at = now
        product.updated_at = now
        session.add(product)
        audit(session, actor.telegram_id, "translation", product_id=product_id, language=need)
    return product
