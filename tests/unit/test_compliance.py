"""Rules, exemptions, monthly closing and the report's figures (services, both databases)."""

from datetime import date

import pytest
from sqlmodel import select

from models import AdminAccount, AuditLog, MonthResult, Order, OrderStatus, RosterEntry
from services import compliance, reports
from services.admins import Role
from services.errors import Forbidden, ServiceError
from services.importer import import_roster
from services.quota import QuotaPolicy, minimum_for, quota_status
from services.refunds import refund
from services.roles import roles_of
from tests import factories as f
from tests.compliance_world import NOV, OCT, OPDS, WIB, at, build_world, expected, nip_of

POLICY = QuotaPolicy(tz=WIB)
ADMIN = 900
ADMINS = frozenset({ADMIN})
ADMIN_ROLE = Role("admin")
NOW = at(27)


async def test_minimum_change_from_next_month_keeps_this_month(session):
    await compliance.change_minimum(
        session,
        actor=await roles_of(session, ADMIN, ADMINS),
        quota_class="iii",
        amount=750_000,
        valid_from=date(2026, 12, 1),
        now=NOW,
        policy=POLICY,
    )
    assert await minimum_for(session, "III", NOV, default=500_000) == 500_000
    assert await minimum_for(session, "III", date(2026, 12, 1), default=500_000) == 750_000
    with pytest.raises(ServiceError) as past:
        await compliance.change_minimum(
            session,
            actor=await roles_of(session, ADMIN, ADMINS),
            quota_class="III",
            amount=1,
            valid_from=OCT,
            now=NOW,
            policy=POLICY,
        )
    assert past.value.code == "month_in_past"
    with pytest.raises(Forbidden):
        await compliance.change_minimum(
            session,
            actor=await roles_of(session, 1234, ADMINS),
            quota_class="III",
            amount=1,
            valid_from=date(2026, 12, 1),
            now=NOW,
            policy=POLICY,
        )
    logged = (await session.exec(select(AuditLog).where(AuditLog.action == "set_minimum"))).all()
    assert len(logged) == 1 and '"amount": 750000' in logged[0].details


async def test_deadline_day_is_data_with_a_starting_month(session):
    user = await f.asn_user(session, 1001)
    status = await quota_status(session, user, now=NOW, policy=QuotaPolicy(WIB, deadline_day=0))
    assert status.deadline == date(2026, 11, 30)
    await compliance.change_deadline_day(
        session,
        actor=await roles_of(session, ADMIN, ADMINS),
        day=25,
        valid_from=date(2026, 12, 1),
        now=NOW,
        policy=POLICY,
    )
    status = await quota_status(session, user, now=NOW, policy=POLICY)
    assert status.deadline == date(2026, 11, 30)  # this month keeps its deadline
    december = await quota_status(session, user, now=at(3, month=date(2026, 12, 1)), policy=POLICY)
    assert december.deadline == date(2026, 12, 25)


async def test_report_figures_equal_an_independent_computation(session):
    world = await build_world(session)
    for month in (OCT, NOV):
        report = await reports.build_report(
            session, month, role=ADMIN_ROLE, policy=POLICY, now=NOW, details=True
        )
        want = expected(world, month)
        assert report.closed_at is None
        assert (report.roster, report.registered, report.exempt, report.compliant) == (
            want.roster,
            want.registered,
            want.exempt,
            want.compliant,
        )
        assert report.counted_spend == want.counted_spend
        assert report.total_paid == want.total_paid
        assert report.median_spend == want.median > 0
        assert report.merchants_with_sales == want.merchants_with_sales
        assert report.merchants_without_sales == want.merchants_without_sales
        assert {c.slug: c.amount for c in report.categories} == want.categories
        assert {
            o.opd: (o.asn, o.exempt, o.compliant, o.spent) for o in report.opds
        } == want.per_opd
        assert {r.nip: r.spent for r in report.details.asn} == want.spent
        assert sum(m.revenue for m in report.details.merchants) == want.total_paid
        assert len(report.details.merchants) == len(world.merchants)
        start_orders = [
            o
            for o in world.orders
            if any(
                t is not None and t.astimezone(WIB).date().replace(day=1) == month
                for t in (o.created_at, o.paid_at)
            )
        ]
        assert sorted(r.id for r in report.details.orders) == sorted(o.id for o in start_orders)
    # Compliance percentage per OPD: the chart's bars are sorted lowest first.
    pcts = [o.pct for o in report.opds if o.pct is not None]
    assert pcts == sorted(pcts)


