from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models import Order, User
from services.errors import ServiceError
from services.quota import (
    QuotaPolicy,
    deadline_for,
    minimum_for,
    month_bounds,
    quota_status,
    set_minimum,
)
from tests import factories as f

WIB = ZoneInfo("Asia/Jakarta")
POLICY = QuotaPolicy(tz=WIB)


def test_month_bounds_are_wib_calendar_months():
    start, end = month_bounds(date(2026, 11, 15), WIB)
    assert start == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    start, end = month_bounds(date(2026, 12, 1), WIB)
    assert end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)


def test_deadline_day_defaults_to_last_and_clamps():
    assert deadline_for(date(2026, 2, 1), 0) == date(2026, 2, 28)
    assert deadline_for(date(2028, 2, 1), 0) == date(2028, 2, 29)
    assert deadline_for(date(2026, 2, 1), 30) == date(2026, 2, 28)
    assert deadline_for(date(2026, 11, 1), 25) == date(2026, 11, 25)


async def test_minimum_per_class_with_months_from(session):
    assert await minimum_for(session, "III", date(2026, 11, 1), default=500_000) == 500_000
    await set_minimum(session, "III", 750_000, valid_from=date(2026, 12, 1))
    await set_minimum(session, "i", 300_000, valid_from=date(2000, 1, 1))
    assert await minimum_for(session, "III", date(2026, 11, 1), default=500_000) == 500_000
    assert await minimum_for(session, "III", date(2026, 12, 1), default=500_000) == 750_000
    assert await minimum_for(session, "III", date(2027, 5, 1), default=500_000) == 750_000
    assert await minimum_for(session, "I", date(2026, 11, 1), default=500_000) == 300_000
    with pytest.raises(ServiceError):
        await set_minimum(session, "V", 1, valid_from=date(2026, 1, 1))


async def _order(session, user, shop, total, paid_at, status="paid", counts=True):
    order = Order(
        buyer_id=user.id,
        merchant_id=shop.id,
        total=total,
        status=status,
        counts_for_quota=counts,
        buyer_nip=user.nip if counts else None,
        checkout_key=f"k{total}{paid_at}",
        paid_at=paid_at,
        created_at=paid_at or datetime(2026, 11, 1, tzinfo=UTC),
    )
    session.add(order)
    await session.commit()
    return order


async def test_status_counts_paid_orders_of_the_wib_month_only(session):
    user = await f.asn_user(session, 1001)
    shop = await f.merchant(session)
    # 30 Nov 23:30 WIB = 16:30 UTC: November. 30 Nov 17:30 UTC = 1 Dec 00:30 WIB: December.
    await _order(session, user, shop, 100_000, datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    await _order(session, user, shop, 70_000, datetime(2026, 11, 30, 17, 30, tzinfo=UTC))
    # 31 Oct 18:00 UTC = 1 Nov 01:00 WIB: November.
    await _order(session, user, shop, 50_000, datetime(2026, 10, 31, 18, 0, tzinfo=UTC))
    await _order(session, user, shop, 999_000, None, status="accepted")  # not paid
    await _order(
        session, user, shop, 888_000, datetime(2026, 11, 5, tzinfo=UTC), status="rejected"
    )
    await _order(session, user, shop, 777_000, datetime(2026, 11, 5, tzinfo=UTC), counts=False)
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    status = await quota_status(session, user, now=now, policy=POLICY)
    assert status.spent == 150_000
    assert status.minimum == 500_000
    assert status.remaining == 350_000
    assert status.deadline == date(2026, 11, 30)
    assert status.days_left == 3
    assert [o.total for o in status.orders] == [50_000, 100_000]
    assert not status.met


async def test_status_refuses_non_asn(session):
    guest = User(telegram_id=5, first_name="G")
    session.add(guest)
    await session.commit()
    with pytest.raises(ServiceError) as err:
        await quota_status(session, guest, now=datetime.now(UTC), policy=POLICY)
    assert err.value.code == "not_asn"
