"""Scheduled order hygiene as users see it (the job is run with the test clock)."""

from models import Product
from scheduler.jobs import JobContext, order_hygiene
from services.leases import Lease
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import shop_with_owner
from tests.factories import fresh

BUYER, OWNER = 1001, 2001


async def _pending_order(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    product = await f.product(session, shop, name="Keripik Tempe", stock=4)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{product.id}")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    await buyer.send("/keranjang")
    cart = await buyer.wait_reply()
    await buyer.click("Checkout", cart)
    summary = await buyer.wait_reply(containing="Order summary")
    await buyer.click("pay cash", summary)
    await owner.wait_reply(containing="New order")
    return owner, buyer, product


def _ctx(app, clock):
    return JobContext(app.db, app.bot, app.settings.policy(), clock, Lease(app.db, clock))


async def test_unanswered_order_is_nudged_once_then_expires(app, tg, session, clock):
    owner, buyer, product = await _pending_order(app, tg, session)
    ctx = _ctx(app, clock)
    clock.advance(hours=25)
    assert (await order_hygiene(ctx))["nudged"] == 1
    nudge = await owner.wait_reply(containing="still waiting")
    assert "Accept" in str(nudge.buttons)
    clock.advance(hours=1)
    assert (await order_hygiene(ctx))["nudged"] == 0
    clock.advance(hours=23)
    assert (await order_hygiene(ctx))["expired"] == 1
    told = await buyer.wait_reply(containing="expired")
    assert "another shop" in told.text
    await owner.wait_reply(containing="expired")
    assert (await fresh(session, Product, product.id)).stock == 4


async def test_second_scheduler_process_does_nothing_while_the_first_holds_the_lease(
    app, tg, session, clock
):
    owner, _buyer, _p = await _pending_order(app, tg, session)
    first, second = _ctx(app, clock), _ctx(app, clock)
    clock.advance(hours=25)
    assert await second.lease.acquire()
    assert await order_hygiene(first) == {}  # not the holder: runs nothing
    assert (await order_hygiene(second))["nudged"] == 1
    await app.wait_handled()
    assert len([m for m in owner.bot_messages if "still waiting" in (m.text or "")]) == 1