async def test_opd_operator_sees_only_their_opd_and_asn_nothing(session):
    world = await build_world(session)
    opd = OPDS[1]
    session.add(AdminAccount(telegram_id=777, role="opd_operator", opd=opd))
    await session.commit()
    from services.admins import role_of

    role = await role_of(session, 777, ADMINS)
    report = await reports.build_report(
        session, NOV, role=role, policy=POLICY, now=NOW, details=True
    )
    want = expected(world, NOV, opd=opd)
    assert report.opd == opd
    assert [o.opd for o in report.opds] == [opd]
    assert (report.roster, report.compliant, report.counted_spend, report.total_paid) == (
        want.roster,
        want.compliant,
        want.counted_spend,
        want.total_paid,
    )
    assert report.median_spend == want.median and report.subject % 2 == 0  # even count
    assert {r.opd for r in report.details.asn} == {opd}
    assert {r.opd for r in report.details.orders} == {opd}
    assert all(r.orders > 0 for r in report.details.merchants)
    asn_role = await role_of(session, 50_000, ADMINS)  # a registered ASN
    with pytest.raises(Forbidden):
        await reports.build_report(session, NOV, role=asn_role, policy=POLICY, now=NOW)
    with pytest.raises(Forbidden):
        await reports.build_report(
            session, NOV, role=Role("opd_operator", None), policy=POLICY, now=NOW
        )


