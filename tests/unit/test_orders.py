import asyncio

import pytest
from sqlmodel import select

from models import MerchantMember, Order, OrderItem, Product, User
from models.enums import BuyerKind
from services import cart, orders
from services.errors import Forbidden, ServiceError
from tests import factories as f
from tests.factories import fresh


async def _setup(session):
    shop_a = await f.merchant(session, name="Keripik Sanan", phone="+6281311112222")
    shop_b = await f.merchant(
        session,
        name="Batik Malangan",
        phone="+6281322223333",
        kecamatan="Klojen",
        kelurahan="Kauman",
    )
    keripik = await f.product(session, shop_a, name="Keripik Tempe", price=25_000, stock=5)
    sambal = await f.product(session, shop_a, name="Sambal Bawang", price=30_000, stock=2)
    batik = await f.product(
        session,
        shop_b,
        name="Batik Tulis Malangan",
        price=350_000,
        stock=1,
        category_slug="fesyen",
    )
    buyer = await f.asn_user(session, 1001)
    owner_a = User(telegram_id=2001, first_name="Tin")
    owner_b = User(telegram_id=2002, first_name="Sri")
    session.add_all([owner_a, owner_b])
    await session.commit()
    session.add_all(
        [
            MerchantMember(merchant_id=shop_a.id, user_id=owner_a.id),
            MerchantMember(merchant_id=shop_b.id, user_id=owner_b.id),
        ]
    )
    await session.commit()
    return shop_a, shop_b, keripik, sambal, batik, buyer, owner_a, owner_b


async def test_checkout_splits_per_merchant_snapshots_and_reserves_stock(session):
    shop_a, shop_b, keripik, sambal, batik, buyer, *_ = await _setup(session)
    await cart.set_quantity(session, buyer, keripik.id, 2)
    await cart.set_quantity(session, buyer, sambal.id, 1)
    await cart.set_quantity(session, buyer, batik.id, 1)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    result = await orders.checkout(session, buyer, key)
    assert result.created
    by_merchant = {o.merchant_id: o for o in result.orders}
    assert by_merchant[shop_a.id].total == 2 * 25_000 + 30_000
    assert by_merchant[shop_b.id].total == 350_000
    assert all(o.counts_for_quota and o.buyer_nip == buyer.nip for o in result.orders)
    # Price and name are snapshots: changing the product later leaves the order alone.
    keripik_row = await session.get(Product, keripik.id)
    keripik_row.price, keripik_row.name = 99_000, "Keripik Baru"
    session.add(keripik_row)
    await session.commit()
    items = (
        await session.exec(
            select(OrderItem).where(OrderItem.order_id == by_merchant[shop_a.id].id)
        )
    ).all()
    assert {(i.name, i.price, i.quantity) for i in items} == {
        ("Keripik Tempe", 25_000, 2),
        ("Sambal Bawang", 30_000, 1),
    }
    assert (await fresh(session, Product, keripik.id)).stock == 3
    assert (await fresh(session, Product, batik.id)).stock == 0
    assert (await cart.get_cart(session, buyer)).is_empty


async def test_repeated_confirm_creates_orders_once(session, db):
    *_, keripik, _sambal, _batik, buyer, _oa, _ob = await _setup(session)
    await cart.set_quantity(session, buyer, keripik.id, 1)
    key = orders.checkout_key(await cart.get_cart(session, buyer))

    async def confirm():
        async with db.session() as s:
            user = await s.get(User, buyer.id)
            return await orders.checkout(s, user, key)

    results = await asyncio.gather(confirm(), confirm(), confirm())
    assert sum(r.created for r in results) == 1
    assert len({o.id for r in results for o in r.orders}) == 1
    await session.commit()  # end this read snapshot to see the other sessions' writes
    assert len((await session.exec(select(Order))).all()) == 1
    assert (await fresh(session, Product, keripik.id)).stock == 4


async def test_checkout_refuses_changed_cart_and_unregistered_buyers(session):
    *_, keripik, sambal, _batik, buyer, _oa, _ob = await _setup(session)
    await cart.set_quantity(session, buyer, keripik.id, 1)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    await cart.set_quantity(session, buyer, sambal.id, 1)
    with pytest.raises(ServiceError) as err:
        await orders.checkout(session, buyer, key)
    assert err.value.code == "cart_changed"
    guest = User(telegram_id=3003, first_name="Tamu")
    session.add(guest)
    await session.commit()
    with pytest.raises(ServiceError) as err:
        await orders.checkout(session, guest, "whatever")
    assert err.value.code == "not_registered"
    assert (await session.exec(select(Order))).all() == []


