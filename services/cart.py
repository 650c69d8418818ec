"""The buyer's cart. Quantities respect stock; the cart survives restarts (it is in the DB).

Refusal codes: product_unavailable, out_of_stock (params: stock), quantity_invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, case, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from models import CartItem, Merchant, Product, User
from models.db import begin_write, is_sqlite, write_transaction
from models.tables import table_of, utcnow
from services.catalog import product_card
from services.errors import NotFound, Refusal, ServiceError

MAX_QUANTITY = 999


@dataclass(frozen=True)
class CartLine:
    product_id: int
    name: str
    unit: str
    price: int
    quantity: int
    stock: int
    available: bool  # still visible to buyers
    added_at: datetime | None = None
    name_en: str | None = None  # for English-speaking buyers, when the shop gave one

    @property
    def subtotal(self) -> int:
        return self.price * self.quantity


@dataclass
class MerchantGroup:
    merchant_id: int
    merchant_name: str
    lines: list[CartLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.subtotal for line in self.lines)


@dataclass(frozen=True)
class Cart:
    groups: list[MerchantGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def quantity_of(self, product_id: int) -> int:
        return next((ln.quantity for ln in self.lines if ln.product_id == product_id), 0)


async def get_cart(session: AsyncSession, user: User) -> Cart:
    rows = (
        await session.exec(
            select(CartItem, Product, Merchant)
            .join(Product, col(Product.id) == col(CartItem.product_id))
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(col(CartItem.user_id) == user.id, col(Product.deleted_at).is_(None))
            .execution_options(populate_existing=True)
            .order_by(
                col(Merchant.name), col(Merchant.id), col(CartItem.added_at), col(Product.id)
            )
        )
    ).all()
    groups: dict[int, MerchantGroup] = {}
    for item, product, merchant in rows:
        assert merchant.id is not None and product.id is not None  # read from the database
        group = groups.setdefault(merchant.id, MerchantGroup(merchant.id, merchant.name))
        available = product.is_active and merchant.status == "active" and merchant.is_open
        group.lines.append(
            CartLine(
                product.id,
                product.name,
                product.unit,
                product.price,
                item.quantity,
                product.stock,
                available,
                item.added_at,
                product.name_en,
            )
        )
    return Cart(list(groups.values()))


@cache
def _cart_count_query() -> Select[int, int]:
    of_product = case(
        (col(CartItem.product_id) == bindparam("product_id"), col(CartItem.quantity)), else_=0
    )
    return select(func.count(), func.coalesce(func.sum(of_product), 0)).where(
        col(CartItem.user_id) == bindparam("user_id")
    )


async def cart_count(session: AsyncSession, user: User, product_id: int) -> tuple[int, int]:
    """(lines in the cart, quantity of `product_id` in it): what a product card shows.

    One aggregate row instead of loading the whole cart (a product, a merchant and a cart item
    per line) on every card; the same figures as `get_cart(...).lines` and `.quantity_of()`.
    """
    params = {"user_id": user.id, "product_id": product_id}
    lines, quantity = (await session.exec(_cart_count_query(), params=params)).one()
    return lines, quantity


async def set_quantity(session: AsyncSession, user: User, product_id: int, quantity: int) -> int:
    """Set a product's quantity in the cart (0 removes it); returns the quantity now held."""
    if quantity < 0 or quantity > MAX_QUANTITY:
        raise ServiceError(Refusal.QUANTITY_INVALID)
    async with write_transaction(session):
        item = await session.get(CartItem, (user.id, product_id), with_for_update=True)
        if quantity == 0:
            if item is not None:
                await session.delete(item)
            return 0
        try:
            card = await product_card(session, product_id)
        except NotFound as exc:
            raise ServiceError(Refusal.PRODUCT_UNAVAILABLE) from exc
        if not card.visible:
            raise ServiceError(Refusal.PRODUCT_UNAVAILABLE, name=card.product.name)
        if card.product.stock <= 0:
            raise ServiceError(Refusal.OUT_OF_STOCK, name=card.product.name, stock=0)
        if quantity > card.product.stock:
            raise ServiceError(
                Refusal.OUT_OF_STOCK, name=card.product.name, stock=card.product.stock
            )
        assert user.id is not None  # a stored account
        await _upsert(session, user.id, product_id, quantity)
    return quantity


async def _upsert(session: AsyncSession, user_id: int, product_id: int, quantity: int) -> None:
    """Insert or update one cart line; two taps racing on a new line both succeed."""
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    statement = insert(table_of(CartItem)).values(
        user_id=user_id, product_id=product_id, quantity=quantity, added_at=utcnow()
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "product_id"], set_={"quantity": quantity}
    )
    await session.exec(statement)


async def add_to_cart(session: AsyncSession, user: User, product_id: int, delta: int = 1) -> int:
    """Change a quantity by `delta` (negative to decrease); returns the new quantity."""
    await begin_write(session)  # read the current quantity under the write lock
    item = await session.get(
        CartItem, (user.id, product_id), populate_existing=True, with_for_update=True
    )
    current = item.quantity if item else 0
    return await set_quantity(session, user, product_id, max(0, current + delta))


async def clear_cart(session: AsyncSession, user: User) -> None:
    async with write_transaction(session):
        await session.exec(delete(CartItem).where(col(CartItem.user_id) == user.id))
