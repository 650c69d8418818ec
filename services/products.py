"""A shop's own products: list, add, edit, hide/show, delete. Only the shop's owner may change
them (staff run orders, not the catalog); every check happens here, whatever button led here.

Typed input is parsed here too (`parse_name`, `parse_price`, ...), so that the chat and any
other caller refuse the same things with the same codes.

Refusal codes (ServiceError, params in brackets):
    owner_only; merchant_suspended [merchant]; product_not_found; category_not_found;
    name_empty; name_too_long [length, max]; name_taken [name];
    price_invalid [reason, details: the MoneyError's code and params]; price_not_positive;
    price_too_large [maximum]; unit_invalid [max]; stock_invalid [value]; stock_negative;
    stock_too_large [maximum]; text_too_long [length, max]; photo_invalid;
    product_in_open_order [orders]; Forbidden for someone else's shop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    CartItem,
    Category,
    MemberRole,
    Merchant,
    MerchantMember,
    MerchantStatus,
    Order,
    OrderItem,
    PriceChange,
    Product,
    User,
)
from models.db import write_transaction
from models.enums import OPEN_STATUSES
from models.tables import stored_id, utcnow
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.importer import MAX_PRICE, MAX_STOCK
from services.money import MoneyError, parse_rupiah
from services.text import clean_line

MAX_NAME = 120
MIN_NAME = 2
MAX_UNIT = 30
MAX_DESCRIPTION = 3000
MAX_FILE_ID = 200

EDITABLE = frozenset(
    {"name", "name_en", "price", "unit", "stock", "description", "description_en", "photo"}
)


# --- who may do what ---------------------------------------------------------------------------


async def member_role(session: AsyncSession, user: User, merchant_id: int) -> str | None:
    """The account's role in this shop (owner, staff), or None."""
    return (
        await session.exec(
            select(MerchantMember.role).where(
                MerchantMember.user_id == user.id, MerchantMember.merchant_id == merchant_id
            )
        )
    ).first()


async def require_member(
    session: AsyncSession,
    user: User,
    merchant_id: int,
    *,
    owner: bool = False,
    active: bool = False,
) -> tuple[Merchant, str]:
    """The shop and the account's role in it; refuses strangers, staff when `owner`, and
    suspended shops when `active`."""
    role = await member_role(session, user, merchant_id)
    if role is None:
        raise Forbidden()
    if owner and role != MemberRole.OWNER:
        raise Forbidden(Refusal.OWNER_ONLY)
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(Refusal.MERCHANT_NOT_FOUND)
    if active and merchant.status != MerchantStatus.ACTIVE:
        raise ServiceError(Refusal.MERCHANT_SUSPENDED, merchant=merchant.name)
    return merchant, role


async def _owned_product(
    session: AsyncSession, user: User, product_id: int, *, lock: bool = False
) -> tuple[Product, Merchant]:
    product = await session.get(Product, product_id, with_for_update=lock, populate_existing=lock)
    if product is None or product.deleted_at is not None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    merchant, _role = await require_member(
        session, user, product.merchant_id, owner=True, active=True
    )
    return product, merchant


# --- parsing typed input -----------------------------------------------------------------------


def _text(value: str | None, *, multi_line: bool = False) -> str:
    value = value or ""
    if multi_line:
        lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")]
        return "\n".join(lines).strip()
    return clean_line(value) if value else ""


def parse_name(text: str | None, *, required: bool = True) -> str | None:
    name = _text(text)
    if not name:
        if required:
            raise ServiceError(Refusal.NAME_EMPTY)
        return None
    if len(name) > MAX_NAME:
        raise ServiceError(Refusal.NAME_TOO_LONG, length=len(name), max=MAX_NAME)
    if len(name) < MIN_NAME:
        raise ServiceError(Refusal.NAME_EMPTY)
    return name


def parse_price(text: str | int) -> int:
    """A price typed as 25000, 25.000, 25rb or Rp 25.000 (also "harga: 25.000")."""
    if isinstance(text, int) and not isinstance(text, bool):
        price = text
    else:
        raw = str(text or "").strip()
        # People often type the field name first, as on a price tag: "harga: 25.000".
        head, sep, tail = raw.partition(":")
        if sep and head.strip().lower() in ("harga", "price"):
            raw = tail
        try:
            price = parse_rupiah(raw)
        except MoneyError as exc:
            raise ServiceError(Refusal.PRICE_INVALID, reason=exc.code, details=exc.params) from exc
    if price <= 0:
        raise ServiceError(Refusal.PRICE_NOT_POSITIVE)
    if price > MAX_PRICE:
        raise ServiceError(Refusal.PRICE_TOO_LARGE, maximum=MAX_PRICE)
    return price


def parse_unit(text: str | None) -> str:
    unit = _text(text)
    if not unit or len(unit) > MAX_UNIT:
        raise ServiceError(Refusal.UNIT_INVALID, max=MAX_UNIT)
    return unit


