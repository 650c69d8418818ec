"""Who the acting person is: every role they hold, resolved once per update.

The bot's middleware resolves `Roles` for each update and hands it to handlers (`roles`) and
to the services that change data (`actor=roles`): the services check it themselves, whatever
button or command led there, since callback data can be forged. Jobs and the command line act
as `Roles.system()`.

An account may hold several roles at once (an ASN who owns a shop, an administrator who is
also an ASN); `kinds` has them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AdminAccount, MerchantMember, User
from models.enums import AdminRole, BuyerKind, MemberRole
from services import screens
from services.errors import Forbidden
from services.users import get_or_create_user, sync_profile


@dataclass(frozen=True)
class Role:
    """What an account may do in the administration; `kind` None means nothing."""

    kind: str | None
    opd: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == AdminRole.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.kind in (AdminRole.ADMIN, AdminRole.OPD_OPERATOR)

    @property
    def is_inspectorate(self) -> bool:
        return self.kind == AdminRole.INSPECTORATE

    @property
    def sees_city(self) -> bool:
        """Sees the whole city's reports and red flags (administrators, the inspectorate)."""
        return self.is_admin or self.is_inspectorate

    def sees_opd(self, opd: str) -> bool:
        return self.is_admin or (self.kind == AdminRole.OPD_OPERATOR and self.opd == opd)


class RoleKind(StrEnum):
    ADMIN = "admin"  # the city's administrators (ADMIN_IDS, or added in the chat)
    OPD_OPERATOR = "opd_operator"  # sees and broadcasts to one department (OPD)
    INSPECTORATE = "inspectorate"  # reads the city's reports, red flags and audit log only
    SHOP_OWNER = "shop_owner"
    SHOP_STAFF = "shop_staff"
    ASN = "asn"  # registered civil servant: the monthly minimum applies
    GENERAL = "general"  # registered general buyer
    SYSTEM = "system"  # scheduled jobs and the command line, never a chat user


ADMINISTRATION = frozenset({RoleKind.ADMIN, RoleKind.OPD_OPERATOR})
# Who may read reports: the administration and the inspectorate (read-only).
REPORT_READERS = frozenset({*ADMINISTRATION, RoleKind.INSPECTORATE})
SHOP_PEOPLE = frozenset({RoleKind.SHOP_OWNER, RoleKind.SHOP_STAFF})


@dataclass(frozen=True)
class Roles:
    telegram_id: int | None
    kinds: frozenset[RoleKind] = frozenset()
    opd: str | None = None  # the OPD operator's department
    shops: tuple[int, ...] = field(default=())  # merchant ids of the shops they work for

    @classmethod
    def system(cls) -> Roles:
        return cls(None, frozenset({RoleKind.SYSTEM}))

    def has(self, *kinds: RoleKind) -> bool:
        return any(kind in self.kinds for kind in kinds)

    @property
    def is_admin(self) -> bool:
        return RoleKind.ADMIN in self.kinds

    @property
    def is_system(self) -> bool:
        return RoleKind.SYSTEM in self.kinds

    @property
    def is_staff(self) -> bool:
        """An administrator or an OPD operator."""
        return self.has(*ADMINISTRATION)

    @property
    def is_newcomer(self) -> bool:
        """Holds no role at all: not registered, runs no shop, administers nothing."""
        return not self.kinds

    @property
    def administration(self) -> Role:
        """What they may do in the administration (reports, broadcasts)."""
        if self.is_admin:
            return Role(AdminRole.ADMIN)
        if RoleKind.OPD_OPERATOR in self.kinds:
            return Role(AdminRole.OPD_OPERATOR, self.opd)
        if RoleKind.INSPECTORATE in self.kinds:
            return Role(AdminRole.INSPECTORATE)
        return Role(None)

    def require(self, *kinds: RoleKind) -> None:
        """Refuse (Forbidden) unless they hold one of `kinds`."""
        if not self.has(*kinds):
            raise Forbidden()

    def require_admin(self) -> Role:
        self.require(RoleKind.ADMIN)
        return self.administration

    def require_staff(self) -> Role:
        self.require(*ADMINISTRATION)
        return self.administration


