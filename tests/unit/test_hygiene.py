from datetime import UTC, datetime, timedelta

from models import Order, Product
from services import cart, orders
from services.hygiene import (
    HygienePolicy,
    autocomplete_delivered,
    expire_unanswered,
    nudge_slow_merchants,
    remind_unpaid,
)
from tests.factories import fresh
from tests.unit.test_orders import _setup

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
POLICY = HygienePolicy()


async def _order(session, when=T0):
    _a, _b, keripik, _s, _batik, buyer, owner_a, _ob = await _setup(session)
    await cart.set_quantity(session, buyer, keripik.id, 2)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    order = (await orders.checkout(session, buyer, key, now=when)).orders[0]
    return order, buyer, owner_a, keripik


async def test_nudge_once_then_expire_and_release_stock(session):
    order, _buyer, _owner, keripik = await _order(session)
    assert await nudge_slow_merchants(session, now=T0 + timedelta(hours=23), policy=POLICY) == []
    nudged = await nudge_slow_merchants(session, now=T0 + timedelta(hours=25), policy=POLICY)
    assert [o.id for o in nudged] == [order.id]
    again = await nudge_slow_merchants(session, now=T0 + timedelta(hours=26), policy=POLICY)
    assert again == []  # once only
    assert await expire_unanswered(session, now=T0 + timedelta(hours=47), policy=POLICY) == []
    expired = await expire_unanswered(session, now=T0 + timedelta(hours=49), policy=POLICY)
    assert [o.id for o in expired] == [order.id]
    assert (await fresh(session, Order, order.id)).status == "expired"
    assert (await fresh(session, Product, keripik.id)).stock == 5
    assert await expire_unanswered(session, now=T0 + timedelta(hours=50), policy=POLICY) == []


async def test_payment_reminder_once_and_autocomplete_keeps_the_paid_month(session):
    order, buyer, owner, _k = await _order(session)
    await orders.transition(session, order.id, "accept", actor=owner, now=T0)
    reminded = await remind_unpaid(session, now=T0 + timedelta(days=3, hours=1), policy=POLICY)
    assert [o.id for o in reminded] == [order.id]
    assert await remind_unpaid(session, now=T0 + timedelta(days=4), policy=POLICY) == []
    paid_at = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 30 Nov 23:00 WIB
    await orders.transition(session, order.id, "pay", actor=owner, now=paid_at)
    await orders.transition(session, order.id, "ship", actor=owner, now=paid_at)
    assert (
        await autocomplete_delivered(session, now=paid_at + timedelta(days=6), policy=POLICY) == []
    )
    done = await autocomplete_delivered(session, now=paid_at + timedelta(days=8), policy=POLICY)
    assert [o.id for o in done] == [order.id]
    row = await fresh(session, Order, order.id)
    assert row.status == "completed" and row.paid_at == paid_at  # still counts for November


async def test_an_order_accepted_meanwhile_does_not_expire(session):
    order, _buyer, owner, _k = await _order(session)
    await orders.transition(session, order.id, "accept", actor=owner, now=T0 + timedelta(hours=1))
    assert await expire_unanswered(session, now=T0 + timedelta(days=5), policy=POLICY) == []
