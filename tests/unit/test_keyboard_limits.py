"""Every list of buttons the bot builds stays within Telegram's limits by construction:
at most 100 buttons a message and 8 a row (Telegram refuses the first, drops past 12 a row),
however long the list behind it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.types import InlineKeyboardMarkup

from models import AdminAccount, Merchant, Order, OrderItem, User
from models.enums import AdminRole, MemberRole
from services import orders, shop
from services.cart import Cart, CartLine, MerchantGroup
from views import admin, cart, keyboards
from views import shop as shop_views
from views.callbacks import ShopCb
from views.format import visible_length
from views.i18n import get_i18n
from views.orders import order_buttons, order_text

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    i18n = get_i18n()
    with i18n.context(), i18n.use_locale("en"):
        yield


def _ok(markup: InlineKeyboardMarkup | None) -> bool:
    return keyboards.within_limits(markup)


def _cart(lines: int, shops: int) -> Cart:
    groups = [MerchantGroup(s, f"Toko {s}") for s in range(1, shops + 1)]
    for n in range(lines):
        groups[n % shops].lines.append(
            CartLine(n + 1, f"Produk {n}", "pcs", 10_000, 1, 50, True, NOW)
        )
    return Cart(groups)


@pytest.mark.parametrize(("lines", "shops"), [(1, 1), (25, 6), (40, 6), (200, 30)])
def test_the_cart(lines: int, shops: int) -> None:
    big = _cart(lines, shops)
    for page in range(0, lines // cart.LINES_PER_PAGE + 2):
        text, markup = cart.cart_screen(big, "en", page)
        assert _ok(markup) and visible_length(text) <= 4096
    text, markup = cart.checkout_summary_screen(big, User(telegram_id=1, first_name="B"),
                                                "k", qris=True, locale="en")  # fmt: skip
    assert _ok(markup) and visible_length(text) <= 4096 and "Total" in text


def test_orders_placed_from_many_shops() -> None:
    placed = [
        Order(id=n, buyer_id=1, merchant_id=n, total=1, checkout_key="k") for n in range(150)
    ]
    _text, markup = cart.placed_screen(placed, created=True, locale="en")
    assert _ok(markup)


def test_an_order_of_300_lines() -> None:
    order = Order(id=7, buyer_id=1, merchant_id=2, total=300_000, checkout_key="k",
                  created_at=NOW)  # fmt: skip
    items = [OrderItem(id=n, order_id=7, name=f"Barang {n}", unit="pcs", price=1_000, quantity=1)
             for n in range(300)]  # fmt: skip
    view = orders.OrderView(order, items, Merchant(id=2, code="M", name="Toko", nib="1",
                            kecamatan="Klojen", kelurahan="Kauman", address="-", phone="-"),
                            User(id=1, telegram_id=1, first_name="B"), True, True)  # fmt: skip
    for page in range(14):
        text = order_text(view, "en", UTC, for_merchant=True, page=page)
        assert visible_length(text) <= 4096 and "Total: Rp300,000" in text
        assert _ok(order_buttons(view, for_merchant=True, page=page))


def test_a_shop_with_many_staff_and_a_person_with_many_shops() -> None:
    merchant = Merchant(id=1, code="M", name="Toko", nib="1", kecamatan="Klojen",
                        kelurahan="Kauman", address="-", phone="-")  # fmt: skip
    people = [shop.Member(User(id=n, telegram_id=n, first_name=f"Staf {n}"), MemberRole.STAFF)
              for n in range(150)]  # fmt: skip
    text, markup = shop_views.staff_screen(merchant, people)
    assert _ok(markup) and visible_length(text) <= 4096
    shops = [(merchant, MemberRole.OWNER)] * 150
    assert _ok(shop_views.shop_chooser(shops, lambda m: ShopCb(m=m)))


def test_many_administrators() -> None:
    accounts = [AdminAccount(telegram_id=n, role=AdminRole.OPD_OPERATOR, opd=f"OPD {n}")
                for n in range(150)]  # fmt: skip
    text, markup = admin.home_screen([1], accounts, {})
    assert _ok(markup) and visible_length(text) <= 4096
    _text, markup = admin.remove_list_screen([1], accounts, {})
    assert _ok(markup)
    for page in range(25):
        assert _ok(admin.opd_choice([f"OPD {n}" for n in range(150)], page)[1])


def test_the_checker_itself() -> None:
    row = [{"text": str(n), "callback_data": "x"} for n in range(9)]
    assert not keyboards.within_limits(InlineKeyboardMarkup(inline_keyboard=[row]))
    many = [[{"text": "x", "callback_data": "x"}]] * 101
    assert not keyboards.within_limits(InlineKeyboardMarkup(inline_keyboard=many))