def parse_stock(text: str | int) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        stock = text
    else:
        raw = "".join(str(text or "").split()).replace(".", "").replace(",", "")
        negative = raw.startswith(("-", "\u2212", "\u2013"))
        digits = raw[1:] if negative else raw
        if not digits.isascii() or not digits.isdigit():
            raise ServiceError(Refusal.STOCK_INVALID, value=str(text or "")[:30])
        stock = -int(digits) if negative else int(digits)
    if stock < 0:
        raise ServiceError(Refusal.STOCK_NEGATIVE)
    if stock > MAX_STOCK:
        raise ServiceError(Refusal.STOCK_TOO_LARGE, maximum=MAX_STOCK)
    return stock


def parse_description(text: str | None) -> str:
    description = _text(text, multi_line=True)
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(Refusal.TEXT_TOO_LONG, length=len(description), max=MAX_DESCRIPTION)
    return description


def parse_photo(file_id: str | None) -> str | None:
    if file_id is None:
        return None
    if not file_id or len(file_id) > MAX_FILE_ID or "/" in file_id or "." in file_id:
        raise ServiceError(Refusal.PHOTO_INVALID)
    return file_id


def _parse_field(name: str, value: Any) -> Any:
    if name == "name":
        return parse_name(value)
    if name == "name_en":
        return parse_name(value, required=False)
    if name == "price":
        return parse_price(value)
    if name == "unit":
        return parse_unit(value)
    if name == "stock":
        return parse_stock(value)
    if name == "description":
        return parse_description(value)
    if name == "description_en":
        return parse_description(value) or None
    if name == "photo":
        return parse_photo(value)
    raise ServiceError(Refusal.NOT_FOUND)


# --- listing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopProductPage:
    merchant: Merchant
    items: list[Product]
    page: int
    pages: int
    total: int
    low_stock_threshold: int = field(default=3)


async def shop_products(
    session: AsyncSession, user: User, merchant_id: int, *, page: int, page_size: int
) -> ShopProductPage:
    """The shop's products (hidden ones too, deleted ones not), by name; owner only."""
    merchant, _role = await require_member(session, user, merchant_id, owner=True)
    where = (col(Product.merchant_id) == merchant_id, col(Product.deleted_at).is_(None))
    total = (await session.exec(select(func.count()).select_from(Product).where(*where))).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    rows = (
        await session.exec(
            select(Product)
            .where(*where)
            .order_by(col(Product.name), col(Product.id))
            .offset(page * page_size)
            .limit(page_size)
        )
    ).all()
    return ShopProductPage(merchant, list(rows), page, pages, total, merchant.low_stock_threshold)


@dataclass(frozen=True)
class ManagedProduct:
    product: Product
    merchant: Merchant
    category: Category
    open_orders: int  # open orders holding this product (deleting it is refused then)


async def managed_product(session: AsyncSession, user: User, product_id: int) -> ManagedProduct:
    product = await session.get(Product, product_id, populate_existing=True)
    if product is None or product.deleted_at is not None:
        raise NotFound(Refusal.PRODUCT_NOT_FOUND)
    merchant, _role = await require_member(session, user, product.merchant_id, owner=True)
    category = await session.get(Category, product.category_id)
    assert category is not None
    return ManagedProduct(
        product, merchant, category, await _open_orders(session, stored_id(product.id))
    )


async def _open_orders(session: AsyncSession, product_id: int) -> int:
    return (
        await session.exec(
            select(func.count(func.distinct(Order.id)))
            .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
            .where(col(OrderItem.product_id) == product_id, col(Order.status).in_(OPEN_STATUSES))
        )
    ).one()


# --- changing ------------------------------------------------------------------------------------


@dataclass
class ProductDraft:
    """What the add-product conversation collected (all parsed already)."""

    name: str
    category_id: int
    price: int
    unit: str
    stock: int
    description: str = ""
    name_en: str | None = None
    description_en: str | None = None
    photo: str | None = None


async def _check_name_free(
    session: AsyncSession, merchant_id: int, name: str, *, except_id: int | None = None
) -> Product | None:
    """Refuse a name another live product of the shop has (any case); return a deleted
    product with exactly this name, which a new product then takes over."""
    same = (
        await session.exec(
            select(Product).where(
                col(Product.merchant_id) == merchant_id,
                func.lower(Product.name) == name.lower(),
            )
        )
    ).all()
    reusable = None
    for product in same:
        if product.id == except_id:
            continue
        if product.deleted_at is None:
            raise ServiceError(Refusal.NAME_TAKEN, name=product.name)
        if product.name == name:
            reusable = product
    return reusable


async def check_new_name(session: AsyncSession, user: User, merchant_id: int, text: str) -> str:
    """The parsed name for a new product of the owner's shop, refused early when taken."""
    name = parse_name(text) or ""
    await require_member(session, user, merchant_id, owner=True, active=True)
    await _check_name_free(session, merchant_id, name)
    return name


