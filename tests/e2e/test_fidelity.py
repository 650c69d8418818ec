"""What passes here must pass on real Telegram: long carts and orders within Telegram's limits,
alerts in plain text, old cards, command menus that follow roles and language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import Order, OrderItem, Product, User
from services import cart
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import reload, shop_with_owner

# What this module tests is the conversation with Telegram, not SQL: SQLite only.
pytestmark = pytest.mark.one_database

BUYER = 1001
OWNERS = (2001, 2002, 2003, 2004, 2005, 2006)


def _buttons(message) -> int:
    return sum(len(row) for row in message.inline_keyboard)


async def _long_cart(session, products: int = 40) -> tuple[User, list[int]]:
    """`products` products from 6 shops in the buyer's cart, one of each."""
    shops = [
        await shop_with_owner(session, owner, name=f"Toko {n}", phone=f"+62813111100{n:02d}")
        for n, owner in enumerate(OWNERS, start=1)
    ]
    ids = []
    for n in range(products):
        item = await f.product(session, shops[n % 6], name=f"Produk {n:02d}", price=10_000 + n)
        ids.append(item.id)
    buyer = await f.asn_user(session, BUYER)
    for product_id in ids:
        await cart.set_quantity(session, buyer, product_id, 1)
    return buyer, ids


async def test_a_cart_of_40_products_is_shown_edited_and_checked_out(app, tg, session) -> None:
    buyer_row, ids = await _long_cart(session)
    for owner in OWNERS:
        tg.user(owner, first_name="Owner", language_code="en", started=True)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/keranjang")
    screen = await buyer.wait_reply(containing="Your cart")
    assert "40 products, 40 units" in screen.text
    assert all(f"Produk {n:02d}" in screen.text for n in range(40))  # every line, in the text
    total = sum(10_000 + n for n in range(40))
    assert f"Total: Rp{total:,}" in screen.text
    assert _buttons(screen) <= 100 and all(len(row) <= 8 for row in screen.inline_keyboard)
    # Page 3 of the line buttons, then one more of the 20th line.
    await buyer.click("▶️", screen)
    page2 = await buyer.wait_reply()
    await buyer.click("▶️", page2)
    page3 = await buyer.wait_reply()
    assert page3.message_id == screen.message_id and "17. ×1" in page3.buttons
    line = next(row for row in page3.inline_keyboard if row[1]["text"] == "17. ×1")
    await buyer.click_data(page3, line[2]["callback_data"])  # ➕ of line 17
    edited = await buyer.wait_reply()
    assert "17. ×2" in edited.buttons  # still on the same page, with the new quantity
    assert "40 products, 41 units" in edited.text
    await buyer.click("Checkout", edited)
    summary = await buyer.wait_reply(containing="Order summary")
    assert "This creates 6 orders, one per shop" in summary.text
    await buyer.click("pay cash", summary)
    await buyer.wait_reply(containing="Order placed")
    placed = (await session.exec(select(Order).where(Order.buyer_id == buyer_row.id))).all()
    assert len(placed) == 6
    lines = (await session.exec(select(OrderItem))).all()
    assert sum(i.quantity for i in lines) == 41
    await app.wait_handled()
    for owner in OWNERS:  # every shop was told, with the step buttons
        told = tg.user(owner).bot_messages[-1]
        assert "New order" in told.text and "✅ Accept" in told.buttons


async def test_an_order_of_60_lines_is_shown_in_full_across_pages(app, tg, session) -> None:
    shop = await shop_with_owner(session, OWNERS[0])
    buyer_row = await f.asn_user(session, BUYER)
    items = [
        await f.product(session, shop, name=f"Barang {n:02d}", price=1_000) for n in range(60)
    ]
    order = await f.order(session, buyer_row, items[0], status="pending")
    for item in items[1:]:
        session.add(
            OrderItem(
                order_id=order.id,
                product_id=item.id,
                name=item.name,
                unit=item.unit,
                price=item.price,
                quantity=1,
            )  # fmt: skip
        )
    order.total = 60_000
    session.add(order)
    await session.commit()
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/pesanan")
    listing = await buyer.wait_reply(containing="Your orders")
    await buyer.click(f"#{order.id}", listing)
    card = await buyer.wait_reply(containing=f"Order #{order.id}")
    seen = set()
    page = card
    for _ in range(3):
        assert "Total: Rp60,000" in page.text  # the total on every page
        assert _buttons(page) <= 100
        seen |= {n for n in range(60) if f"Barang {n:02d} ×" in page.text}
        if "▶️" not in page.buttons:
            break
        await buyer.click("▶️", page)
        page = await buyer.wait_reply()
        assert page.message_id == card.message_id
    assert seen == set(range(60))
    assert "🚫 Cancel order" in page.buttons  # the steps stay on every page


