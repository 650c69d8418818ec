"""Inquiries ("Ask for a quote"): a buyer asks a shop about a quantity for a destination; the
conversation is relayed both ways by the bot (neither side sees the other's phone number or
account); statuses new → answered (the shop's first reply) → quoted → closed. The monthly
"global interest" figures come from here too.

Refusal codes: product_unavailable, quantity_invalid, quantity_below_moq [moq],
country_unknown, message_invalid [max], inquiry_not_found, inquiry_closed, forbidden.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import Locale
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Inquiry, InquiryMessage, Merchant, MerchantMember, MerchantStatus, Product, User
from models.db import write_transaction
from models.tables import stored_id
from services.errors import NotFound, Refusal, ServiceError
from services.products import require_member
from services.roles import Roles
from services.text import normalize_key

MAX_MESSAGE = 1000
MAX_QUANTITY = 10_000_000
STATUSES = ("new", "answered", "quoted", "closed")


async def inquiry_product(session: AsyncSession, product_id: int) -> Product:
    """A product buyers can ask about (live, shown, its shop active)."""
    product = await session.get(Product, product_id)
    if product is None or product.deleted_at is not None or not product.is_active:
        raise ServiceError(Refusal.PRODUCT_UNAVAILABLE)
    merchant = await session.get(Merchant, product.merchant_id)
    if merchant is None or merchant.status != MerchantStatus.ACTIVE:
        raise ServiceError(Refusal.PRODUCT_UNAVAILABLE, name=product.name)
    return product


def parse_quantity(text: str, moq: int | None) -> int:
    raw = "".join(text.split()).replace(".", "").replace(",", "")
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_QUANTITY:
        raise ServiceError(Refusal.QUANTITY_INVALID)
    if moq and int(raw) < moq:
        raise ServiceError(Refusal.QUANTITY_BELOW_MOQ, moq=moq)
    return int(raw)


def _territories() -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in ("en", "id"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(normalize_key(name), code)
    return names


_NAMES = _territories()
_ALIASES = {"usa": "US", "uk": "GB", "uae": "AE", "korea": "KR", "korsel": "KR", "ksa": "SA"}


def parse_country(text: str) -> str:
    """An ISO 3166 alpha-2 code from a code ("JP") or a name in English or Indonesian
    ("Japan", "Jepang", "Arab Saudi")."""
    raw = text.strip()
    if len(raw) == 2 and raw.isascii() and raw.upper() in Locale.parse("en").territories:
        return raw.upper()
    key = normalize_key(raw)
    code = _ALIASES.get(key) or _NAMES.get(key)
    if code is None:
        raise ServiceError(Refusal.COUNTRY_UNKNOWN)
    return code


def parse_message(text: str) -> str:
    message = "\n".join(" ".join(line.split()) for line in (text or "").splitlines()).strip()
    if not message or len(message) > MAX_MESSAGE:
        raise ServiceError(Refusal.MESSAGE_INVALID, max=MAX_MESSAGE)
    return message


@dataclass(frozen=True)
class Thread:
    inquiry: Inquiry
    product: Product
    merchant: Merchant
    buyer: User
    shop_people: list[User]
    last: InquiryMessage | None = None


async def _shop_people(session: AsyncSession, merchant_id: int) -> list[User]:
    rows = await session.exec(
        select(User)
        .join(MerchantMember, col(MerchantMember.user_id) == col(User.id))
        .where(MerchantMember.merchant_id == merchant_id)
        .order_by(col(MerchantMember.role), col(User.id))
    )
    return list(rows.all())


async def _thread(session: AsyncSession, inquiry: Inquiry, last: InquiryMessage | None) -> Thread:
    product = await session.get(Product, inquiry.product_id)
    merchant = await session.get(Merchant, inquiry.merchant_id)
    buyer = await session.get(User, inquiry.buyer_id)
    assert product is not None and merchant is not None and buyer is not None
    people = await _shop_people(session, inquiry.merchant_id)
    return Thread(inquiry, product, merchant, buyer, people, last)


async def create_inquiry(
    session: AsyncSession,
    user: User,
    *,
    product_id: int,
    quantity: int,
    country: str,
    message: str,
    language: str,
    now: datetime,
) -> Thread:
    product = await inquiry_product(session, product_id)
    quantity = parse_quantity(str(quantity), product.export_moq)
    message = parse_message(message)
    async with write_transaction(session):
        inquiry = Inquiry(
            product_id=product_id, merchant_id=product.merchant_id, buyer_id=stored_id(user.id),
            quantity=quantity, country=parse_country(country), buyer_language=language,
            created_at=now,
        )  # fmt: skip
        session.add(inquiry)
        await session.flush()
        first = InquiryMessage(
            inquiry_id=stored_id(inquiry.id), author_id=stored_id(user.id), text=message, at=now
        )
        session.add(first)
    return await _thread(session, inquiry, first)


async def _open_inquiry(
    session: AsyncSession, user: User, inquiry_id: int
) -> tuple[Inquiry, bool]:
    """The inquiry and whether the account speaks for the shop; strangers are refused."""
    inquiry = await session.get(Inquiry, inquiry_id, populate_existing=True)
    if inquiry is None:
        raise NotFound(Refusal.INQUIRY_NOT_FOUND)
    if inquiry.buyer_id == user.id:
        return inquiry, False
    await require_member(session, user, inquiry.merchant_id)
    return inquiry, True


async def reply(
    session: AsyncSession, user: User, inquiry_id: int, text: str, *, quote: bool, now: datetime
) -> Thread:
    """A message from the buyer or the shop, relayed to the other side. The shop's first
    reply answers the inquiry; `quote` (shop only) marks it quoted."""
    message = parse_message(text)
    async with write_transaction(session):
        inquiry, from_shop = await _open_inquiry(session, user, inquiry_id)
        if inquiry.status == "closed":
            raise ServiceError(Refusal.INQUIRY_CLOSED)
        entry = InquiryMessage(
            inquiry_id=inquiry_id, from_shop=from_shop, is_quote=quote and from_shop,
            author_id=stored_id(user.id), text=message, at=now,
        )  # fmt: skip
        session.add(entry)
        if from_shop:
            if inquiry.answered_at is None:
                inquiry.answered_at = now
            if quote:
                inquiry.status, inquiry.quoted_at = "quoted", inquiry.quoted_at or now
            elif inquiry.status == "new":
                inquiry.status = "answered"
        session.add(inquiry)
    return await _thread(session, inquiry, entry)


async def close(session: AsyncSession, user: User, inquiry_id: int, *, now: datetime) -> Thread:
    async with write_transaction(session):
        inquiry, _from_shop = await _open_inquiry(session, user, inquiry_id)
        if inquiry.status != "closed":
            inquiry.status, inquiry.closed_at = "closed", now
            session.add(inquiry)
    return await _thread(session, inquiry, None)


async def thread_for(session: AsyncSession, user: User, inquiry_id: int) -> tuple[Thread, bool]:
    inquiry, from_shop = await _open_inquiry(session, user, inquiry_id)
    return await _thread(session, inquiry, None), from_shop


async def shop_inquiries(
    session: AsyncSession, user: User, merchant_id: int, *, limit: int = 10
) -> tuple[list[tuple[Inquiry, Product]], Counter[str]]:
    """The shop's inquiries, open ones first and newest first, and a count per status."""
    await require_member(session, user, merchant_id)
    rows = (
        await session.exec(
            select(Inquiry, Product)
            .join(Product, col(Product.id) == col(Inquiry.product_id))
            .where(Inquiry.merchant_id == merchant_id)
            .order_by(col(Inquiry.created_at).desc())
        )
    ).all()
    counts = Counter(inquiry.status for inquiry, _p in rows)
    ordered = sorted(rows, key=lambda r: r[0].status == "closed")
    return [(i, p) for i, p in ordered[:limit]], counts


@dataclass(frozen=True)
class GlobalInterest:
    total: int
    by_country: list[tuple[str, int]]
    by_product: list[tuple[str, int]]
    answered: int
    median_answer: timedelta | None


async def global_interest(
    session: AsyncSession, *, actor: Roles, start: datetime, end: datetime
) -> GlobalInterest:
    """The month's inquiries (administrators): by destination, by product, the answered share
    and the median time to the shop's first reply."""
    actor.require_admin()
    rows = (
        await session.exec(
            select(Inquiry, Product.name)
            .join(Product, col(Product.id) == col(Inquiry.product_id))
            .where(col(Inquiry.created_at) >= start, col(Inquiry.created_at) < end)
        )
    ).all()
    countries = Counter(inquiry.country for inquiry, _name in rows)
    products = Counter(name for _inquiry, name in rows)
    waits = [
        (inquiry.answered_at - inquiry.created_at).total_seconds()
        for inquiry, _name in rows
        if inquiry.answered_at is not None
    ]
    return GlobalInterest(
        total=len(rows),
        by_country=sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])),
        by_product=sorted(products.items(), key=lambda kv: (-kv[1], kv[0])),
        answered=len(waits),
        median_answer=timedelta(seconds=statistics.median(waits)) if waits else None,
    )