async def create_product(
    session: AsyncSession,
    user: User,
    merchant_id: int,
    draft: ProductDraft,
    *,
    now: datetime | None = None,
) -> Product:
    """Add a product to the owner's shop (every field is checked again here)."""
    now = now or utcnow()
    values: dict[str, Any] = {
        "name": parse_name(draft.name),
        "price": parse_price(draft.price),
        "unit": parse_unit(draft.unit),
        "stock": parse_stock(draft.stock),
        "description": parse_description(draft.description),
        "name_en": parse_name(draft.name_en, required=False),
        "description_en": parse_description(draft.description_en) or None,
        "photo": parse_photo(draft.photo),
    }
    async with write_transaction(session):
        await require_member(session, user, merchant_id, owner=True, active=True)
        if await session.get(Category, draft.category_id) is None:
            raise NotFound(Refusal.CATEGORY_NOT_FOUND)
        product = await _check_name_free(session, merchant_id, values["name"])
        if product is None:
            product = Product(merchant_id=merchant_id, created_at=now, **values)
        else:
            # A deleted product of the same name comes back with the new details; its past
            # order lines keep their own snapshot.
            for key, value in values.items():
                setattr(product, key, value)
            product.deleted_at = None
            product.created_at = now
        product.category_id = draft.category_id
        product.text_id_at = now
        product.text_en_at = now if values["name_en"] or values["description_en"] else None
        product.photo_file_id = values["photo"]
        product.is_active = True
        product.updated_at = now
        session.add(product)
        await session.flush()
    return product


async def update_product(
    session: AsyncSession,
    user: User,
    product_id: int,
    field_name: str,
    value: Any,
    *,
    now: datetime | None = None,
) -> Product:
    """Change one field of an owner's product; `value` may be typed text (it is parsed)."""
    if field_name not in EDITABLE:
        raise ServiceError(Refusal.NOT_FOUND)
    parsed = _parse_field(field_name, value)
    async with write_transaction(session):
        product, _merchant = await _owned_product(session, user, product_id, lock=True)
        if field_name == "name":
            await _check_name_free(session, product.merchant_id, parsed, except_id=product.id)
        if field_name == "price" and parsed != product.price:
            session.add(
                PriceChange(
                    product_id=stored_id(product.id),
                    old_price=product.price,
                    new_price=parsed,
                    changed_by=user.id,
                    at=now or utcnow(),
                )
            )
        setattr(product, field_name, parsed)
        if field_name == "photo":
            product.photo_file_id = parsed
        product.updated_at = now or utcnow()
        if field_name in ("name", "description"):
            product.text_id_at = product.updated_at
        elif field_name in ("name_en", "description_en"):
            product.text_en_at = product.updated_at
        session.add(product)
    return product


async def set_visible(
    session: AsyncSession,
    user: User,
    product_id: int,
    visible: bool,
    *,
    now: datetime | None = None,
) -> Product:
    """Hide a product from buyers or show it again (it keeps its stock and carts)."""
    async with write_transaction(session):
        product, _merchant = await _owned_product(session, user, product_id, lock=True)
        if product.is_active != visible:
            product.is_active = visible
            product.updated_at = now or utcnow()
            session.add(product)
    return product


async def delete_product(
    session: AsyncSession, user: User, product_id: int, *, now: datetime | None = None
) -> Product:
    """Delete a product unless an open order holds it. Past orders keep their lines (the row
    stays, marked deleted); it leaves the catalog, search and every cart."""
    async with write_transaction(session):
        product, _merchant = await _owned_product(session, user, product_id, lock=True)
        open_orders = await _open_orders(session, stored_id(product.id))
        if open_orders:
            raise ServiceError(Refusal.PRODUCT_IN_OPEN_ORDER, orders=open_orders)
        product.deleted_at = now or utcnow()
        product.updated_at = product.deleted_at
        session.add(product)
        await session.exec(delete(CartItem).where(col(CartItem.product_id) == product.id))
    return product


@dataclass(frozen=True)
class LowStock:
    product_id: int
    name: str
    stock: int
    threshold: int


async def low_stock_after_payment(session: AsyncSession, order_id: int) -> list[LowStock]:
    """The order's products that this order brought down to the shop's low-stock threshold
    (or to zero): what the shop should be warned about once the order is paid."""
    rows = (
        await session.exec(
            select(Product, OrderItem.quantity, Merchant.low_stock_threshold)
            .join(OrderItem, col(OrderItem.product_id) == col(Product.id))
            .join(Merchant, col(Merchant.id) == col(Product.merchant_id))
            .where(col(OrderItem.order_id) == order_id, col(Product.deleted_at).is_(None))
            .order_by(col(Product.name))
            .execution_options(populate_existing=True)
        )
    ).all()
    return [
        LowStock(stored_id(product.id), product.name, product.stock, threshold)
        for product, quantity, threshold in rows
        if product.stock <= threshold
        and (product.stock + quantity > threshold or not product.stock)
    ]