async def test_a_language_switch_changes_a_shop_owners_menu(app, tg, session) -> None:
    shop = await f.merchant(session, phone="+6281311112222")
    owner = tg.user(OWNERS[0], first_name="Tin", language_code="en", phone="+6281311112222")
    await open_bot(owner)
    await owner.click("🏪")
    await owner.wait_reply()
    await owner.press("📱")
    await owner.wait_reply(containing=shop.name)
    await app.wait_handled()
    menu = {c["command"]: c["description"] for c in tg.commands_for(OWNERS[0])}
    assert menu["toko"] == "My shop" and menu["produk"] == "My products"
    await owner.send("/bahasa")
    choice = await owner.wait_reply()
    await owner.click("Bahasa Indonesia", choice)
    await owner.wait_reply(containing="Bahasa berhasil diganti")
    await app.wait_handled()
    menu = {c["command"]: c["description"] for c in tg.commands_for(OWNERS[0])}
    assert menu["toko"] == "Toko saya" and menu["katalog"] == "Lihat katalog"


async def test_an_administrator_has_the_administration_in_the_menu(app, tg, session) -> None:
    from tests.e2e.conftest import ADMIN_ID

    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await app.restart()  # configured administrators get their menu at start
    commands = {c["command"] for c in tg.commands_for(ADMIN_ID)}
    assert {"admin", "laporan", "broadcast", "kuota_atur", "bekukan"} <= commands
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    assert "admin" not in {c["command"] for c in tg.commands_for(BUYER)}


# --- alerts in plain text, old cards, photos by URL, counting as Telegram does ---------------


async def test_alerts_name_a_shop_with_ampersand_and_brackets_as_it_is(app, tg, session) -> None:
    """The fake Telegram runs with strict_alerts: an alert with HTML in it would fail."""
    shop = await shop_with_owner(session, OWNERS[0], name="Kopi & Gula Aren <Spesial>")
    product = await f.product(session, shop, name="Gula Aren <Cair> & Murni", stock=1)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{product.id}")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: "1 in cart" in m.buttons)
    tap = await buyer.click("➕", tg.message(BUYER, card.message_id))
    answer = await buyer.wait_answer(tap)
    assert answer["text"] == "Only 1 left in stock."
    shop.status, shop.suspended_reason = "suspended", "NIB tidak valid"
    session.add(shop)
    await session.commit()
    tap = await buyer.click("➕", tg.message(BUYER, card.message_id))
    answer = await buyer.wait_answer(tap)
    assert answer["text"] == "Sorry, Gula Aren <Cair> & Murni is no longer available."


async def test_back_on_a_three_day_old_card_still_closes_it(app, tg, session, clock) -> None:
    shop = await shop_with_owner(session, OWNERS[0])
    await f.product(session, shop, name="Keripik Tempe")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/katalog")
    categories = await buyer.wait_reply(containing="Choose a category")
    await buyer.click("Food", categories)
    page = await buyer.wait_reply()
    await buyer.click("Keripik Tempe", page)
    card = await buyer.wait_reply(containing="Keripik Tempe")
    clock.advance(days=3)  # Telegram lets a bot delete a message only within 48 hours
    tap = await buyer.click("⬅️ Back", card)
    await buyer.wait_answer(tap)
    await app.wait_handled()
    shown = tg.message(BUYER, card.message_id)
    assert shown is not None and not shown.deleted
    assert shown.inline_keyboard == []  # closed: its buttons are gone
    # The bot knew the card was too old to delete: it did not even try.
    assert not [c for c in tg.requests if c.method == "deleteMessage"]


async def test_a_card_old_enough_is_deleted_by_back(app, tg, session) -> None:
    shop = await shop_with_owner(session, OWNERS[0])
    product = await f.product(session, shop, name="Keripik Tempe")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/katalog")
    await buyer.click("Food", await buyer.wait_reply(containing="Choose a category"))
    await buyer.click("Keripik Tempe", await buyer.wait_reply())
    card = await buyer.wait_reply(containing=product.name)
    await buyer.click("⬅️ Back", card)
    await app.wait_handled()
    assert tg.message(BUYER, card.message_id).deleted


async def test_a_product_photo_given_as_a_url_is_shown(app, tg, session) -> None:
    from aiohttp import web

    from tests.e2e.helpers import png

    site = web.Application()

    async def photo(_request: web.Request) -> web.Response:
        return web.Response(body=png(), content_type="image/png")

    site.router.add_get("/kopi.png", photo)
    runner = web.AppRunner(site)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/kopi.png"
        shop = await shop_with_owner(session, OWNERS[0])
        product = await f.product(session, shop, name="Kopi Dampit", photo=url)
        buyer = tg.user(BUYER, first_name="Budi", language_code="en")
        card = await open_bot(buyer, f"p{product.id}")
        assert card.photo == png() and "Kopi Dampit" in card.text
        stored = await reload(app, Product, product.id)
        assert stored.photo_file_id  # later cards send Telegram's copy, not the URL again
    finally:
        await runner.cleanup()


async def test_a_long_description_with_emoji_is_shown_whole(app, tg, session) -> None:
    """2,970 characters with many emoji (4,620 UTF-16 units): Telegram counts characters."""
    shop = await shop_with_owner(session, OWNERS[0])
    text = ("Kopi 🌋🌿🍵🍃 " * 300)[:2970]
    product = await f.product(session, shop, name="Kopi Dampit", description=text)
    assert len(text.encode("utf-16-le")) // 2 > 4096 > len(text)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{product.id}")
    assert text.strip() in card.text and "Full description" not in card.buttons