async def test_stock_is_respected_in_cart_and_at_checkout(session):
    *_, sambal, _batik, buyer, _oa, _ob = await _setup(session)
    with pytest.raises(ServiceError) as err:
        await cart.set_quantity(session, buyer, sambal.id, 3)
    assert err.value.code == "out_of_stock" and err.value.params["stock"] == 2
    await cart.set_quantity(session, buyer, sambal.id, 2)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    # Someone else bought one meanwhile.
    row = await session.get(Product, sambal.id)
    row.stock = 1
    session.add(row)
    await session.commit()
    with pytest.raises(ServiceError) as err:
        await orders.checkout(session, buyer, key)
    assert err.value.code == "out_of_stock"
    assert (await fresh(session, Product, sambal.id)).stock == 1
    assert (await session.exec(select(Order))).all() == []


async def _one_order(session):
    shop_a, shop_b, keripik, _s, _b, buyer, owner_a, owner_b = await _setup(session)
    await cart.set_quantity(session, buyer, keripik.id, 2)
    key = orders.checkout_key(await cart.get_cart(session, buyer))
    order = (await orders.checkout(session, buyer, key)).orders[0]
    return order, buyer, owner_a, owner_b, keripik


async def test_lifecycle_and_who_may_move_an_order(session):
    order, buyer, owner_a, owner_b, _ = await _one_order(session)
    with pytest.raises(Forbidden):
        await orders.transition(session, order.id, "accept", actor=owner_b)  # another shop
    with pytest.raises(Forbidden):
        await orders.transition(session, order.id, "accept", actor=buyer)  # the buyer
    with pytest.raises(ServiceError) as err:
        await orders.transition(session, order.id, "pay", actor=owner_a)  # not accepted yet
    assert err.value.code == "invalid_transition"
    for action in ("accept", "pay", "ready"):
        result = await orders.transition(session, order.id, action, actor=owner_a)
        assert result.changed
    again = await orders.transition(session, order.id, "ready", actor=owner_a)
    assert not again.changed
    with pytest.raises(Forbidden):
        await orders.transition(session, order.id, "receive", actor=owner_b)
    done = await orders.transition(session, order.id, "receive", actor=buyer)
    assert done.order.status == "completed" and done.order.paid_at is not None


async def test_reject_needs_reason_and_releases_stock_and_cannot_be_paid(session):
    order, _buyer, owner_a, _ob, keripik = await _one_order(session)
    assert (await fresh(session, Product, keripik.id)).stock == 3
    with pytest.raises(ServiceError) as err:
        await orders.transition(session, order.id, "reject", actor=owner_a, reason="  ")
    assert err.value.code == "reason_required"
    await orders.transition(session, order.id, "reject", actor=owner_a, reason="Stok habis")
    assert (await fresh(session, Product, keripik.id)).stock == 5
    with pytest.raises(ServiceError) as err:
        await orders.transition(session, order.id, "pay", actor=owner_a)
    assert err.value.code == "invalid_transition"


async def test_buyer_cancels_only_before_acceptance(session):
    order, buyer, owner_a, _ob, keripik = await _one_order(session)
    await orders.transition(session, order.id, "accept", actor=owner_a)
    with pytest.raises(ServiceError):
        await orders.transition(session, order.id, "cancel", actor=buyer)
    order2, *_ = order, None
    assert (await fresh(session, Order, order2.id)).status == "accepted"


async def test_order_view_only_for_its_buyer_and_shop(session):
    order, buyer, owner_a, owner_b, _ = await _one_order(session)
    assert (await orders.order_view(session, order.id, viewer=buyer)).viewer_is_buyer
    assert (await orders.order_view(session, order.id, viewer=owner_a)).viewer_is_merchant
    with pytest.raises(Forbidden):
        await orders.order_view(session, order.id, viewer=owner_b)
    other = User(telegram_id=4004, first_name="X", kind=BuyerKind.GENERAL)
    session.add(other)
    await session.commit()
    assert (await orders.buyer_orders(session, other, page=0, page_size=8)).total == 0
    assert (await orders.buyer_orders(session, buyer, page=0, page_size=8)).total == 1


async def test_buying_the_same_cart_again_later_makes_new_orders(session):
    *_, keripik, _sambal, _batik, buyer, _oa, _ob = await _setup(session)
    keys = []
    for _ in range(2):
        await cart.set_quantity(session, buyer, keripik.id, 1)
        key = orders.checkout_key(await cart.get_cart(session, buyer))
        keys.append(key)
        assert (await orders.checkout(session, buyer, key)).created
    assert keys[0] != keys[1]
    await session.commit()
    assert len((await session.exec(select(Order))).all()) == 2
