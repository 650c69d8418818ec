"""Who receives a broadcast: the audience an administrator (or an OPD operator) chooses.

An audience is one of three kinds: registered ASN (optionally narrowed to some OPD, some
classes, and/or those still below this month's minimum), the members of all shops, or everyone
who ever started the bot. Unreachable accounts (blocked the bot, deleted) are never recipients
until they write to the bot again. An OPD operator's audience is always their own OPD's ASN.

Refusal codes: Forbidden (an operator asking for more than their OPD), unknown_opd,
unknown_class, empty_audience.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Select, and_, case, exists, literal
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    BuyerKind,
    MerchantMember,
    Order,
    QuotaExemption,
    RosterEntry,
    User,
)
from models.enums import PAID_STATUSES
from services.admins import Role, known_opds
from services.errors import Forbidden, Refusal, ServiceError
from services.golongan import QUOTA_CLASSES
from services.quota import QuotaPolicy, minimum_for, month_bounds, month_start

ASN = "asn"
MERCHANTS = "merchants"
EVERYONE = "everyone"
KINDS = (ASN, MERCHANTS, EVERYONE)


@dataclass(frozen=True)
class Audience:
    kind: str = ASN
    opds: tuple[str, ...] = field(default_factory=tuple)  # empty: every OPD
    classes: tuple[str, ...] = field(default_factory=tuple)  # empty: every class
    below_minimum: bool = False  # only ASN who have not reached this month's minimum yet

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "opds": list(self.opds),
                "classes": list(self.classes),
                "below_minimum": self.below_minimum,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.to_json())
        return data

    @classmethod
    def from_data(cls, data: str | dict | None) -> Audience:
        raw = json.loads(data) if isinstance(data, str) else (data or {})
        kind = raw.get("kind", ASN)
        return cls(
            kind=kind if kind in KINDS else ASN,
            opds=tuple(sorted(set(raw.get("opds") or ()))),
            classes=tuple(c for c in QUOTA_CLASSES if c in set(raw.get("classes") or ())),
            below_minimum=bool(raw.get("below_minimum")),
        )

    def toggled_opd(self, opd: str) -> Audience:
        opds = set(self.opds) ^ {opd}
        return replace(self, kind=ASN, opds=tuple(sorted(opds)))

    def toggled_class(self, quota_class: str) -> Audience:
        classes = set(self.classes) ^ {quota_class}
        return replace(self, kind=ASN, classes=tuple(c for c in QUOTA_CLASSES if c in classes))


def for_role(role: Role, audience: Audience) -> Audience:
    """The audience this role may address: an operator gets their own OPD's ASN, nothing else.

    A forged request for another OPD, merchants or everyone is refused, not silently narrowed.
    """
    if role.is_admin:
        return audience
    if not role.is_staff or not role.opd:
        raise Forbidden()
    if audience.kind != ASN or any(opd != role.opd for opd in audience.opds):
        raise Forbidden()
    return replace(audience, opds=(role.opd,))


async def check(session: AsyncSession, audience: Audience) -> None:
    if audience.kind not in KINDS:
        raise ServiceError(Refusal.UNKNOWN_AUDIENCE)
    unknown_classes = [c for c in audience.classes if c not in QUOTA_CLASSES]
    if unknown_classes:
        raise ServiceError(Refusal.UNKNOWN_CLASS, quota_class=unknown_classes[0])
    if audience.opds:
        opds = set(await known_opds(session))
        unknown = [opd for opd in audience.opds if opd not in opds]
        if unknown:
            raise ServiceError(Refusal.UNKNOWN_OPD, opd=unknown[0])


async def recipient_ids(
    session: AsyncSession,
    audience: Audience,
    *,
    now: datetime,
    policy: QuotaPolicy,
    reachable: bool = True,
) -> Select:
    """A SELECT of the recipients' user ids, for counting or copying into the deliveries.

    With `reachable=False`, the accounts of the audience that cannot be reached instead.

    "Below the minimum" compares each ASN's counted spending this month (one grouped query
    over orders) with the minimum of their class, in SQL, never per person in Python.
    """
    wanted = col(User.unreachable).is_(not reachable)
    if audience.kind == EVERYONE:
        return select(User.id).where(wanted)
    if audience.kind == MERCHANTS:
        members = select(MerchantMember.user_id)
        return select(User.id).where(wanted, col(User.id).in_(members))
    query = (
        select(User.id)
        .join(RosterEntry, col(RosterEntry.nip) == col(User.nip))
        .where(
            wanted,
            col(User.kind) == BuyerKind.ASN,
            col(RosterEntry.active).is_(True),
        )
    )
    if audience.opds:
        query = query.where(col(RosterEntry.opd).in_(list(audience.opds)))
    if audience.classes:
        query = query.where(col(RosterEntry.quota_class).in_(list(audience.classes)))
    if audience.below_minimum:
        month = month_start(now.astimezone(policy.tz).date())
        start, end = month_bounds(month, policy.tz)
        minimums = {
            quota_class: await minimum_for(
                session, quota_class, month, default=policy.default_minimum
            )
            for quota_class in QUOTA_CLASSES
        }
        spent = (
            select(
                col(Order.buyer_nip).label("nip"),
                func.sum(Order.total).label("spent"),
            )
            .where(
                col(Order.counts_for_quota).is_(True),
                col(Order.status).in_(list(PAID_STATUSES)),
                col(Order.paid_at) >= start,
                col(Order.paid_at) < end,
            )
            .group_by(col(Order.buyer_nip))
            .subquery()
        )
        minimum = case(
            minimums, value=col(RosterEntry.quota_class), else_=literal(policy.default_minimum)
        )
        exempt = exists().where(
            and_(
                col(QuotaExemption.nip) == col(User.nip),
                col(QuotaExemption.from_month) <= month,
                col(QuotaExemption.to_month) >= month,
            )
        )
        query = query.outerjoin(spent, spent.c.nip == col(User.nip)).where(
            func.coalesce(spent.c.spent, 0) < minimum, ~exempt
        )
    return query


@dataclass(frozen=True)
class AudienceCount:
    recipients: int  # reachable accounts that will get the message
    unreachable: int  # in the audience, but blocked the bot or are gone: skipped


async def count(
    session: AsyncSession, role: Role, audience: Audience, *, now: datetime, policy: QuotaPolicy
) -> AudienceCount:
    audience = for_role(role, audience)
    await check(session, audience)
    figures = []
    for reachable in (True, False):
        query = await recipient_ids(session, audience, now=now, policy=policy, reachable=reachable)
        total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
        figures.append(int(total))
    return AudienceCount(*figures)


async def opds_for(session: AsyncSession, role: Role) -> list[str]:
    """The OPD this role may choose from."""
    if role.is_admin:
        return await known_opds(session)
    return [role.opd] if role.opd else []


__all__ = [
    "ASN",
    "EVERYONE",
    "KINDS",
    "MERCHANTS",
    "Audience",
    "AudienceCount",
    "check",
    "count",
    "for_role",
    "opds_for",
    "recipient_ids",
]
