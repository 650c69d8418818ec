"""Broadcast audiences and the durable delivery job (services.audience, services.broadcasts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models import (
    AdminAccount,
    AuditLog,
    BroadcastDelivery,
    MerchantMember,
    Order,
    QuotaExemption,
    QuotaRule,
    User,
)
from services import audience as aud
from services import broadcasts as svc
from services.admins import Role
from services.errors import Forbidden, ServiceError
from services.quota import QuotaPolicy
from services.roles import roles_of
from tests import factories as f

NOW = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)
POLICY = QuotaPolicy(tz=ZoneInfo("Asia/Jakarta"), default_minimum=500_000)
ADMIN = 900
ADMINS = frozenset({ADMIN})
OPERATOR = 901
TEXT = svc.Content("text", "<b>Halo</b> ASN!")


async def _asn(session, telegram_id, nip, **roster):
    return await f.asn_user(session, telegram_id, nip, **roster)


async def _paid(session, user, shop, total, paid_at):
    order = Order(
        buyer_id=user.id,
        merchant_id=shop.id,
        status="paid",
        total=total,
        counts_for_quota=True,
        buyer_nip=user.nip,
        checkout_key=f"k{user.id}{total}{paid_at:%m}",
        paid_at=paid_at,
    )
    session.add(order)
    await session.commit()


async def _population(session):
    """A..G are ASN; M runs a shop; X is a guest. See the counts in the test below."""
    shop = await f.merchant(session)
    a = await _asn(session, 1, "198503122010011001", opd="Diskominfo", quota_class="III")
    b = await _asn(session, 2, "198503122010011002", opd="Diskominfo", quota_class="III")
    c = await _asn(session, 3, "198503122010011003", opd="Dinas Kesehatan", quota_class="IV",
                   golongan="IV/a")  # fmt: skip
    d = await _asn(session, 4, "200012312024211001", opd="Diskominfo", quota_class="PPPK",
                   golongan="PPPK")  # fmt: skip
    e = await _asn(session, 5, "198503122010011005", opd="Dinas Kesehatan", quota_class="IV",
                   golongan="IV/a")  # fmt: skip
    f_ = await _asn(session, 6, "198503122010011006", opd="Diskominfo", quota_class="III",
                    active=False)  # fmt: skip
    g = await _asn(session, 7, "198503122010011007", opd="Diskominfo", quota_class="III")
    g.unreachable = True
    session.add(g)
    m = User(telegram_id=8, first_name="Tin")
    x = User(telegram_id=9, first_name="Tamu")
    session.add_all([m, x])
    await session.commit()
    session.add(MerchantMember(merchant_id=shop.id, user_id=m.id))
    session.add(QuotaRule(quota_class="IV", amount=1_000_000, valid_from=date(2026, 1, 1)))
    session.add(
        QuotaExemption(
            nip=e.nip, from_month=date(2026, 11, 1), to_month=date(2026, 12, 1), reason="cuti"
        )
    )
    await session.commit()
    this_month = NOW - timedelta(days=2)
    await _paid(session, b, shop, 600_000, this_month)  # met the minimum
    await _paid(session, c, shop, 700_000, this_month)  # below class IV's 1,000,000
    await _paid(session, a, shop, 900_000, NOW - timedelta(days=40))  # last month
    return a, b, c, d, e, f_, g, m, x


async def _count(session, audience, role=Role("admin")):
    return await aud.count(session, role, audience, now=NOW, policy=POLICY)


async def test_audience_counts(session):
    await _population(session)
    everyone_asn = await _count(session, aud.Audience())
    assert (everyone_asn.recipients, everyone_asn.unreachable) == (5, 1)  # A-E; G unreachable
    assert (await _count(session, aud.Audience(opds=("Diskominfo",)))).recipients == 3
    assert (await _count(session, aud.Audience(classes=("IV",)))).recipients == 2
    assert (await _count(session, aud.Audience(classes=("III", "PPPK")))).recipients == 3
    below = await _count(session, aud.Audience(below_minimum=True))
    assert below.recipients == 3  # A (nothing this month), C (under IV's minimum), D
    narrowed = aud.Audience(opds=("Diskominfo",), below_minimum=True)
    assert (await _count(session, narrowed)).recipients == 2
    assert (await _count(session, aud.Audience(kind=aud.MERCHANTS))).recipients == 1
    assert (await _count(session, aud.Audience(kind=aud.EVERYONE))).recipients == 8
    with pytest.raises(ServiceError) as info:
        await _count(session, aud.Audience(opds=("Dinas Rahasia",)))
    assert info.value.code == "unknown_opd"


async def test_operator_addresses_only_their_own_opd(session):
    await _population(session)
    operator = Role("opd_operator", "Diskominfo")
    own = aud.for_role(operator, aud.Audience())
    assert own.opds == ("Diskominfo",)
    assert (await _count(session, aud.Audience(), operator)).recipients == 3
    for forged in (
        aud.Audience(kind=aud.EVERYONE),
        aud.Audience(kind=aud.MERCHANTS),
        aud.Audience(opds=("Dinas Kesehatan",)),
        aud.Audience(opds=("Diskominfo", "Dinas Kesehatan")),
    ):
        with pytest.raises(Forbidden):
            await _count(session, forged, operator)
    with pytest.raises(Forbidden):
        await _count(session, aud.Audience(), Role(None))


async def _create(session, audience=None, actor=ADMIN, **kwargs):
    return await svc.create(
        session,
        actor=await roles_of(session, actor, ADMINS),
        content=kwargs.pop("content", TEXT),
        audience=audience or aud.Audience(),
        buttons=kwargs.pop("buttons", ["catalog"]),
        now=NOW,
        policy=POLICY,
        draft_key=kwargs.pop("draft_key", "draft1"),
        **kwargs,
    )


async def test_create_fixes_recipients_once_per_draft(session):
    await _population(session)
    broadcast, created = await _create(session)
    assert created and broadcast.status == "running" and broadcast.total == 5
    again, created_again = await _create(session)
    assert not created_again and again.id == broadcast.id
    deliveries = (await session.exec(select(BroadcastDelivery))).all()
    assert len(deliveries) == 5 and {d.status for d in deliveries} == {"pending"}
    audit = (await session.exec(select(AuditLog))).all()
    assert [a.action for a in audit] == ["broadcast_create"]
    with pytest.raises(ServiceError) as info:
        await _create(session, aud.Audience(opds=("Diskominfo",), classes=("IV",)),
                      draft_key="empty")  # fmt: skip
    assert info.value.code == "empty_audience"
    with pytest.raises(Forbidden):
        await _create(session, actor=12345, draft_key="intruder")


async def test_claim_record_finish(session):
    a, b, c, d, e, *_ = await _population(session)
    broadcast, _ = await _create(session)
    first = await svc.claim(session, broadcast.id, 3)
    assert [r.telegram_id for r in first] == [1, 2, 3]
    await svc.record(
        session,
        broadcast.id,
        [
            svc.Outcome(a.id, "sent"),
            svc.Outcome(b.id, "blocked", "Forbidden: bot was blocked by the user"),
            svc.Outcome(c.id, "failed", "Bad Request: can't parse entities"),
        ],
        now=NOW,
    )
    assert not await svc.finish(session, broadcast.id, now=NOW)
    rest = await svc.claim(session, broadcast.id, 10)
    assert [r.telegram_id for r in rest] == [4, 5]
    # A crash here: the next process puts the in-flight ones back and sends them.
    assert await svc.reset_in_flight(session) == 2
    rest = await svc.claim(session, broadcast.id, 10)
    await svc.record(session, broadcast.id, [svc.Outcome(r.user_id, "sent") for r in rest],
                     now=NOW)  # fmt: skip
    assert await svc.claim(session, broadcast.id, 10) == []
    assert await svc.finish(session, broadcast.id, now=NOW)
    assert not await svc.finish(session, broadcast.id, now=NOW)  # reported once
    stats = await svc.stats(session, broadcast.id)
    assert (stats.sent, stats.blocked, stats.failed, stats.remaining) == (3, 1, 1, 0)
    gone = await session.get(User, b.id, populate_existing=True)
    assert gone.unreachable
    rows = await svc.failed_recipients(
        session, actor=await roles_of(session, ADMIN, ADMINS), broadcast_id=broadcast.id
    )
    assert sorted((u.telegram_id, d.status) for u, d in rows) == [(2, "blocked"), (3, "failed")]
    exported = (await session.exec(select(AuditLog).order_by(AuditLog.id.desc()))).first()
    assert (exported.actor_telegram_id, exported.action) == (ADMIN, "broadcast_export_failed")


async def test_pause_resume_cancel_and_who_may(session):
    await _population(session)
    session.add(AdminAccount(telegram_id=OPERATOR, role="opd_operator", opd="Dinas Kesehatan"))
    await session.commit()
    broadcast, _ = await _create(session)

    async def act(action, actor=ADMIN):
        return await svc.control(
            session, actor=await roles_of(session, actor, ADMINS), broadcast_id=broadcast.id,
            action=action, now=NOW,
        )  # fmt: skip

    with pytest.raises(Forbidden):
        await act("pause", OPERATOR)  # not their OPD's broadcast
    assert (await act("pause")).status == "paused"
    assert await svc.claim(session, broadcast.id, 10) == []  # a paused broadcast sends nothing
    with pytest.raises(ServiceError) as info:
        await act("pause")
    assert info.value.code == "invalid_state"
    assert (await act("resume")).status == "running"
    claimed = await svc.claim(session, broadcast.id, 2)
    await svc.release(session, broadcast.id, [r.user_id for r in claimed])
    assert (await svc.stats(session, broadcast.id)).pending == 5
    assert (await act("cancel")).status == "cancelled"
    own, _ = await _create(session, actor=OPERATOR, draft_key="op")
    assert own.sender_opd == "Dinas Kesehatan" and own.total == 2
    listed, total = await svc.list_recent(session, actor=await roles_of(session, OPERATOR, ADMINS))
    assert total == 1 and listed[0][0].id == own.id
    _, total = await svc.list_recent(session, actor=await roles_of(session, ADMIN, ADMINS))
    assert total == 2


async def test_scheduled_broadcast_starts_when_due(session):
    await _population(session)
    session.add(AdminAccount(telegram_id=OPERATOR, role="opd_operator", opd="Diskominfo"))
    await session.commit()
    later = NOW + timedelta(hours=5)
    broadcast, _ = await _create(session, scheduled_at=later)
    assert broadcast.status == "scheduled" and broadcast.total == 0
    orphan, _ = await _create(session, actor=OPERATOR, scheduled_at=later, draft_key="op")
    with pytest.raises(ServiceError) as info:
        await _create(session, scheduled_at=NOW - timedelta(minutes=1), draft_key="past")
    assert info.value.code == "schedule_in_past"
    assert await svc.start_due(session, now=NOW, policy=POLICY, admin_ids=ADMINS) == []
    await session.delete(await session.get(AdminAccount, OPERATOR))  # the operator left
    await session.commit()
    started = await svc.start_due(session, now=later, policy=POLICY, admin_ids=ADMINS)
    assert started == [broadcast.id]
    fresh = await svc.load(session, broadcast.id)
    assert (fresh.status, fresh.total) == ("running", 5)
    assert (await svc.load(session, orphan.id)).status == "cancelled"
    assert await svc.start_due(session, now=later, policy=POLICY, admin_ids=ADMINS) == []
