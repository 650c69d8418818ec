"""The rough edges a first-time user met, each as they saw it: English without Indonesian
leftovers, short buttons with the prices in the text, old buttons taken away, checkout asking
how the goods change hands, orders in sequence, links that open only what they link to, search
that shows what was asked for, polite texts that do not repeat themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from models import Order, Product, User
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import checkout, reload, search, shop_with_owner

BUYER, OWNER = 1001, 2001


async def test_english_readers_get_english_names_units_and_plurals(app, tg, session):
    shop = await shop_with_owner(session, OWNER, name="Dapur Bu Yuli")
    chips = await f.product(
        session, shop, name="Keripik Tempe Sanan 250 g", name_en="Sanan Tempeh Chips, 250 g",
        price=18_000, stock=60, unit="bungkus",
    )  # fmt: skip
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="id")
    await open_bot(owner)
    await owner.send("/bahasa")
    await owner.click("Bahasa Indonesia", await owner.wait_reply())
    await owner.wait_reply(containing="Menu di bawah")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{chips.id}")
    # The shop gave an English name, not an English description: that stays as written.
    assert "Sanan Tempeh Chips, 250 g" in card.text and "Keripik Tempe Sanan 250" not in card.text
    assert "Rp18,000 / pack" in card.text and "Stock: 60 packs" in card.text
    summary = await checkout(buyer, chips.id)
    assert "Sanan Tempeh Chips, 250 g × 1" in summary.text and "Keripik" not in summary.text
    assert "This creates 1 order, for its shop." in summary.text
    await buyer.click("pay cash", summary)
    placed = await buyer.wait_reply(containing="Order placed")
    await buyer.send("/pesanan")
    await buyer.wait_reply(containing="Your orders")
    await buyer.click("Order #", placed)
    detail = await buyer.wait_reply(containing="Total")
    assert "Sanan Tempeh Chips, 250 g × 1" in detail.text and "Keripik" not in detail.text
    # The order keeps both names: the shop, reading Indonesian, gets the Indonesian one.
    new = await owner.wait_reply(containing="Pesanan baru")
    assert "Keripik Tempe Sanan 250 g × 1" in new.text and "Tempeh" not in new.text


async def test_lists_number_their_lines_with_prices_and_keep_buttons_short(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    long_name = "Kopi Dampit Robusta Bubuk Premium Pilihan Petani 250 g"
    await f.product(session, shop, name=long_name, price=18_000, stock=9)
    await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=0)
    await f.asn_user(session, BUYER)
    buyer = tg.user(BUYER, first_name="Budi", language_code="id")
    await open_bot(buyer)
    await buyer.send("/katalog")
    await buyer.click("Kuliner", await buyer.wait_reply(containing="kategori"))
    page = await buyer.wait_reply(containing="Kuliner")
    # The text holds every line, numbered, with its whole name and price (or sold out).
    assert f"1. {long_name} — Rp18.000" in page.text
    assert "2. Keripik Tempe Sanan — habis" in page.text
    # The buttons: the number and the start of the name, short enough for a phone.
    listed = [b for b in page.buttons if b[0].isdigit()]
    assert listed == ["1. Kopi Dampit Robusta Bubu…", "2. Keripik Tempe Sanan"]
    assert all(len(b) <= 28 for b in listed)
    await buyer.click("1. Kopi", page)
    card = await buyer.wait_reply(containing=long_name)
    await buyer.click("Tambah ke keranjang", card)
    edited = await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    for _ in range(2):
        await buyer.click("➕", edited)
        edited = await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    # Three units of one product: the button says what it counts.
    assert "🛒 Keranjang: 1 produk" in edited.buttons
    await buyer.send("/keranjang")
    screen = await buyer.wait_reply(containing="Keranjang Anda")
    assert "1 produk, 3 unit" in screen.text
    assert f"1. {long_name} — 3 × Rp18.000 = Rp54.000" in screen.text
    assert "1. ×3" in screen.buttons  # the quantity on its button, the name in the text


async def test_search_shows_what_was_asked_for_in_stock_first(app, tg, session):
    batik = await f.merchant(session, name="Griya Batik Celaket")
    cakes = await f.merchant(session, name="Strudel Ijen", phone="+6281311113333")
    await f.product(
        session, batik, name="Selendang Batik Cap Malangan", price=95_000, stock=0,
        category_slug="fesyen",
    )  # fmt: skip
    await f.product(
        session, batik, name="Batik Tulis Malangan", price=650_000, category_slug="fesyen"
    )
    await f.product(session, batik, name="Kemeja Batik Malang Pria", price=275_000,
                    category_slug="fesyen")  # fmt: skip
    await f.product(session, cakes, name="Strudel Apel Malang", price=60_000)
    await f.product(
        session, cakes, name="Pia Kacang Malang", price=40_000, description="Oleh-oleh Malang."
    )
    user = tg.user(BUYER, first_name="Ani", language_code="en")
    await open_bot(user)
    for words in ("batik malang", "btaik malng"):
        result = await search(user, words)
        assert "3 products for" in result.text, result.text
        names = [line.split(". ", 1)[1].split(" — ")[0] for line in result.text.splitlines()
                 if line[:1].isdigit()]  # fmt: skip
        assert names[-1] == "Selendang Batik Cap Malangan"  # sold out: after those in stock
        assert set(names[:2]) == {"Batik Tulis Malangan", "Kemeja Batik Malang Pria"}
        assert "Strudel" not in result.text and "Pia Kacang" not in result.text


async def test_checkout_asks_how_the_goods_change_hands_and_the_shop_sees_it(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    chips = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=9)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    summary = await checkout(buyer, chips.id)
    assert "How do you get the goods?" in summary.text
    assert "Pickup at the shop's address" in summary.text  # the default
    assert {"● 🏪 Pickup", "🛵 Delivery", "💬 Agree"} <= set(summary.buttons)

    # Delivery: an address outside the rules is refused politely, a good one is taken.
    await buyer.click("🛵 Delivery", summary)
    await buyer.wait_reply(containing="Where should the shop deliver")
    await buyer.send("Jl.")
    assert "full address" in (await buyer.wait_reply()).text
    await buyer.send("Jl. Ijen 12, Oro-oro Dowo, Klojen")
    await buyer.wait_reply(containing="Delivery to: Jl. Ijen 12")
    summary = await buyer.wait_reply(containing="Order summary")
    assert "● 🛵 Delivery" in summary.buttons
    await buyer.click("Add a note", summary)
    await buyer.wait_reply(containing="Type a note for the shop")
    await buyer.send("Antar setelah jam 4 sore <ya>")
    await buyer.wait_reply(containing="Noted for the shop")
    summary = await buyer.wait_reply(containing="Order summary")
    assert "Note: Antar setelah jam 4 sore <ya>" in summary.text
    await buyer.click("pay cash", summary)
    placed = await buyer.wait_reply(containing="Order placed")

    new = await owner.wait_reply(containing="New order")
    assert "🛵 Delivery to: Jl. Ijen 12, Oro-oro Dowo, Klojen" in new.text
    assert "📝 Note: Antar setelah jam 4 sore <ya>" in new.text
    await buyer.click("Order #", placed)
    mine = await buyer.wait_reply(containing="Delivery to")
    assert "Antar setelah jam 4 sore" in mine.text

    # The address is remembered for the next time: one tap.
    summary = await checkout(buyer, chips.id)
    await buyer.click("🛵 Delivery", summary)
    await buyer.wait_reply(containing="Where should the shop deliver")
    assert "Jl. Ijen 12, Oro-oro Dowo, Klojen" in buyer.keyboard_buttons
    await buyer.press("Jl. Ijen 12, Oro-oro Dowo, Klojen")
    summary = await buyer.wait_reply(containing="Order summary")
    assert "Delivery to: Jl. Ijen 12" in summary.text
    assert "Note:" not in summary.text  # a note is for one order

    # Pickup: the buyer's order says where the shop is.
    await buyer.click("🏪 Pickup", summary)
    summary = await buyer.wait_reply(containing="Order summary")
    await buyer.click("pay cash", summary)
    placed = await buyer.wait_reply(containing="Order placed")
    await buyer.click("Order #", placed)
    mine = await buyer.wait_reply(containing="Pickup at the shop")
    assert "Pickup at the shop: Jl. Sanan 1, Purwantoro, Blimbing" in mine.text
    async with app.db.session() as s:
        rows = (await s.exec(select(Order).order_by(Order.id))).all()
    assert [(o.fulfilment, o.delivery_address, o.buyer_note) for o in rows] == [
        ("delivery", "Jl. Ijen 12, Oro-oro Dowo, Klojen", "Antar setelah jam 4 sore <ya>"),
        ("pickup", None, None),
    ]


async def test_my_orders_are_newest_first_with_dates_and_statuses_paginated(app, tg, session):
    shop = await shop_with_owner(session, OWNER, name="Toko Kue")
    item = await f.product(session, shop, name="Kue Lapis", price=10_000)
    buyer_row = await f.asn_user(session, BUYER)
    start = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    made = []
    # Created out of id order, as a restored backup or an import may leave them.
    for day in (5, 1, 9, 3, 7, 2, 8, 4, 6, 10):
        order = await f.order(
            session, buyer_row, item, created_at=start + timedelta(days=day - 1),
            status="completed" if day % 2 else "pending",
        )  # fmt: skip
        made.append((day, order.id))
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/pesanan")
    first = await buyer.wait_reply(containing="Your orders")
    assert "Your orders</b> (10), newest first" in first.html or "(10), newest first" in first.text
    newest = [oid for _day, oid in sorted(made, reverse=True)]
    shown = [int(line.split("#")[1].split(" ")[0]) for line in first.text.splitlines()
             if line.startswith("#")]  # fmt: skip
    assert shown == newest[: len(shown)] and len(shown) == 8
    assert "10 Nov" in first.text and "Waiting for the shop" in first.text
    assert "Completed" in first.text
    await buyer.click("▶️", first)
    second = await buyer.wait_reply()
    assert second.message_id == first.message_id
    rest = [int(line.split("#")[1].split(" ")[0]) for line in second.text.splitlines()
            if line.startswith("#")]  # fmt: skip
    assert rest == newest[8:]


async def test_a_product_link_opens_only_the_card(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    chips = await f.product(session, shop, name="Keripik Tempe Sanan")
    await f.asn_user(session, BUYER)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    before = len(buyer.bot_messages)
    await buyer.start(f"p{chips.id}")
    card = await buyer.wait_reply(containing="Keripik Tempe Sanan")
    await app.wait_handled()
    new = buyer.bot_messages[before:]
    assert [m.message_id for m in new] == [card.message_id]  # no "Welcome back" before it
    assert "Welcome" not in card.text


async def test_old_buttons_go_once_their_moment_has_passed(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    shop.qris = f.STATIC_QRIS
    session.add(shop)
    await session.commit()
    chips = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=9)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{chips.id}")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    assert any("in cart" in b for b in tg.message(BUYER, card.message_id).buttons)
    await buyer.send("/keranjang")
    await buyer.click("Checkout", await buyer.wait_reply(containing="Your cart"))
    await buyer.click("pay by QRIS", await buyer.wait_reply(containing="Order summary"))
    await buyer.wait_reply(containing="Order placed")
    await app.wait_handled()
    # The card opened before the checkout no longer says "1 in cart".
    old_card = tg.message(BUYER, card.message_id)
    assert "➕ Add to cart" in old_card.buttons
    assert not any("in cart" in b for b in old_card.buttons)
    assert "🛒 Cart" in old_card.buttons

    # The shop accepts; the buyer sends a proof; once confirmed, its buttons are gone.
    new = await owner.wait_reply(containing="New order")
    await owner.click("Accept", new)
    qr = await buyer.wait_reply(predicate=lambda m: m.photo is not None)
    await buyer.click("Send payment proof", qr)
    await buyer.wait_reply(containing="Send a photo")
    await buyer.send_photo(png_bytes())
    proof = await owner.wait_reply(predicate=lambda m: m.photo is not None)
    assert "💰 Payment received" in proof.buttons
    await owner.click("Payment received", proof)
    await buyer.wait_reply(containing="confirmed your payment")
    await app.wait_handled()
    assert tg.message(OWNER, proof.message_id).buttons == []
    assert (await reload(app, Order, (await _only_order(app)).id)).status == "paid"


def png_bytes() -> bytes:
    from tests.e2e.helpers import png

    return png("green")


async def _only_order(app) -> Order:
    async with app.db.session() as s:
        return (await s.exec(select(Order))).one()


async def test_a_rejection_says_what_happened_and_that_the_buyer_was_told(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    chips = await f.product(session, shop, name="Keripik Tempe Sanan", stock=3)
    await f.asn_user(session, BUYER)
    await _reads_indonesian(session, OWNER)
    owner = tg.user(OWNER, first_name="Tin", language_code="id")
    await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    summary = await checkout(buyer, chips.id)
    await buyer.click("pay cash", summary)
    new = await owner.wait_reply(containing="Pesanan baru")
    order_id = int(new.text.split("#")[1].split()[0])
    await owner.click("Tolak", new)
    await owner.wait_reply(containing="Mengapa")
    await owner.send("Stok habis")
    done = await owner.wait_reply(containing=f"#{order_id}")
    assert done.text == (
        f"❌ Pesanan #{order_id} ditolak. Pembeli sudah diberi tahu beserta alasan Anda."
    )
    told = await buyer.wait_reply(containing="rejected your order")
    assert "Stok habis" in told.text
    assert (await reload(app, Product, chips.id)).stock == 3


async def _reads_indonesian(session, telegram_id: int) -> None:
    row = (await session.exec(select(User).where(User.telegram_id == telegram_id))).one()
    row.language = "id"
    session.add(row)
    await session.commit()


async def test_a_refusal_in_a_flow_says_it_once_in_indonesian(app, tg, session):
    await shop_with_owner(session, OWNER)
    await _reads_indonesian(session, OWNER)
    owner = tg.user(OWNER, first_name="Tin", language_code="id")
    await open_bot(owner)
    await owner.send("/produk")
    await owner.click("Tambah produk", await owner.wait_reply(containing="Keripik Sanan"))
    await owner.wait_reply(containing="nama")
    await owner.send("K" * 130)
    refused = await owner.wait_reply()
    assert refused.text.count("Silakan") + refused.text.count("Mohon") <= 1, refused.text
    assert refused.text.endswith("Ketuk Batal untuk berhenti tanpa menyimpan.")
    async with app.db.session() as s:
        assert (await s.exec(select(Product))).all() == []


async def test_quota_history_shows_six_months_closes_missed_ones_on_start_and_goes_back(
    app, tg, session, clock
):
    from models import MonthClosing

    shop = await shop_with_owner(session, OWNER, name="Toko Kue")
    cake = await f.product(session, shop, name="Kue Lapis", price=100_000, stock=1_000)
    buyer_row = await f.asn_user(session, BUYER)
    # Paid orders from June to November: 6, 1, 7, 2, 8 and 3 cakes (June is 7 months back).
    for month, cakes in zip(range(6, 12), (6, 1, 7, 2, 8, 3), strict=True):
        when = datetime(2026, month, 10, 3, 0, tzinfo=UTC)
        await f.order(
            session, buyer_row, cake, quantity=cakes, status="completed", created_at=when,
            paid_at=when, counts_for_quota=True, buyer_nip=buyer_row.nip,
        )  # fmt: skip
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en", started=True)
    # 3 December: the bot was down over November's deadline and nothing was ever closed. It
    # starts with its scheduler: every month whose deadline is over closes, November too.
    clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    app.settings = app.settings.model_copy(update={"scheduler_enabled": True})
    await app.restart()

    async def closed() -> list:
        async with app.db.session() as s:
            return list((await s.exec(select(MonthClosing.month))).all())

    months: list = []

    async def refresh() -> bool:
        months[:] = await closed()
        return len(months) == 6

    await wait_for_async(refresh)
    assert sorted(m.month for m in months) == [6, 7, 8, 9, 10, 11]

    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send("/kuota")
    quota = await buyer.wait_reply(containing="Minimum spend")
    assert "December 2026" in quota.text
    await buyer.click("Last months", quota)
    history = await buyer.wait_reply()
    assert history.message_id == quota.message_id
    rows = [line for line in history.text.splitlines() if ": Rp" in line]
    assert [r.split(":")[0] for r in rows] == [
        "December 2026",
        "November 2026",
        "October 2026",
        "September 2026",
        "August 2026",
        "July 2026",
    ]
    assert rows[0].endswith("so far")  # the open month, provisional
    assert rows[1] == "November 2026: Rp300,000 / Rp500,000 ✗"  # closed on start, recorded
    assert rows[2] == "October 2026: Rp800,000 / Rp500,000 ✓"
    await buyer.click("⬅️ This month", history)
    back = await buyer.wait_reply()
    assert back.message_id == quota.message_id and "Minimum spend" in back.text

    # The administrator got each closed month's summary once, oldest first.
    async def summaries_sent() -> bool:
        return len([m for m in admin.bot_messages if m.photo_file is not None]) == 6

    await wait_for_async(summaries_sent)
    # (An administrator who never wrote to the bot reads the default language, Indonesian.)
    closed_texts = [m.text for m in admin.bot_messages if "sudah tutup buku" in (m.text or "")]
    assert [t.split(" sudah tutup buku")[0].split()[-2] for t in closed_texts] == [
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
    ]


async def wait_for_async(condition, timeout: float = 20.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("not done in time")
        await asyncio.sleep(0.05)
