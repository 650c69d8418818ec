"""Exemption requests: an ASN asks to be excused from a month's minimum (leave, illness,
secondment, other), optionally with a photo of a document. An administrator, or the operator of
the ASN's OPD, approves it (a `QuotaExemption` for that month, the existing mechanism: the ASN
leaves the month's figures and reminders) or declines it with a reason. Audited.

Refusal codes: not_asn, inactive, month_invalid, request_pending, request_not_found (NotFound),
already_decided, forbidden (Forbidden), reason_required.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ExemptionRequest, QuotaExemption, RosterEntry, User
from models.db import write_transaction
from models.tables import stored_id
from services.admins import audit
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.quota import QuotaPolicy, month_start, next_month
from services.roles import Roles

REASONS = ("leave", "illness", "secondment", "other")
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"


def request_months(now: datetime, policy: QuotaPolicy) -> list[date]:
    """The months an exemption may be asked for: this one and the next two."""
    current = month_start(now.astimezone(policy.tz).date())
    return [current, next_month(current), next_month(current, 2)]


async def ask(
    session: AsyncSession,
    user: User,
    *,
    month: date,
    reason: str,
    note: str = "",
    photo_file_id: str | None = None,
    now: datetime,
    policy: QuotaPolicy,
) -> ExemptionRequest:
    if not user.nip:
        raise ServiceError(Refusal.NOT_ASN)
    roster = await session.get(RosterEntry, user.nip)
    if roster is None:
        raise ServiceError(Refusal.NOT_ASN)
    if not roster.active:
        raise ServiceError(Refusal.INACTIVE)
    month = month_start(month)
    if month not in request_months(now, policy) or reason not in REASONS:
        raise ServiceError(Refusal.MONTH_INVALID)
    note = " ".join(note.split())[:500]
    if reason == "other" and not note:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        waiting = (
            await session.exec(
                select(func.count()).where(
                    col(ExemptionRequest.nip) == roster.nip,
                    col(ExemptionRequest.month) == month,
                    col(ExemptionRequest.status) == PENDING,
                )
            )
        ).one()
        if waiting:
            raise ServiceError(Refusal.REQUEST_PENDING, month=month)
        request = ExemptionRequest(
            user_id=stored_id(user.id),
            nip=roster.nip,
            opd=roster.opd,
            month=month,
            reason=reason,
            note=note,
            photo_file_id=photo_file_id,
            created_at=now,
        )
        session.add(request)
    return request


def _scope(actor: Roles) -> list[Any]:
    if actor.is_admin:
        return []
    actor.require_staff()
    return [col(ExemptionRequest.opd) == actor.opd]


@dataclass(frozen=True)
class RequestView:
    request: ExemptionRequest
    name: str
    waiting: int


async def next_request(session: AsyncSession, *, actor: Roles) -> RequestView | None:
    scope = _scope(actor)
    pending = [col(ExemptionRequest.status) == PENDING, *scope]
    request = (
        await session.exec(
            select(ExemptionRequest).where(*pending).order_by(col(ExemptionRequest.id)).limit(1)
        )
    ).first()
    if request is None:
        return None
    waiting = (await session.exec(select(func.count()).where(*pending))).one()
    roster = await session.get(RosterEntry, request.nip)
    return RequestView(request, roster.name if roster else "", int(waiting))


async def pending_count(session: AsyncSession, *, actor: Roles) -> int:
    total = (
        await session.exec(
            select(func.count()).where(col(ExemptionRequest.status) == PENDING, *_scope(actor))
        )
    ).one()
    return int(total)


@dataclass(frozen=True)
class RequestDecision:
    request: ExemptionRequest
    asn: User | None


async def decide(
    session: AsyncSession,
    *,
    actor: Roles,
    request_id: int,
    approve: bool,
    reason: str = "",
    now: datetime,
) -> RequestDecision:
    reason = " ".join(reason.split())[:500]
    if not approve and not reason:
        raise ServiceError(Refusal.REASON_REQUIRED)
    async with write_transaction(session):
        request = await session.get(ExemptionRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(Refusal.REQUEST_NOT_FOUND)
        if not actor.is_admin:
            actor.require_staff()
            if actor.opd != request.opd:
                raise Forbidden()
        if request.status != PENDING:
            raise ServiceError(Refusal.ALREADY_DECIDED)
        request.status = APPROVED if approve else DECLINED
        request.decided_at = now
        request.decided_by = actor.telegram_id
        if approve:
            exemption = QuotaExemption(
                nip=request.nip,
                from_month=request.month,
                to_month=request.month,
                reason=request.reason if request.reason != "other" else request.note,
                created_by=actor.telegram_id,
                created_at=now,
            )
            session.add(exemption)
            await session.flush()
            request.exemption_id = exemption.id
        else:
            request.decline_reason = reason
        session.add(request)
        audit(
            session,
            actor.telegram_id,
            "exemption_request_approve" if approve else "exemption_request_decline",
            id=request.id,
            nip=request.nip,
            month=request.month,
            reason=reason or None,
        )
    asn = await session.get(User, request.user_id)
    await session.commit()
    return RequestDecision(request, asn)
