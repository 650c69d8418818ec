"""Merchant accounts: linking a shop's owner to a Telegram account, membership checks.

Refusal codes: not_own_contact, phone_invalid, no_merchant_for_phone, invalid_link,
merchant_suspended.
"""

from __future__ import annotations

import secrets

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import MemberRole, Merchant, MerchantMember, MerchantStatus, User
from models.db import write_transaction
from services.errors import NotFound, Refusal, ServiceError
from services.phones import PhoneError, normalize_phone


async def memberships(session: AsyncSession, user: User) -> list[tuple[Merchant, str]]:
    """The shops this account runs, with its role in each."""
    rows = (
        await session.exec(
            select(Merchant, MerchantMember.role)
            .join(MerchantMember, col(MerchantMember.merchant_id) == col(Merchant.id))
            .where(col(MerchantMember.user_id) == user.id)
            .order_by(col(Merchant.name))
        )
    ).all()
    return [(merchant, role) for merchant, role in rows]


async def is_member(session: AsyncSession, user_id: int, merchant_id: int) -> bool:
    query = select(MerchantMember.id).where(
        MerchantMember.user_id == user_id, MerchantMember.merchant_id == merchant_id
    )
    return (await session.exec(query)).first() is not None


async def member_role(session: AsyncSession, user_id: int, merchant_id: int) -> str | None:
    """The account's role in the shop (owner or staff), None if it does not work there."""
    query = select(MerchantMember.role).where(
        MerchantMember.user_id == user_id, MerchantMember.merchant_id == merchant_id
    )
    return (await session.exec(query)).first()


async def member_users(session: AsyncSession, merchant_id: int) -> list[User]:
    """Everyone who gets a shop's order notifications (owner first)."""
    rows = await session.exec(
        select(User)
        .join(MerchantMember, col(MerchantMember.user_id) == col(User.id))
        .where(col(MerchantMember.merchant_id) == merchant_id)
        .order_by(col(MerchantMember.role), col(MerchantMember.id))  # "owner" < "staff"
    )
    return list(rows.all())


async def _add_owner(session: AsyncSession, merchant: Merchant, user: User) -> Merchant:
    if merchant.status != MerchantStatus.ACTIVE:
        raise ServiceError(Refusal.MERCHANT_SUSPENDED, merchant=merchant.name)
    assert user.id is not None and merchant.id is not None  # both read from the database
    if not await is_member(session, user.id, merchant.id):
        session.add(
            MerchantMember(merchant_id=merchant.id, user_id=user.id, role=MemberRole.OWNER)
        )
    return merchant


async def link_owner_by_contact(
    session: AsyncSession, user: User, *, phone: str, contact_user_id: int | None
) -> list[Merchant]:
    """Link the account to every shop whose catalog phone is the user's own shared number."""
    if contact_user_id != user.telegram_id:
        raise ServiceError(Refusal.NOT_OWN_CONTACT)
    try:
        shared = normalize_phone(phone)
    except PhoneError as exc:
        raise ServiceError(Refusal.PHONE_INVALID) from exc
    async with write_transaction(session):
        merchants = (await session.exec(select(Merchant).where(Merchant.phone == shared))).all()
        if not merchants:
            raise ServiceError(Refusal.NO_MERCHANT_FOR_PHONE)
        return [await _add_owner(session, merchant, user) for merchant in merchants]


async def link_owner_by_token(session: AsyncSession, user: User, token: str) -> Merchant:
    """Link through the one-time deep link the city gave the shop owner."""
    if not token or len(token) > 32:
        raise ServiceError(Refusal.INVALID_LINK)
    async with write_transaction(session):
        query = select(Merchant).where(Merchant.link_token == token)
        merchant = (await session.exec(query)).first()
        if merchant is None:
            raise ServiceError(Refusal.INVALID_LINK)
        await _add_owner(session, merchant, user)
        merchant.link_token = None  # one use only
        session.add(merchant)
    return merchant


async def create_link_token(session: AsyncSession, merchant_code: str) -> str:
    async with write_transaction(session):
        query = select(Merchant).where(Merchant.code == merchant_code)
        merchant = (await session.exec(query)).first()
        if merchant is None:
            raise NotFound(Refusal.MERCHANT_NOT_FOUND, merchant_code=merchant_code)
        merchant.link_token = secrets.token_urlsafe(12)
        session.add(merchant)
    return merchant.link_token
