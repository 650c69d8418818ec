"""Who may order: ASN registration by NIP and phone, and general buyers.

Refusal codes (ServiceError.code): not_in_roster, inactive, nip_taken, already_registered,
pending_exists, not_own_contact, phone_invalid, phone_mismatch, name_invalid;
for decisions: forbidden (Forbidden), not_found (NotFound), already_decided.
NIP format errors come through as services.nip.NipError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import BuyerKind, Registration, RegistrationStatus, RosterEntry, User
from models.db import begin_write, write_transaction
from models.tables import utcnow
from services.admins import audit
from services.errors import NotFound, Refusal, ServiceError
from services.nip import parse_nip
from services.phones import PhoneError, normalize_phone, phones_match
from services.roles import Roles
from services.text import clean_line


@dataclass(frozen=True)
class RegistrationOutcome:
    status: str  # "registered" or "pending"
    user: User
    roster: RosterEntry
    registration: Registration | None = None


def check_nip(user: User, text: str, *, today: date) -> str:
    """A typed NIP, checked offline only (format, dates, gender digit): the normalised NIP.

    Nothing is looked up yet: whether the NIP is in the roster is told only once the person
    has shared their phone number (`register_asn`), so that typing NIPs tells a stranger
    nothing about the roster.
    """
    info = parse_nip(text, today=today)
    if user.kind == BuyerKind.ASN and user.nip:
        raise ServiceError(Refusal.ALREADY_REGISTERED, nip=user.nip)
    return info.nip


async def lookup_nip(session: AsyncSession, user: User, text: str, *, today: date) -> RosterEntry:
    """Validate a typed NIP and find it in the roster, refusing NIPs this user cannot take."""
    info = parse_nip(text, today=today)
    if user.kind == BuyerKind.ASN and user.nip:
        raise ServiceError(Refusal.ALREADY_REGISTERED, nip=user.nip)
    roster = await session.get(RosterEntry, info.nip)
    if roster is None:
        raise ServiceError(Refusal.NOT_IN_ROSTER, nip=info.nip)
    if not roster.active:
        raise ServiceError(Refusal.INACTIVE, nip=info.nip)
    owner = (await session.exec(select(User).where(User.nip == info.nip))).first()
    if owner is not None and owner.id != user.id:
        raise ServiceError(Refusal.NIP_TAKEN, nip=info.nip, owner_telegram_id=owner.telegram_id)
    pending = await _pending_for_nip(session, info.nip)
    if pending is not None and pending.user_id != user.id:
        raise ServiceError(Refusal.NIP_TAKEN, nip=info.nip, owner_telegram_id=None)
    return roster


async def _pending_for_nip(session: AsyncSession, nip: str) -> Registration | None:
    query = select(Registration).where(
        Registration.nip == nip, Registration.status == RegistrationStatus.PENDING
    )
    return (await session.exec(query)).first()


def _own_phone(phone: str, contact_user_id: int | None, user: User) -> str:
    if contact_user_id != user.telegram_id:
        raise ServiceError(Refusal.NOT_OWN_CONTACT)
    try:
        return normalize_phone(phone)
    except PhoneError as exc:
        raise ServiceError(Refusal.PHONE_INVALID) from exc


async def register_asn(
    session: AsyncSession,
    user: User,
    nip: str,
    *,
    phone: str,
    contact_user_id: int | None,
    today: date,
) -> RegistrationOutcome:
    """Link this account to a roster NIP after the user shared their own phone number.

    Where the roster has a phone number it must match; where it has none, an administrator
    decides (the outcome is "pending").
    """
    shared = _own_phone(phone, contact_user_id, user)
    async with write_transaction(session):
        roster = await lookup_nip(session, user, nip, today=today)
        if roster.phone:
            if not phones_match(roster.phone, shared):
                raise ServiceError(Refusal.PHONE_MISMATCH)
            _make_asn(user, roster, shared)
            session.add(user)
            return RegistrationOutcome("registered", user, roster)
        registration = await _pending_for_nip(session, roster.nip)
        if registration is None:
            assert user.id is not None  # the account is stored before it registers
            registration = Registration(user_id=user.id, nip=roster.nip, phone=shared)
        registration.phone = shared
        user.phone = shared
        session.add_all([registration, user])
    return RegistrationOutcome("pending", user, roster, registration)


def _make_asn(user: User, roster: RosterEntry, phone: str) -> None:
    user.kind = BuyerKind.ASN
    user.nip = roster.nip
    user.full_name = roster.name
    user.phone = phone
    user.registered_at = utcnow()


async def register_general(
    session: AsyncSession, user: User, *, full_name: str, phone: str, contact_user_id: int | None
) -> User:
    """A general buyer: anyone with a name and their own phone; counts toward no quota."""
    name = clean_line(full_name)
    if not 2 <= len(name) <= 100 or name.startswith("/"):
        raise ServiceError(Refusal.NAME_INVALID)
    shared = _own_phone(phone, contact_user_id, user)
    if user.kind == BuyerKind.ASN:
        raise ServiceError(Refusal.ALREADY_REGISTERED, nip=user.nip)
    await begin_write(session)
    user.kind = BuyerKind.GENERAL
    user.full_name = name
    user.phone = shared
    user.registered_at = utcnow()
    session.add(user)
    await session.commit()
    return user


async def pending_registration(session: AsyncSession, user: User) -> Registration | None:
    query = select(Registration).where(
        Registration.user_id == user.id, Registration.status == RegistrationStatus.PENDING
    )
    return (await session.exec(query)).first()


@dataclass(frozen=True)
class Decision:
    registration: Registration
    user: User
    roster: RosterEntry
    changed: bool


async def decide_registration(
    session: AsyncSession,
    registration_id: int,
    *,
    actor: Roles,
    approve: bool,
) -> Decision:
    """An administrator approves or rejects a pending registration (once)."""
    actor.require_admin()
    async with write_transaction(session):
        registration = await session.get(Registration, registration_id, with_for_update=True)
        if registration is None:
            raise NotFound()
        user = await session.get(User, registration.user_id)
        roster = await session.get(RosterEntry, registration.nip)
        if user is None or roster is None:
            raise NotFound()
        target = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
        if registration.status != RegistrationStatus.PENDING:
            if registration.status == target:
                return Decision(registration, user, roster, changed=False)
            raise ServiceError(Refusal.ALREADY_DECIDED, status=registration.status)
        if approve:
            owner = (await session.exec(select(User).where(User.nip == roster.nip))).first()
            if owner is not None and owner.id != user.id:
                raise ServiceError(
                    Refusal.NIP_TAKEN, nip=roster.nip, owner_telegram_id=owner.telegram_id
                )
            _make_asn(user, roster, registration.phone)
            session.add(user)
        registration.status = target
        registration.decided_at = utcnow()
        registration.decided_by = actor.telegram_id
        session.add(registration)
        audit(
            session,
            actor.telegram_id,
            "decide_registration",
            registration=registration.id,
            nip=roster.nip,
            approved=approve,
        )
    return Decision(registration, user, roster, changed=True)
