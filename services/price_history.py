"""A product's price history (table `price_history`, migration 0009): who changed the price,
when, from what to what. Its shop's owner reads it from the product's management screen; the
city's administrators and the inspectorate read it from a red flag "price raised before a large
order" (services.redflags), for any product, deleted ones included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Merchant, OrderItem, PriceChange, Product, User
from models.tables import stored_id
from services.errors import NotFound, Refusal
from services.products import require_member
from services.roles import RoleKind, Roles

PAGE_SIZE = 10
MAX_PAGE_SIZE = 50


@dataclass(frozen=True)
class PriceEntry:
    at: datetime
    old_price: int
    new_price: int
    source: str  # chat, import
    changed_by: str | None  # the account's name (None: an import or the system)

    @property
    def raised(self) -> bool:
        return self.new_price > self.old_price


@dataclass(frozen=True)
class PriceHistory:
    """One page of a product's price changes, newest first."""

    product_id: int
    product_name: str
    merchant_id: int
    merchant_name: str
    merchant_code: str
    price: int  # the price now
    entries: list[PriceEntry]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class RaisedProduct:
    product_id: int
    name: str


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.full_name or user.first_name or (f"@{user.username}" if user.username else None)


async def _page(
    session: AsyncSession, product: Product, merchant: Merchant, page: int, page_size: int
) -> PriceHistory:
    product_id = stored_id(product.id)
    size = min(max(page_size, 1), MAX_PAGE_SIZE)
    total = (
        await session.exec(
            select(func.count())
            .select_from(PriceChange)
            .where(col(PriceChange.product_id) == product_id)
        )
    ).one()
    pages = max(1, -(-int(total) // size))
    page = min(max(page, 0), pages - 1)
    rows = (
        await session.exec(
            select(PriceChange, User)
            .join(User, col(User.id) == col(PriceChange.changed_by), isouter=True)
            .where(col(PriceChange.product_id) == product_id)
            .order_by(col(PriceChange.at).desc(), col(PriceChange.id).desc())
            .offset(page * size)
            .limit(size)
        )
    ).all()
    entries = [
        PriceEntry(change.at, change.old_price, change.new_price, change.source, _name(user))
        for change, user in rows
    ]
    return PriceHistory(
        product_id,
        product.name,
        stored_id(merchant.id),
        merchant.name,
        merchant.code,
        product.price,
        entries,
        page,
        pages,
        int(total),
    )


async def owner_price_history(
    session: AsyncSession,
    user: User,
    product_id: int,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> PriceHistory:
    """The price history of a product of the user's own shop (owners only, as for editing)."""
    product = await session.get(Product, product_id)
    if product is None or product.deleted_at is not None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    merchant, _role = await require_member(session, user, product.merchant_id, owner=True)
    return await _page(session, product, merchant, page, page_size)


async def oversight_price_history(
    session: AsyncSession,
    *,
    actor: Roles,
    product_id: int,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> PriceHistory:
    """Any product's price history, for administrators and the inspectorate."""
    actor.require(RoleKind.ADMIN, RoleKind.INSPECTORATE)
    product = await session.get(Product, product_id)
    merchant = await session.get(Merchant, product.merchant_id) if product is not None else None
    if product is None or merchant is None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    return await _page(session, product, merchant, page, page_size)


async def raised_products(
    session: AsyncSession, *, actor: Roles, order_ids: Sequence[int]
) -> list[RaisedProduct]:
    """The products of these orders whose price was ever raised, by name (administrators and
    the inspectorate)."""
    actor.require(RoleKind.ADMIN, RoleKind.INSPECTORATE)
    if not order_ids:
        return []
    raised = (
        select(PriceChange.product_id)
        .where(col(PriceChange.new_price) > col(PriceChange.old_price))
        .distinct()
    )
    rows = (
        await session.exec(
            select(Product.id, Product.name)
            .join(OrderItem, col(OrderItem.product_id) == col(Product.id))
            .where(
                col(OrderItem.order_id).in_(list(order_ids)),
                col(Product.id).in_(raised),
            )
            .distinct()
            .order_by(col(Product.name), col(Product.id))
        )
    ).all()
    return [RaisedProduct(int(pid or 0), name) for pid, name in rows]
