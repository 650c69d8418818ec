"""The acting account of an update: one query resolves the account and every role it holds,
as `resolve_roles` does (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlmodel import select

from models import AdminAccount, MerchantMember, User
from services.roles import RoleKind, Roles, acting_account, resolve_roles
from tests import factories as f

ADMINS = frozenset({500})


async def _account(session, telegram_id: int, **profile) -> tuple[User, Roles]:
    return await acting_account(session, telegram_id, admin_ids=ADMINS, **profile)


async def test_a_new_account_is_created_without_roles(session):
    user, roles = await _account(session, 41, first_name="Dimas", language_code="id")
    assert (user.telegram_id, user.first_name, user.telegram_language) == (41, "Dimas", "id")
    assert roles == Roles(41)
    stored = (await session.exec(select(User).where(User.telegram_id == 41))).one()
    assert stored.id == user.id


async def test_every_role_in_one_query_as_resolve_roles_finds_them(session):
    shop_a, shop_b = await f.merchant(session), await f.merchant(session, code="M0002")
    asn = User(telegram_id=42, first_name="Agus", kind="asn")
    session.add(asn)
    session.add(AdminAccount(telegram_id=42, role="opd_operator", opd="Dinas Kesehatan"))
    await session.commit()
    session.add(MerchantMember(merchant_id=shop_b.id, user_id=asn.id, role="staff"))
    session.add(MerchantMember(merchant_id=shop_a.id, user_id=asn.id, role="owner"))
    await session.commit()

    user, roles = await _account(session, 42, first_name="Agus")
    assert roles.kinds == {RoleKind.ASN, RoleKind.OPD_OPERATOR, RoleKind.SHOP_OWNER,
                           RoleKind.SHOP_STAFF}  # fmt: skip
    assert roles.opd == "Dinas Kesehatan"
    assert roles.shops == (shop_b.id, shop_a.id)  # in the order they joined
    assert roles == await resolve_roles(session, user, admin_ids=ADMINS, telegram_id=42)


async def test_configured_and_added_administrators(session):
    session.add_all([User(telegram_id=500, first_name="Kota"), User(telegram_id=43)])
    session.add(AdminAccount(telegram_id=43, role="admin"))
    await session.commit()
    _, configured = await _account(session, 500, first_name="Kota")
    _, added = await _account(session, 43)
    assert configured.kinds == added.kinds == {RoleKind.ADMIN}


async def test_every_administration_role_as_resolve_roles_finds_it(session):
    """Each kind of admin_accounts row gives the same role by both lookups."""
    accounts = {
        45: ("admin", None, {RoleKind.ADMIN}),
        46: ("opd_operator", "Bappeda", {RoleKind.OPD_OPERATOR}),
        47: ("inspectorate", None, {RoleKind.INSPECTORATE}),
    }
    for telegram_id, (role, opd, _kinds) in accounts.items():
        session.add(User(telegram_id=telegram_id, first_name="Staf"))
        session.add(AdminAccount(telegram_id=telegram_id, role=role, opd=opd))
    await session.commit()
    for telegram_id, (_role, opd, kinds) in accounts.items():
        user, roles = await _account(session, telegram_id, first_name="Staf")
        assert (roles.kinds, roles.opd) == (kinds, opd)
        assert roles == await resolve_roles(
            session, user, admin_ids=ADMINS, telegram_id=telegram_id
        )


async def test_the_profile_follows_telegram_and_a_blocked_user_is_reachable_again(session):
    session.add(User(telegram_id=44, first_name="Old", username="old", unreachable=True))
    await session.commit()
    user, _ = await _account(session, 44, first_name="New", username=None, language_code="en")
    assert (user.first_name, user.username, user.telegram_language, user.unreachable) == (
        "New", None, "en", False,
    )  # fmt: skip
    session.expire_all()
    stored = (await session.exec(select(User).where(User.telegram_id == 44))).one()
    assert (stored.first_name, stored.username, stored.unreachable) == ("New", None, False)
