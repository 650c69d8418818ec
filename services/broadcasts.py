"""Broadcasts: announcements to a chosen audience, delivered as a durable, resumable job.

Each recipient has a delivery row whose status moves pending -> sending -> sent | blocked |
not_found | failed. A sender claims a few pending rows (marking them "sending") right before
sending them and records each outcome as soon as it is known, so after a crash only the rows
still "sending" are uncertain: they are sent again (at most the few that were in flight may
arrive twice), and nothing else is either repeated or skipped.

Broadcast status: scheduled -> running <-> paused -> done; scheduled/running/paused ->
cancelled. Administrators manage every broadcast; an OPD operator only their own OPD's.

Refusal codes: forbidden (Forbidden), broadcast_not_found (NotFound), content_empty,
unknown_content_type, unknown_button, empty_audience, schedule_in_past,
invalid_state (params: status), plus the audience's (services.audience).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Update, exists, insert, literal, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Broadcast, BroadcastDelivery, BroadcastStatus, DeliveryStatus, User
from models.db import begin_write, write_transaction
from models.tables import stored_id
from services import audience as aud
from services.admins import Role, audit, role_of
from services.errors import Forbidden, NotFound, Refusal, ServiceError
from services.quota import QuotaPolicy
from services.roles import Roles

CONTENT_TYPES = ("text", "photo", "document", "outage")
# "outage": the notice of a declared outage (services.outages), written by the bot in each
# recipient's language from the JSON in `text`; never composed by a person.
BUTTONS = ("catalog", "quota")  # buttons the bot may put under an announcement
B = BroadcastStatus
D = DeliveryStatus
UNREACHABLE = (D.BLOCKED, D.NOT_FOUND)


@dataclass(frozen=True)
class Content:
    content_type: str
    text: str  # HTML as the sender wrote it (the caption for a photo or document)
    file_id: str | None = None


@dataclass(frozen=True)
class Recipient:
    user_id: int
    telegram_id: int
    language: str | None
    telegram_language: str | None


@dataclass(frozen=True)
class Stats:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    blocked: int = 0
    not_found: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.done

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.not_found + self.failed

    @property
    def unsuccessful(self) -> int:
        return self.blocked + self.not_found + self.failed

    @property
    def remaining(self) -> int:
        return self.pending + self.sending


@dataclass(frozen=True)
class Outcome:
    user_id: int
    status: str  # a final DeliveryStatus
    error: str | None = None


def buttons_of(broadcast: Broadcast) -> list[str]:
    return [b for b in json.loads(broadcast.buttons or "[]") if b in BUTTONS]


def audience_of(broadcast: Broadcast) -> aud.Audience:
    return aud.Audience.from_data(broadcast.audience)


def can_manage(role: Role, broadcast: Broadcast) -> bool:
    return role.is_admin or (role.is_staff and bool(role.opd) and broadcast.sender_opd == role.opd)


# ---------------------------------------------------------------------- creating


async def create(
    session: AsyncSession,
    *,
    actor: Roles,
    content: Content,
    audience: aud.Audience,
    buttons: Sequence[str] = (),
    now: datetime,
    policy: QuotaPolicy,
    draft_key: str,
    scheduled_at: datetime | None = None,
    progress_message_id: int | None = None,
) -> tuple[Broadcast, bool]:
    """Create a broadcast that starts now (recipients fixed now) or at `scheduled_at`.

    Returns (broadcast, created); the same `draft_key` again returns the first broadcast.
    """
    role = actor.require_staff()
    audience = aud.for_role(role, audience)
    await aud.check(session, audience)
    if content.content_type not in CONTENT_TYPES:
        raise ServiceError(Refusal.UNKNOWN_CONTENT_TYPE, content_type=content.content_type)
    if content.content_type in ("text", "outage") and not content.text.strip():
        raise ServiceError(Refusal.CONTENT_EMPTY)
    if content.content_type in ("photo", "document") and not content.file_id:
        raise ServiceError(Refusal.CONTENT_EMPTY)
    unknown = [b for b in buttons if b not in BUTTONS]
    if unknown:
        raise ServiceError(Refusal.UNKNOWN_BUTTON, button=unknown[0])
    if scheduled_at is not None and scheduled_at <= now:
        raise ServiceError(Refusal.SCHEDULE_IN_PAST)
    try:
        async with write_transaction(session):
            existing = await _by_draft(session, draft_key)
            if existing is not None:
                return existing, False
            assert actor.telegram_id is not None  # staff are people, not the system
            broadcast = Broadcast(
                created_by=actor.telegram_id,
                content_type=content.content_type,
                text=content.text,
                file_id=content.file_id,
                buttons=json.dumps(list(dict.fromkeys(buttons))),
                audience=audience.to_json(),
                status=B.SCHEDULED if scheduled_at else B.RUNNING,
                scheduled_at=scheduled_at,
                sender_opd=None if role.is_admin else role.opd,
                draft_key=draft_key,
                progress_message_id=progress_message_id,
                created_at=now,
            )
            session.add(broadcast)
            await session.flush()
            if scheduled_at is None and await _materialize(session, broadcast, now, policy) == 0:
                raise ServiceError(Refusal.EMPTY_AUDIENCE)
            audit(
                session,
                actor.telegram_id,
                "broadcast_create",
                broadcast_id=broadcast.id,
                audience=audience.to_dict(),
                recipients=broadcast.total,
                scheduled_at=scheduled_at,
            )
    except IntegrityError:
        # The same draft confirmed twice at once (PostgreSQL): the other one won.
        await session.rollback()
        existing = await _by_draft(session, draft_key)
        if existing is None:
            raise
        return existing, False
    return broadcast, True


async def by_draft(session: AsyncSession, draft_key: str) -> Broadcast | None:
    """The broadcast a composing conversation already created, if any."""
    return await _by_draft(session, draft_key)


async def _by_draft(session: AsyncSession, draft_key: str) -> Broadcast | None:
    query = select(Broadcast).where(Broadcast.draft_key == draft_key)
    return (await session.exec(query)).first()


async def _materialize(
    session: AsyncSession, broadcast: Broadcast, now: datetime, policy: QuotaPolicy
) -> int:
    """Fix the recipients (one pending delivery each) and start the broadcast."""
    query = await aud.recipient_ids(session, audience_of(broadcast), now=now, policy=policy)
    ids = query.subquery()
    await session.exec(
        insert(BroadcastDelivery).from_select(
            ["broadcast_id", "user_id", "status", "attempts"],
            select(literal(broadcast.id), ids.c.id, literal(D.PENDING.value), literal(0)),
        )
    )
    total = (
        await session.exec(
            select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast.id)
        )
    ).one()
    broadcast.total = int(total)
    broadcast.status = B.RUNNING
    broadcast.started_at = now
    session.add(broadcast)
    return broadcast.total


async def set_progress_message(session: AsyncSession, broadcast_id: int, message_id: int) -> None:
    await begin_write(session)
    await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .values(progress_message_id=message_id)
    )
    await session.commit()


async def start_due(
    session: AsyncSession, *, now: datetime, policy: QuotaPolicy, admin_ids: frozenset[int]
) -> list[int]:
    """Start the scheduled broadcasts whose time has come; their recipients are fixed now.

    A broadcast whose creator is no longer an administrator or operator is cancelled.
    """
    due = (
        await session.exec(
            select(Broadcast.id)
            .where(Broadcast.status == B.SCHEDULED, col(Broadcast.scheduled_at) <= now)
            .order_by(col(Broadcast.scheduled_at), col(Broadcast.id))
        )
    ).all()
    started = []
    for broadcast_id in map(stored_id, due):
        async with write_transaction(session):
            broadcast = await _locked(session, broadcast_id)
            if broadcast is None or broadcast.status != B.SCHEDULED:
                continue
            role = await role_of(session, broadcast.created_by, admin_ids)
            if not can_manage(role, broadcast):
                broadcast.status, broadcast.finished_at = B.CANCELLED, now
                session.add(broadcast)
                audit(session, None, "broadcast_cancel", broadcast_id=broadcast_id,
                      reason="creator_lost_role")  # fmt: skip
                continue
            await _materialize(session, broadcast, now, policy)
            if broadcast.total == 0:
                broadcast.status, broadcast.finished_at = B.DONE, now
            started.append(broadcast_id)
    return started


async def _locked(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    query = (
        select(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


# ---------------------------------------------------------------------- managing

ACTIONS = {
    "pause": (frozenset({B.RUNNING}), B.PAUSED),
    "resume": (frozenset({B.PAUSED}), B.RUNNING),
    "cancel": (frozenset({B.RUNNING, B.PAUSED, B.SCHEDULED}), B.CANCELLED),
}


async def control(
    session: AsyncSession,
    *,
    actor: Roles,
    broadcast_id: int,
    action: str,
    now: datetime,
) -> Broadcast:
    """Pause, resume or cancel a broadcast."""
    role = actor.require_staff()
    if action not in ACTIONS:
        raise ServiceError(Refusal.UNKNOWN_ACTION, action=action)
    sources, target = ACTIONS[action]
    async with write_transaction(session):
        broadcast = await _locked(session, broadcast_id)
        if broadcast is None:
            raise NotFound(Refusal.BROADCAST_NOT_FOUND)
        if not can_manage(role, broadcast):
            raise Forbidden()
        if broadcast.status not in sources:
            raise ServiceError(Refusal.INVALID_STATE, status=broadcast.status, action=action)
        broadcast.status = target
        if target == B.CANCELLED:
            broadcast.finished_at = now
        session.add(broadcast)
        audit(session, actor.telegram_id, f"broadcast_{action}", broadcast_id=broadcast_id)
    return broadcast


async def get(session: AsyncSession, *, actor: Roles, broadcast_id: int) -> Broadcast:
    role = actor.require_staff()
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        raise NotFound(Refusal.BROADCAST_NOT_FOUND)
    if not can_manage(role, broadcast):
        raise Forbidden()
    return broadcast


async def list_recent(
    session: AsyncSession,
    *,
    actor: Roles,
    limit: int = 8,
    offset: int = 0,
) -> tuple[list[tuple[Broadcast, Stats]], int]:
    """Past, running and scheduled broadcasts this account may see, newest first."""
    role = actor.require_staff()
    query = select(Broadcast)
    if not role.is_admin:
        query = query.where(Broadcast.sender_opd == role.opd)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = (
        await session.exec(query.order_by(col(Broadcast.id).desc()).offset(offset).limit(limit))
    ).all()
    figures = await stats_for(session, [stored_id(b.id) for b in rows])
    return [(b, figures.get(stored_id(b.id), Stats())) for b in rows], int(total)


async def failed_recipients(
    session: AsyncSession, *, actor: Roles, broadcast_id: int
) -> list[tuple[User, BroadcastDelivery]]:
    """Recipients the message did not reach (blocked, gone, other errors), for a report."""
    await get(
        session,
        actor=actor,
        broadcast_id=broadcast_id,
    )
    rows = await session.exec(
        select(User, BroadcastDelivery)
        .join(BroadcastDelivery, col(BroadcastDelivery.user_id) == col(User.id))
        .where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            col(BroadcastDelivery.status).in_([D.BLOCKED, D.NOT_FOUND, D.FAILED]),
        )
        .order_by(col(BroadcastDelivery.status), col(User.id))
    )
    failed = list(rows.all())
    # Personal data leaves the bot: recorded like any other administrative action.
    await begin_write(session)
    audit(session, actor.telegram_id, "broadcast_export_failed", broadcast_id=broadcast_id,
          rows=len(failed))  # fmt: skip
    await session.commit()
    return failed


# ---------------------------------------------------------------------- figures


async def stats_for(session: AsyncSession, ids: Iterable[int]) -> dict[int, Stats]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await session.exec(
        select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, func.count())
        .where(col(BroadcastDelivery.broadcast_id).in_(ids))
        .group_by(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.status))
    )
    counts: dict[int, dict[str, int]] = {}
    for broadcast_id, status, number in rows.all():
        counts.setdefault(broadcast_id, {})[status] = int(number)
    fields = set(Stats.__dataclass_fields__)
    return {
        broadcast_id: Stats(**{k: v for k, v in by_status.items() if k in fields})
        for broadcast_id, by_status in counts.items()
    }


async def stats(session: AsyncSession, broadcast_id: int) -> Stats:
    return (await stats_for(session, [broadcast_id])).get(broadcast_id, Stats())


# ---------------------------------------------------------------------- sending (the job)


async def running_ids(session: AsyncSession) -> list[int]:
    rows = await session.exec(
        select(Broadcast.id).where(Broadcast.status == B.RUNNING).order_by(col(Broadcast.id))
    )
    return [stored_id(broadcast_id) for broadcast_id in rows.all()]


async def reset_in_flight(session: AsyncSession) -> int:
    """After a restart: deliveries left "sending" by the previous process go back to pending.

    Call it once when the process starts, before anything sends (one sending process).
    """
    await begin_write(session)
    unfinished = select(Broadcast.id).where(
        col(Broadcast.status).in_([B.RUNNING, B.PAUSED, B.CANCELLED])
    )
    result = await session.exec(
        update(BroadcastDelivery)
        .where(
            col(BroadcastDelivery.broadcast_id).in_(unfinished),
            col(BroadcastDelivery.status) == D.SENDING,
        )
        .values(status=D.PENDING)
    )
    await session.commit()
    return result.rowcount or 0


async def claim(session: AsyncSession, broadcast_id: int, limit: int) -> list[Recipient]:
    """Mark up to `limit` pending deliveries as sending and return their recipients.

    Nothing is claimed unless the broadcast is running (paused or cancelled: stop).
    """
    await begin_write(session)
    pending = (
        select(BroadcastDelivery.user_id)
        .where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status == D.PENDING,
        )
        .order_by(col(BroadcastDelivery.user_id))
        .limit(limit)
    )
    running = exists().where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == B.RUNNING)
    result = await session.exec(
        update(BroadcastDelivery)
        .where(
            col(BroadcastDelivery.broadcast_id) == broadcast_id,
            col(BroadcastDelivery.status) == D.PENDING,
            col(BroadcastDelivery.user_id).in_(pending.scalar_subquery()),
            running,
        )
        .values(status=D.SENDING, attempts=col(BroadcastDelivery.attempts) + 1)
        .returning(col(BroadcastDelivery.user_id))
    )
    user_ids = [row[0] for row in result.all()]
    await session.commit()
    if not user_ids:
        return []
    rows = await session.exec(
        select(User.id, User.telegram_id, User.language, User.telegram_language)
        .where(col(User.id).in_(user_ids))
        .order_by(col(User.id))
    )
    return [Recipient(*row) for row in rows.all()]


async def record(
    session: AsyncSession, broadcast_id: int, outcomes: Sequence[Outcome], *, now: datetime
) -> None:
    """Store what happened to each recipient (one transaction for the whole group)."""
    if not outcomes:
        return
    await begin_write(session)
    groups: dict[tuple[str, str | None], list[int]] = {}
    for outcome in outcomes:
        error = None if outcome.status == D.SENT else outcome.error
        groups.setdefault((outcome.status, error), []).append(outcome.user_id)
    for (status, error), user_ids in groups.items():
        await session.exec(_record_group(broadcast_id, user_ids, status, error, now))
    gone = [o.user_id for o in outcomes if o.status in UNREACHABLE]
    if gone:
        await session.exec(update(User).where(col(User.id).in_(gone)).values(unreachable=True))
    await session.commit()


def _record_group(
    broadcast_id: int, user_ids: list[int], status: str, error: str | None, now: datetime
) -> Update:
    return (
        update(BroadcastDelivery)
        .where(
            col(BroadcastDelivery.broadcast_id) == broadcast_id,
            col(BroadcastDelivery.user_id).in_(user_ids),
            col(BroadcastDelivery.status) == D.SENDING,
        )
        .values(
            status=status,
            error=error[:300] if error else None,
            sent_at=now if status == D.SENT else None,
        )
    )


async def release(session: AsyncSession, broadcast_id: int, user_ids: Sequence[int]) -> None:
    """Claimed but not sent (paused or cancelled meanwhile): back to pending."""
    if not user_ids:
        return
    await begin_write(session)
    await session.exec(
        update(BroadcastDelivery)
        .where(
            col(BroadcastDelivery.broadcast_id) == broadcast_id,
            col(BroadcastDelivery.user_id).in_(list(user_ids)),
            col(BroadcastDelivery.status) == D.SENDING,
        )
        .values(status=D.PENDING, attempts=col(BroadcastDelivery.attempts) - 1)
    )
    await session.commit()


async def finish(session: AsyncSession, broadcast_id: int, *, now: datetime) -> bool:
    """Mark a running broadcast done when nobody is left; True for the one call that did."""
    await begin_write(session)
    left = exists().where(
        col(BroadcastDelivery.broadcast_id) == broadcast_id,
        col(BroadcastDelivery.status).in_([D.PENDING, D.SENDING]),
    )
    result = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == B.RUNNING, ~left)
        .values(status=B.DONE, finished_at=now)
    )
    await session.commit()
    return result.rowcount == 1


async def load(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """The broadcast as stored now (for the sending job; no role check)."""
    return await session.get(Broadcast, broadcast_id, populate_existing=True)


_WHEN = re.compile(
    r"^\s*(?:(\d{1,2})[./-](\d{1,2})[./-](\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))"
    r"(?:\s+|\s*[T,]\s*)(\d{1,2})[.:](\d{2})\s*(?:WIB)?\s*$",
    re.IGNORECASE,
)


def parse_when(text: str, tz: tzinfo) -> datetime | None:
    """'28.11.2026 08:00', '28/11/2026 8.00', '2026-11-28 08:00' (WIB) -> aware datetime."""
    match = _WHEN.match(text or "")
    if not match:
        return None
    d, m, y, y2, m2, d2, hour, minute = match.groups()
    year, month, day = (int(y), int(m), int(d)) if y else (int(y2), int(m2), int(d2))
    try:
        return datetime(year, month, day, int(hour), int(minute), tzinfo=tz)
    except ValueError:
        return None
