"""Administrators and OPD operators, and the audit log of what they do.

Administrators are the Telegram ids in ADMIN_IDS (settings) plus those an administrator adds in
chat. An OPD operator sees and broadcasts to one department (OPD) only. Every check happens
here, in the service, whatever button or command led to it.

Refusal codes: forbidden (Forbidden), cannot_remove_configured_admin, cannot_remove_self,
opd_required, unknown_opd.
"""

from __future__ import annotations

import json

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AdminAccount, AuditLog, RosterEntry
from models.db import begin_write
from models.enums import AdminRole
from services.errors import Forbidden, Refusal, ServiceError
from services.roles import Role, RoleKind, Roles


async def role_of(session: AsyncSession, telegram_id: int, admin_ids: frozenset[int]) -> Role:
    if telegram_id in admin_ids:
        return Role(AdminRole.ADMIN)
    account = await session.get(AdminAccount, telegram_id)
    if account is None:
        return Role(None)
    return Role(account.role, account.opd)


async def require_admin(
    session: AsyncSession, telegram_id: int, admin_ids: frozenset[int]
) -> Role:
    role = await role_of(session, telegram_id, admin_ids)
    if not role.is_admin:
        raise Forbidden()
    return role


async def require_staff(
    session: AsyncSession, telegram_id: int, admin_ids: frozenset[int]
) -> Role:
    """An administrator or an OPD operator."""
    role = await role_of(session, telegram_id, admin_ids)
    if not role.is_staff:
        raise Forbidden()
    return role


async def admin_telegram_ids(session: AsyncSession, admin_ids: frozenset[int]) -> list[int]:
    """Every administrator (configured and added in chat), for notifications."""
    added = await session.exec(
        select(AdminAccount.telegram_id).where(AdminAccount.role == AdminRole.ADMIN)
    )
    return sorted(set(admin_ids) | set(added.all()))


def audit(
    session: AsyncSession, actor_telegram_id: int | None, action: str, **details: object
) -> AuditLog:
    """Record an administrative action in the caller's transaction (committed with it)."""
    entry = AuditLog(
        actor_telegram_id=actor_telegram_id,
        action=action,
        details=json.dumps(details, ensure_ascii=False, default=str, sort_keys=True),
    )
    session.add(entry)
    return entry


async def known_opds(session: AsyncSession) -> list[str]:
    """The departments of the roster (they change with reorganisations: data, not code)."""
    rows = await session.exec(select(RosterEntry.opd).distinct().order_by(col(RosterEntry.opd)))
    return list(rows.all())


async def grant(
    session: AsyncSession,
    *,
    actor: Roles,
    telegram_id: int,
    role: str,
    opd: str | None = None,
) -> AdminAccount:
    """Make an account an administrator or an OPD operator (administrators only)."""
    actor.require_admin()
    if role not in set(AdminRole):
        raise ServiceError(Refusal.UNKNOWN_ROLE, role=role)
    if role == AdminRole.OPD_OPERATOR:
        if not opd:
            raise ServiceError(Refusal.OPD_REQUIRED)
        if opd not in await known_opds(session):
            raise ServiceError(Refusal.UNKNOWN_OPD, opd=opd)
    else:
        opd = None
    await begin_write(session)
    account = await session.get(AdminAccount, telegram_id) or AdminAccount(
        telegram_id=telegram_id, role=role
    )
    account.role, account.opd, account.added_by = role, opd, actor.telegram_id
    session.add(account)
    audit(session, actor.telegram_id, "grant_role", telegram_id=telegram_id, role=role, opd=opd)
    await session.commit()
    return account


async def revoke(
    session: AsyncSession, *, actor: Roles, telegram_id: int, admin_ids: frozenset[int]
) -> None:
    """Take an account's role away (administrators only); `admin_ids`, the configured
    administrators, cannot be removed in the chat."""
    actor.require_admin()
    if telegram_id in admin_ids:
        raise ServiceError(Refusal.CANNOT_REMOVE_CONFIGURED_ADMIN)
    if telegram_id == actor.telegram_id:
        raise ServiceError(Refusal.CANNOT_REMOVE_SELF)
    await begin_write(session)
    account = await session.get(AdminAccount, telegram_id)
    if account is not None:
        await session.delete(account)
        audit(
            session, actor.telegram_id, "revoke_role", telegram_id=telegram_id, role=account.role
        )
    await session.commit()


async def list_accounts(session: AsyncSession, *, actor: Roles) -> list[AdminAccount]:
    actor.require_admin()
    rows = await session.exec(select(AdminAccount).order_by(col(AdminAccount.created_at)))
    return list(rows.all())


async def recent_audit(session: AsyncSession, *, actor: Roles, limit: int = 30) -> list[AuditLog]:
    """The latest administrative actions: administrators and the inspectorate (read-only)."""
    actor.require(RoleKind.ADMIN, RoleKind.INSPECTORATE)
    rows = await session.exec(select(AuditLog).order_by(col(AuditLog.at).desc()).limit(limit))
    return list(rows.all())
