"""Shop management services: who may change what, parsing typed input, deleted products,
staff invitations, QRIS registration and payment proofs (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from models import CartItem, MerchantMember, Order, OrderItem, PaymentMethod, Product, User
from services import catalog, payments, products, shop
from services.cart import get_cart
from services.errors import Forbidden, ServiceError
from services.roles import roles_of
from services.search import search_products
from tests import factories as f

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
STATIC = f.STATIC_QRIS


async def _people(session):
    merchant = await f.merchant(session)
    owner = User(telegram_id=11, first_name="Owner")
    staff = User(telegram_id=12, first_name="Staff")
    stranger = User(telegram_id=13, first_name="Stranger")
    session.add_all([owner, staff, stranger])
    await session.commit()
    session.add_all(
        [
            MerchantMember(merchant_id=merchant.id, user_id=owner.id, role="owner"),
            MerchantMember(merchant_id=merchant.id, user_id=staff.id, role="staff"),
        ]
    )
    await session.commit()
    return merchant, owner, staff, stranger


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("25000", 25_000),
        ("25.000", 25_000),
        ("25rb", 25_000),
        ("Rp 25.000", 25_000),
        ("harga: 27.500", 27_500),
        ("1,5jt", 1_500_000),
    ],  # fmt: skip
)
def test_prices_people_type(text: str, price: int) -> None:
    assert products.parse_price(text) == price


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("harga: abc", "price_invalid"),
        ("", "price_invalid"),
        ("0", "price_not_positive"),
        ("-5000", "price_invalid"),
        ("200jt", "price_too_large"),
    ],  # fmt: skip
)
def test_bad_prices(text: str, code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        products.parse_price(text)
    assert caught.value.code == code


def test_names_stock_and_texts() -> None:
    assert products.parse_name("  Keripik   Tempe ") == "Keripik Tempe"
    for text, code in (("", "name_empty"), ("A", "name_empty"), ("A" * 2000, "name_too_long")):
        with pytest.raises(ServiceError) as caught:
            products.parse_name(text)
        assert caught.value.code == code
    assert products.parse_stock(" 1.200 ") == 1200
    for text, code in (
        ("-3", "stock_negative"),
        ("lima", "stock_invalid"),
        ("2000000", "stock_too_large"),
    ):
        with pytest.raises(ServiceError) as caught:
            products.parse_stock(text)
        assert caught.value.code == code
    with pytest.raises(ServiceError, match="text_too_long"):
        products.parse_description("x" * 3001)
    assert products.parse_description("a  b\r\n\r\n c ") == "a b\n\nc"


async def test_only_the_owner_changes_products(session) -> None:
    merchant, owner, staff, stranger = await _people(session)
    item = await f.product(session, merchant, price=25_000)
    for user in (staff, stranger):
        with pytest.raises(Forbidden):
            await products.update_product(session, user, item.id, "price", "30000", now=NOW)
        with pytest.raises(Forbidden):
            await products.delete_product(session, user, item.id, now=NOW)
        with pytest.raises(Forbidden):
            await shop.create_invite(
                session, user, merchant.id, now=NOW, valid_for=timedelta(hours=1)
            )
        with pytest.raises(Forbidden):
            await payments.register_qris(session, user, merchant.id, STATIC, now=NOW)
    updated = await products.update_product(session, owner, item.id, "price", "Rp 30.000")
    assert updated.price == 30_000
    # Staff may open and close the shop; strangers may not.
    assert not (await shop.set_open(session, staff, merchant.id, False, now=NOW)).is_open
    with pytest.raises(Forbidden):
        await shop.set_open(session, stranger, merchant.id, True, now=NOW)


async def test_deleted_products_leave_catalog_search_and_carts(session) -> None:
    merchant, owner, _staff, buyer = await _people(session)
    item = await f.product(session, merchant, name="Keripik Tempe Sanan", stock=5)
    session.add(CartItem(user_id=buyer.id, product_id=item.id, quantity=1))
    await session.commit()
    assert (await search_products(session, "keripik")).total == 1
    await products.delete_product(session, owner, item.id, now=NOW)
    assert (await search_products(session, "keripik")).total == 0
    category = await f.category(session)
    assert (await catalog.category_page(session, category.id, page=0, page_size=8)).total == 0
    assert not (await catalog.product_card(session, item.id)).visible
    assert (await get_cart(session, buyer)).is_empty
    with pytest.raises(ServiceError, match="product_not_found"):
        await products.update_product(session, owner, item.id, "stock", "3")
    # The same name can be used again: the deleted row comes back with the new details.
    again = await products.create_product(
        session,
        owner,
        merchant.id,
        products.ProductDraft("Keripik Tempe Sanan", category.id, 27_000, "pack", 2),
        now=NOW,
    )
    assert again.id == item.id and again.deleted_at is None and again.price == 27_000
    assert (await search_products(session, "keripik")).total == 1


async def test_delete_refused_while_an_order_is_open(session) -> None:
    merchant, owner, _staff, buyer = await _people(session)
    item = await f.product(session, merchant)
    order = Order(buyer_id=buyer.id, merchant_id=merchant.id, total=1, checkout_key="k")
    session.add(order)
    await session.commit()
    session.add(
        OrderItem(order_id=order.id, product_id=item.id, name="x", unit="u", price=1, quantity=1)
    )
    await session.commit()
    with pytest.raises(ServiceError, match="product_in_open_order"):
        await products.delete_product(session, owner, item.id, now=NOW)
    order.status = "rejected"
    session.add(order)
    await session.commit()
    assert (await products.delete_product(session, owner, item.id, now=NOW)).deleted_at


async def test_names_are_unique_per_shop_ignoring_case(session) -> None:
    merchant, owner, *_ = await _people(session)
    await f.product(session, merchant, name="Kopi Dampit")
    with pytest.raises(ServiceError, match="name_taken"):
        await products.check_new_name(session, owner, merchant.id, "kopi  DAMPIT")
    other = await f.product(session, merchant, name="Teh Tubruk")
    with pytest.raises(ServiceError, match="name_taken"):
        await products.update_product(session, owner, other.id, "name", "KOPI DAMPIT")


async def test_invitations_are_single_use_and_expire(session) -> None:
    merchant, owner, _staff, stranger = await _people(session)
    invite = await shop.create_invite(
        session, owner, merchant.id, now=NOW, valid_for=timedelta(hours=48)
    )
    late = await shop.create_invite(
        session, owner, merchant.id, now=NOW, valid_for=timedelta(hours=48)
    )
    joined = await shop.accept_invite(session, stranger, invite.token, now=NOW)
    assert joined.id == merchant.id
    role = (
        await session.exec(
            select(MerchantMember.role).where(MerchantMember.user_id == stranger.id)
        )
    ).one()
    assert role == "staff"
    newcomer = User(telegram_id=14, first_name="New")
    session.add(newcomer)
    await session.commit()
    with pytest.raises(ServiceError, match="invite_invalid"):
        await shop.accept_invite(session, newcomer, invite.token, now=NOW)
    with pytest.raises(ServiceError, match="already_member"):
        await shop.accept_invite(session, owner, late.token, now=NOW)
    with pytest.raises(ServiceError, match="invite_expired"):
        await shop.accept_invite(session, newcomer, late.token, now=NOW + timedelta(hours=49))
    with pytest.raises(ServiceError, match="cannot_remove_owner"):
        await shop.remove_staff(session, owner, merchant.id, owner.id)


async def test_suspension_needs_an_administrator(session) -> None:
    merchant, _owner, *_ = await _people(session)
    with pytest.raises(Forbidden):
        await shop.suspend(
            session, actor=await roles_of(session, 11, frozenset({1})), code=merchant.code,
            reason="x", now=NOW,
        )  # fmt: skip
    with pytest.raises(ServiceError, match="reason_required"):
        await shop.suspend(
            session, actor=await roles_of(session, 1, frozenset({1})), code=merchant.code,
            reason="  ", now=NOW,
        )  # fmt: skip
    result = await shop.suspend(
        session, actor=await roles_of(session, 1, frozenset({1})), code=merchant.code.lower(),
        reason="NIB  palsu", now=NOW,
    )  # fmt: skip
    assert (
        result.merchant.status == "suspended" and result.merchant.suspended_reason == "NIB palsu"
    )
    assert [u.telegram_id for u in result.notify] == [11, 12]
    back = await shop.reactivate(
        session, actor=await roles_of(session, 1, frozenset({1})), code=merchant.code, now=NOW
    )
    assert back.merchant.status == "active" and back.merchant.suspended_reason is None


async def test_proof_alone_never_marks_the_order_paid(session) -> None:
    merchant, owner, staff, buyer = await _people(session)
    await payments.register_qris(session, owner, merchant.id, STATIC, now=NOW)
    order = Order(
        buyer_id=buyer.id,
        merchant_id=merchant.id,
        total=15_000,
        checkout_key="k",
        payment_method=PaymentMethod.QRIS,
    )
    session.add(order)
    await session.commit()
    with pytest.raises(ServiceError, match="proof_not_expected"):
        await payments.submit_proof(session, buyer, order.id, "AgACfile1", now=NOW)
    order.status = "accepted"
    session.add(order)
    await session.commit()
    item = await payments.order_qris(session, order.id, viewer=buyer)
    assert item.payload.startswith("00020101021226")  # tag 01 = 12: dynamic
    with pytest.raises(Forbidden):
        await payments.submit_proof(session, staff, order.id, "AgACfile1", now=NOW)
    proved = await payments.submit_proof(session, buyer, order.id, "AgACfile1", now=NOW)
    assert proved.proof_file_id == "AgACfile1" and proved.paid_at is None
    assert proved.status == "accepted"
    with pytest.raises(Forbidden):
        await payments.reject_proof(session, buyer, order.id, now=NOW)
    cleared = await payments.reject_proof(session, staff, order.id, now=NOW)
    assert cleared.proof_file_id is None and cleared.paid_at is None
    with pytest.raises(ServiceError, match="proof_missing"):
        await payments.reject_proof(session, staff, order.id, now=NOW)
    assert (await session.exec(select(Product))).all() == []