def _administration(
    listed: bool, role: str | None, opd: str | None
) -> tuple[set[RoleKind], str | None]:
    """The administration role of an account (`listed`: in ADMIN_IDS; `role`/`opd`: its
    admin_accounts row, if any) and the OPD it is bound to: the one place both lookups use."""
    if listed or role == AdminRole.ADMIN:
        return {RoleKind.ADMIN}, None
    if role == AdminRole.OPD_OPERATOR:
        return {RoleKind.OPD_OPERATOR}, opd
    if role == AdminRole.INSPECTORATE:
        return {RoleKind.INSPECTORATE}, None
    return set(), None


async def resolve_roles(
    session: AsyncSession, user: User | None, *, admin_ids: frozenset[int], telegram_id: int
) -> Roles:
    """Every role of the account with `telegram_id` (`user`: its User row, if any)."""
    account = None if telegram_id in admin_ids else await session.get(AdminAccount, telegram_id)
    kinds, opd = _administration(
        telegram_id in admin_ids,
        account.role if account is not None else None,
        account.opd if account is not None else None,
    )
    shops: list[int] = []
    if user is not None and user.id is not None:
        if user.kind == BuyerKind.ASN:
            kinds.add(RoleKind.ASN)
        elif user.kind == BuyerKind.GENERAL:
            kinds.add(RoleKind.GENERAL)
        rows = await session.exec(
            select(MerchantMember.merchant_id, MerchantMember.role)
            .where(col(MerchantMember.user_id) == user.id)
            .order_by(col(MerchantMember.id))
        )
        for merchant_id, role in rows.all():
            shops.append(merchant_id)
            kinds.add(RoleKind.SHOP_OWNER if role == MemberRole.OWNER else RoleKind.SHOP_STAFF)
    return Roles(telegram_id, frozenset(kinds), opd, tuple(shops))


async def roles_of(session: AsyncSession, telegram_id: int, admin_ids: frozenset[int]) -> Roles:
    """`resolve_roles` for an account known by its Telegram id only."""
    user = (await session.exec(select(User).where(col(User.telegram_id) == telegram_id))).first()
    return await resolve_roles(session, user, admin_ids=admin_ids, telegram_id=telegram_id)


@cache
def _account_query() -> Any:
    member = aliased(MerchantMember)
    admin = aliased(AdminAccount)
    return (
        sa_select(
            User,
            col(admin.role),
            col(admin.opd),
            col(member.merchant_id),
            col(member.role),
            *screens.version_columns(),
        )
        .outerjoin(admin, col(admin.telegram_id) == col(User.telegram_id))
        .outerjoin(member, col(member.user_id) == col(User.id))
        .where(col(User.telegram_id) == bindparam("telegram_id"))
        .order_by(col(member.id))
    )


async def acting_account(
    session: AsyncSession,
    telegram_id: int,
    *,
    admin_ids: frozenset[int],
    first_name: str = "",
    username: str | None = None,
    language_code: str | None = None,
) -> tuple[User, Roles]:
    """The account behind an update (created on its first update, its Telegram profile kept
    up to date) and every role it holds: one query for a known account, as `resolve_roles`
    resolves them."""
    rows = (await session.exec(_account_query(), params={"telegram_id": telegram_id})).all()
    if not rows:
        user = await get_or_create_user(
            session, telegram_id, first_name=first_name, username=username,
            language_code=language_code,
        )  # fmt: skip
        return user, await resolve_roles(
            session, user, admin_ids=admin_ids, telegram_id=telegram_id
        )
    user, admin_role, admin_opd = rows[0][0], rows[0][1], rows[0][2]
    # The catalog's versions come with the account (services.screens): no statement of their own.
    screens.remember(session, rows[0][5], rows[0][6])
    kinds, opd = _administration(telegram_id in admin_ids, admin_role, admin_opd)
    if user.kind == BuyerKind.ASN:
        kinds.add(RoleKind.ASN)
    elif user.kind == BuyerKind.GENERAL:
        kinds.add(RoleKind.GENERAL)
    shops: list[int] = []
    for *_, merchant_id, role, _catalog, _sales in rows:
        if merchant_id is not None:
            shops.append(merchant_id)
            kinds.add(RoleKind.SHOP_OWNER if role == MemberRole.OWNER else RoleKind.SHOP_STAFF)
    user = await sync_profile(session, user, first_name=first_name, username=username,
                              language_code=language_code)  # fmt: skip
    return user, Roles(telegram_id, frozenset(kinds), opd, tuple(shops))