async def test_exemption_removes_the_asn_from_figures(session):
    shop = await f.merchant(session)
    budi = await f.asn_user(session, 1001)
    await f.asn_user(session, 1002, f.PNS_NIP_2, name="Siti", phone=None)
    before = await reports.build_report(session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert (before.roster, before.exempt, before.subject, before.compliant) == (2, 0, 2, 0)
    exemption = await compliance.add_exemption(
        session,
        actor=await roles_of(session, ADMIN, ADMINS),
        nip=budi.nip,
        from_month=NOV,
        to_month=date(2027, 1, 1),
        reason="study",
    )
    after = await reports.build_report(session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert (after.roster, after.exempt, after.subject) == (2, 1, 1)
    status = await quota_status(session, budi, now=NOW, policy=POLICY)
    assert status.exemption is not None and status.exemption.reason == "study"
    # A big order does not make an exempt ASN "compliant" either: they are simply out.
    session.add(
        Order(
            buyer_id=budi.id,
            merchant_id=shop.id,
            status="paid",
            total=900_000,
            counts_for_quota=True,
            buyer_nip=budi.nip,
            checkout_key="x",
            paid_at=at(10),
        )
    )
    await session.commit()
    after = await reports.build_report(session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert after.compliant == 0 and after.pct == 0.0 and after.counted_spend == 900_000
    behind = await compliance.behind_minimum(session, NOV, policy=POLICY)
    assert [b.nip for b in behind] == [f.PNS_NIP_2]  # no reminder for the exempt ASN
    with pytest.raises(ServiceError) as bad:
        await compliance.add_exemption(
            session,
            actor=await roles_of(session, ADMIN, ADMINS),
            nip=budi.nip,
            from_month=NOV,
            to_month=OCT,
            reason="x",
        )
    assert bad.value.code == "month_range_invalid"
    await compliance.remove_exemption(
        session, actor=await roles_of(session, ADMIN, ADMINS), exemption_id=exemption.id
    )
    again = await reports.build_report(session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert (again.exempt, again.compliant) == (0, 1)


async def test_closing_is_idempotent_and_refunds_later_are_adjustments(session):
    world = await build_world(session)
    with pytest.raises(ServiceError) as early:
        await compliance.close_month(session, NOV, policy=POLICY, now=NOW)
    assert early.value.code == "month_not_over"
    after_october = at(1, 0, month=NOV)
    first = await compliance.close_month(session, OCT, policy=POLICY, now=after_october)
    want = expected(world, OCT)
    assert first.created and first.asn == want.roster and first.compliant == want.compliant
    again = await compliance.close_month(session, OCT, policy=POLICY, now=at(2))
    assert not again.created and again.closed_at == first.closed_at
    recorded = {
        r.nip: r.spent
        for r in (await session.exec(select(MonthResult).where(MonthResult.month == OCT))).all()
    }
    assert recorded == want.spent
    closed_report = await reports.build_report(
        session, OCT, role=ADMIN_ROLE, policy=POLICY, now=NOW
    )
    assert closed_report.closed_at is not None and closed_report.adjustments == []

    # Refund the biggest counted October order of a compliant ASN.
    counted = [
        o
        for o in world.orders
        if o.counts_for_quota
        and o.status in ("paid", "completed", "ready")
        and o.paid_at.astimezone(WIB).month == 10
    ]
    target = max(counted, key=lambda o: o.total)
    shop_owner = await _owner(session, target.merchant_id)
    result = await refund(
        session,
        target.id,
        actor=shop_owner,
        roles=await roles_of(session, shop_owner.telegram_id, ADMINS),
        reason="barang rusak",
        now=NOW,
    )
    assert result.changed and result.order.status == OrderStatus.REFUNDED

    report = await reports.build_report(
        session, OCT, role=ADMIN_ROLE, policy=POLICY, now=NOW, details=True
    )
    # The closed figures stand...
    assert (report.roster, report.compliant, report.counted_spend) == (
        want.roster,
        want.compliant,
        want.counted_spend,
    )
    # ...and the refund shows as an adjustment, in October's report and in November's.
    [adjustment] = report.adjustments
    assert (adjustment.month, adjustment.asn, adjustment.net, adjustment.refunds) == (
        OCT,
        1,
        -target.total,
        target.total,
    )
    [row] = report.details.adjustments
    assert (row.nip, row.recorded - row.now) == (target.buyer_nip, target.total)
    november = await reports.build_report(session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert [a.month for a in november.adjustments] == [OCT]
    recorded_after = {
        r.nip: r.spent
        for r in (await session.exec(select(MonthResult).where(MonthResult.month == OCT))).all()
    }
    assert recorded_after == recorded
    # An administrator's re-run records the month anew.
    rerun = await compliance.close_month(
        session,
        OCT,
        policy=POLICY,
        now=NOW,
        actor=await roles_of(session, ADMIN, ADMINS),
        rerun=True,
    )
    assert rerun.created
    fresh = await reports.build_report(session, OCT, role=ADMIN_ROLE, policy=POLICY, now=NOW)
    assert fresh.counted_spend == want.counted_spend - target.total
    assert fresh.adjustments == []
    with pytest.raises(Forbidden):
        await compliance.close_month(
            session, OCT, policy=POLICY, now=NOW, actor=await roles_of(session, 5, ADMINS)
        )


async def _owner(session, merchant_id):
    from models import MerchantMember, User

    user = User(telegram_id=70_000 + merchant_id, first_name="Owner")
    session.add(user)
    await session.commit()
    session.add(MerchantMember(merchant_id=merchant_id, user_id=user.id, role="owner"))
    await session.commit()
    return user


async def test_refund_rules(session):
    buyer = await f.asn_user(session, 1001)
    shop = await f.merchant(session)
    product = await f.product(session, shop, stock=5)
    stranger = await f.asn_user(session, 1002, f.PNS_NIP_2, phone=None)
    order = Order(
        buyer_id=buyer.id,
        merchant_id=shop.id,
        status="accepted",
        total=50_000,
        counts_for_quota=True,
        buyer_nip=buyer.nip,
        checkout_key="r",
    )
    session.add(order)
    await session.commit()
    from models import OrderItem

    session.add(
        OrderItem(
            order_id=order.id, product_id=product.id, name="x", unit="u", price=25_000, quantity=2
        )
    )
    await session.commit()
    owner = await _owner(session, shop.id)
    with pytest.raises(ServiceError) as unpaid:
        await refund(
            session,
            order.id,
            actor=owner,
            roles=await roles_of(session, owner.telegram_id, ADMINS),
            reason="x",
            now=NOW,
        )
    assert unpaid.value.code == "invalid_transition"
    order.status, order.paid_at = "paid", at(20)
    session.add(order)
    await session.commit()
    with pytest.raises(Forbidden):
        await refund(
            session,
            order.id,
            actor=stranger,
            roles=await roles_of(session, stranger.telegram_id, ADMINS),
            reason="x",
            now=NOW,
        )
    with pytest.raises(ServiceError) as no_reason:
        await refund(
            session,
            order.id,
            actor=owner,
            roles=await roles_of(session, owner.telegram_id, ADMINS),
            reason="  ",
            now=NOW,
        )
    assert no_reason.value.code == "reason_required"
    admin = await f.asn_user(session, ADMIN, "199203042019031003", phone=None)
    done = await refund(
        session,
        order.id,
        actor=admin,
        roles=await roles_of(session, admin.telegram_id, ADMINS),
        reason="dobel",
        now=NOW,
    )
    assert done.changed
    assert (await f.fresh(session, type(product), product.id)).stock == 7  # not handed over yet
    twice = await refund(
        session,
        order.id,
        actor=owner,
        roles=await roles_of(session, owner.telegram_id, ADMINS),
        reason="x",
        now=NOW,
    )
    assert not twice.changed
    status = await quota_status(session, buyer, now=NOW, policy=POLICY)
    assert status.spent == 0
    [entry] = (await session.exec(select(AuditLog).where(AuditLog.action == "refund_order"))).all()
    assert entry.actor_telegram_id == ADMIN and "dobel" in entry.details


async def test_roster_reimport_deactivates_keeps_history_and_drops_from_figures(session):
    world = await build_world(session)
    await compliance.close_month(session, OCT, policy=POLICY, now=at(1, 0))
    leaving = world.roster[0]
    active_before = expected(world, NOV).roster
    csv = "nip,nama,opd,golongan\n" + "".join(
        f"{e.nip},{e.name},{e.opd},{e.golongan}\n" for e in world.roster[1:-1]
    )
    result = await import_roster(session, csv, deactivate_missing=True, today=date(2026, 11, 27))
    assert result.deactivated == 1
    entry = await f.fresh(session, RosterEntry, leaving.nip)
    assert entry is not None and entry.active is False  # kept, not deleted
    november = await reports.build_report(
        session, NOV, role=ADMIN_ROLE, policy=POLICY, now=NOW, details=True
    )
    assert leaving.nip not in {r.nip for r in november.details.asn}
    assert november.roster == active_before - 1
    october = await reports.build_report(
        session, OCT, role=ADMIN_ROLE, policy=POLICY, now=NOW, details=True
    )
    assert leaving.nip in {r.nip for r in october.details.asn}  # the closed month keeps them
    user = world.users[leaving.nip]
    with pytest.raises(ServiceError) as gone:
        await quota_status(session, user, now=NOW, policy=POLICY)
    assert gone.value.code == "inactive"
    # Their orders stay (history), and still count as money paid into UMKM.
    kept = (await session.exec(select(Order).where(Order.buyer_nip == leaving.nip))).all()
    assert len(kept) == len([o for o in world.orders if o.buyer_nip == leaving.nip])


async def test_history_lists_closed_months_and_this_month(session):
    world = await build_world(session)
    await compliance.close_month(session, OCT, policy=POLICY, now=at(1, 0))
    nip = nip_of(0)
    user = world.users[nip]
    history = await compliance.quota_history(session, user, now=NOW, policy=POLICY)
    assert [h.month for h in history] == [NOV, OCT]
    assert [h.closed for h in history] == [False, True]
    assert history[0].spent == expected(world, NOV).spent[nip]
    assert history[1].spent == expected(world, OCT).spent[nip]


async def test_report_of_a_future_month_is_refused(session):
    with pytest.raises(ServiceError) as future:
        await reports.build_report(
            session, date(2027, 1, 1), role=ADMIN_ROLE, policy=POLICY, now=NOW
        )
    assert future.value.code == "month_in_future"
