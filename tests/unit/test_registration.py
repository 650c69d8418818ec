from datetime import date

import pytest

from models import User
from services import registration as reg
from services.errors import Forbidden, ServiceError
from services.nip import NipError
from services.roles import roles_of
from tests import factories as f

TODAY = date(2026, 11, 27)


async def _user(session, telegram_id):
    user = User(telegram_id=telegram_id, first_name="U")
    session.add(user)
    await session.commit()
    return user


async def test_registers_when_roster_phone_matches_in_any_form(session):
    await f.roster(session, phone="+6281234567890")
    user = await _user(session, 11)
    outcome = await reg.register_asn(
        session,
        user,
        "19850312 201001 1 001",
        phone="6281234567890",
        contact_user_id=11,
        today=TODAY,
    )
    assert outcome.status == "registered"
    assert user.kind == "asn" and user.nip == f.PNS_NIP


async def test_refuses_mismatched_phone_foreign_contact_and_second_account(session):
    await f.roster(session, phone="+6281234567890")
    user = await _user(session, 11)
    with pytest.raises(ServiceError) as err:
        await reg.register_asn(
            session, user, f.PNS_NIP, phone="081299998888", contact_user_id=11, today=TODAY
        )
    assert err.value.code == "phone_mismatch"
    with pytest.raises(ServiceError) as err:
        await reg.register_asn(
            session, user, f.PNS_NIP, phone="081234567890", contact_user_id=99, today=TODAY
        )
    assert err.value.code == "not_own_contact"
    await reg.register_asn(
        session, user, f.PNS_NIP, phone="081234567890", contact_user_id=11, today=TODAY
    )
    other = await _user(session, 12)
    with pytest.raises(ServiceError) as err:
        await reg.lookup_nip(session, other, f.PNS_NIP, today=TODAY)
    assert err.value.code == "nip_taken" and err.value.params["owner_telegram_id"] == 11


async def test_malformed_and_unknown_nips(session):
    user = await _user(session, 11)
    with pytest.raises(NipError) as err:
        await reg.lookup_nip(session, user, "12345", today=TODAY)
    assert err.value.code == "length"
    with pytest.raises(ServiceError) as err:
        await reg.lookup_nip(session, user, f.PPPK_NIP, today=TODAY)
    assert err.value.code == "not_in_roster"
    await f.roster(session, f.PNS_NIP_2, active=False)
    with pytest.raises(ServiceError) as err:
        await reg.lookup_nip(session, user, f.PNS_NIP_2, today=TODAY)
    assert err.value.code == "inactive"


async def test_roster_without_phone_waits_for_an_admin(session):
    await f.roster(session, f.PPPK_NIP, golongan="PPPK IX", quota_class="PPPK", phone=None)
    user = await _user(session, 11)
    outcome = await reg.register_asn(
        session, user, f.PPPK_NIP, phone="+6285700001111", contact_user_id=11, today=TODAY
    )
    assert outcome.status == "pending" and user.kind == "guest"
    other = await _user(session, 12)
    with pytest.raises(ServiceError) as err:
        await reg.lookup_nip(session, other, f.PPPK_NIP, today=TODAY)
    assert err.value.code == "nip_taken"
    with pytest.raises(Forbidden):
        await reg.decide_registration(
            session,
            outcome.registration.id,
            actor=await roles_of(session, 12, frozenset({900})),
            approve=True,
        )
    decision = await reg.decide_registration(
        session,
        outcome.registration.id,
        actor=await roles_of(session, 900, frozenset({900})),
        approve=True,
    )
    assert decision.changed and decision.user.kind == "asn"
    again = await reg.decide_registration(
        session,
        outcome.registration.id,
        actor=await roles_of(session, 900, frozenset({900})),
        approve=True,
    )
    assert not again.changed
    with pytest.raises(ServiceError) as err:
        await reg.decide_registration(
            session,
            outcome.registration.id,
            actor=await roles_of(session, 900, frozenset({900})),
            approve=False,
        )
    assert err.value.code == "already_decided"


async def test_general_buyer(session):
    user = await _user(session, 11)
    with pytest.raises(ServiceError) as err:
        await reg.register_general(
            session, user, full_name="A", phone="081234567890", contact_user_id=11
        )
    assert err.value.code == "name_invalid"
    await reg.register_general(
        session, user, full_name="  Siti   Aminah ", phone="081234567890", contact_user_id=11
    )
    assert user.kind == "general" and user.full_name == "Siti Aminah"
    assert user.phone == "+6281234567890"
