"""Browse, product cards and deep links, cart, checkout, the order lifecycle and the quota."""

from sqlmodel import select

from models import Order, Product
from tests import factories as f
from tests.e2e.conftest import BOT_USERNAME, open_bot
from tests.e2e.helpers import png, reload, shop_with_owner
from tests.factories import fresh

BUYER = 1001
OWNER_A = 2001
OWNER_B = 2002


async def _catalog(session, tmp_path):
    photo = tmp_path / "keripik.png"
    photo.write_bytes(png())
    shop_a = await shop_with_owner(
        session, OWNER_A, name="Keripik Sanan Bu Tin", kecamatan="Blimbing", kelurahan="Purwantoro"
    )
    shop_b = await shop_with_owner(
        session,
        OWNER_B,
        name="Batik Tulis Celaket",
        phone="+6281322223333",
        kecamatan="Klojen",
        kelurahan="Rampalcelaket",
    )
    keripik = await f.product(
        session,
        shop_a,
        name="Keripik Tempe Sanan",
        price=25_000,
        stock=5,
        photo=str(photo),
        description="Renyah. " * 400,
    )
    sambal = await f.product(
        session, shop_a, name="Sambal Bawang <Pedas> & Co", price=30_000, stock=1
    )
    batik = await f.product(
        session,
        shop_b,
        name="Batik Tulis Malangan",
        price=350_000,
        stock=2,
        category_slug="fesyen",
    )
    return shop_a, shop_b, keripik, sambal, batik


async def test_browse_category_and_product_card(app, tg, session, tmp_path):
    _a, _b, keripik, sambal, _batik = await _catalog(session, tmp_path)
    for i in range(10):  # enough to need a second page
        await f.product(session, _a, name=f"Kue Lapis {i:02d}", price=5_000 + i, stock=3)
    user = tg.user(3001, first_name="Tamu", language_code="en")
    await open_bot(user)
    await user.send("/katalog")
    await user.wait_reply(containing="Choose a category")
    await user.click("Food & Drinks")
    page1 = await user.wait_reply()
    assert "12 products" in page1.text
    # The list is numbered in the text with the prices; the buttons carry the number and name.
    assert "Keripik Tempe Sanan — Rp25,000" in page1.text
    assert all(b[0].isdigit() for b in page1.buttons if b not in {"▶️", "🛍️ Categories"})
    await user.click("▶️", page1)
    page2 = await user.wait_reply()
    assert page2.message_id == page1.message_id  # the list is edited in place
    assert set(page2.buttons).isdisjoint(set(page1.buttons) - {"◀️", "▶️", "🛍️ Categories"})
    await user.click("Sambal Bawang", page2)
    card = await user.wait_reply()
    # HTML in a product name is shown literally, never parsed.
    assert "Sambal Bawang <Pedas> & Co" in card.text
    assert "Rp30,000" in card.text and "Stock: 1" in card.text
    assert "Keripik Sanan Bu Tin" in card.text and "Blimbing" in card.text
    assert f"https://t.me/{BOT_USERNAME}?start=p{sambal.id}" in card.text
    await user.click("◀️", page2)
    page1 = await user.wait_reply()
    await user.click("Keripik Tempe Sanan", page1)
    photo_card = await user.wait_reply()
    assert photo_card.photo == (tmp_path / "keripik.png").read_bytes()
    assert len(photo_card.text) <= 1024  # the long description is cut to fit a caption
    await user.click("Full description", photo_card)
    full = await user.wait_reply()
    assert full.text.count("Renyah.") > photo_card.text.count("Renyah.")
    # The card's photo was uploaded once; later cards reuse Telegram's file id.
    uploads_before = len(tg.calls("sendPhoto"))
    await user.click("Keripik Tempe Sanan", page1)
    again = await user.wait_reply()
    assert again.photo == photo_card.photo
    assert len(tg.calls("sendPhoto")) == uploads_before + 1
    assert (await reload(app, Product, keripik.id)).photo_file_id


async def test_deep_link_opens_the_card_for_anyone(app, tg, session, tmp_path):
    *_, batik = await _catalog(session, tmp_path)
    stranger = tg.user(3002, first_name="Alice", language_code="en")
    await stranger.start(f"p{batik.id}")
    card = await stranger.wait_reply(containing="Batik Tulis Malangan")
    assert "Rp350,000" in card.text and "Klojen" in card.text
    await stranger.start("p999999")
    missing = await stranger.wait_reply(containing="does not exist")
    assert missing


async def test_cart_respects_stock_and_double_taps(app, tg, session, tmp_path):
    _a, _b, _keripik, sambal, _batik = await _catalog(session, tmp_path)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{sambal.id}")
    assert "Sambal" in card.text
    first = await buyer.click("Add to cart", card)
    second = await buyer.click_data(card, card.button("Add to cart")["callback_data"])
    answers = [await buyer.wait_answer(first), await buyer.wait_answer(second)]
    # A double tap adds the product once; one of the taps says so.
    assert [a.get("text") for a in answers].count("Added to your cart.") >= 1
    await app.wait_handled()
    edited = tg.message(BUYER, card.message_id)
    assert "1 in cart" in edited.buttons
    await buyer.click("➕", edited)
    answer = await buyer.wait_answer(
        buyer.server.callback_queries[
            max(
                buyer.server.callback_queries,
                key=lambda k: buyer.server.callback_queries[k].created,
            )
        ]
    )
    assert "Only 1 left" in answer["text"]
    await buyer.send("/keranjang")
    cart = await buyer.wait_reply()
    assert "Sambal Bawang &lt;Pedas&gt;" not in cart.text  # escaped once, shown literally
    assert "1. Sambal Bawang <Pedas> & Co — 1 × Rp30,000 = Rp30,000" in cart.text
    assert "Total: Rp30,000" in cart.text


async def _register_buyer(session):
    return await f.asn_user(session, BUYER)


async def _fill_cart_and_checkout(buyer, tg, keripik, batik):
    for product, times in ((keripik, 2), (batik, 1)):
        await buyer.start(f"p{product.id}")
        card = await buyer.wait_reply(predicate=lambda m: bool(m.inline_keyboard))
        card_id = card.message_id
        await buyer.click("Add to cart", card)
        await buyer.wait_reply(predicate=lambda m, card_id=card_id: m.message_id == card_id)
        for _ in range(times - 1):
            await buyer.click("➕", tg.message(BUYER, card_id))
            await buyer.wait_reply(predicate=lambda m, card_id=card_id: m.message_id == card_id)
    await buyer.send("/keranjang")
    cart = await buyer.wait_reply(containing="Your cart")
    assert "Total: Rp400,000" in cart.text
    assert "one order for each of the 2 shops" in cart.text
    await buyer.click("Checkout", cart)
    summary = await buyer.wait_reply(containing="Order summary")
    return summary


async def test_checkout_makes_one_order_per_shop_once(app, tg, session, tmp_path):
    _a, _b, keripik, _s, batik = await _catalog(session, tmp_path)
    await _register_buyer(session)
    owner_a = tg.user(OWNER_A, first_name="Tin", language_code="en")
    owner_b = tg.user(OWNER_B, first_name="Sri", language_code="en")
    for owner in (owner_a, owner_b):
        await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    summary = await _fill_cart_and_checkout(buyer, tg, keripik, batik)
    assert "Keripik Sanan Bu Tin" in summary.text and "Rp50,000" in summary.text
    confirm = summary.button("pay cash")["callback_data"]
    await buyer.click_data(summary, confirm)
    await buyer.click_data(summary, confirm)  # impatient double tap
    placed = await buyer.wait_reply(containing="Order placed")
    assert len(placed.buttons) == 2
    new_a = await owner_a.wait_reply(containing="New order")
    new_b = await owner_b.wait_reply(containing="New order")
    assert "Keripik Tempe Sanan × 2 = Rp50,000" in new_a.text
    assert "Batik Tulis Malangan × 1 = Rp350,000" in new_b.text
    assert "Budi Santoso" in new_a.text
    assert "+62812" not in new_a.text  # the phone is shared only once the shop accepts
    await app.wait_handled()
    assert len([m for m in owner_a.bot_messages if "New order" in (m.text or "")]) == 1
    async with app.db.session() as s:
        orders = (await s.exec(select(Order))).all()
        assert sorted(o.total for o in orders) == [50_000, 350_000]
        assert (await s.get(Product, keripik.id)).stock == 3


async def test_lifecycle_with_notifications_quota_and_forged_callbacks(app, tg, session, tmp_path):
    _a, _b, keripik, _s, batik = await _catalog(session, tmp_path)
    await _register_buyer(session)
    owner_a = tg.user(OWNER_A, first_name="Tin", language_code="en")
    owner_b = tg.user(OWNER_B, first_name="Sri", language_code="en")
    for owner in (owner_a, owner_b):
        await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    summary = await _fill_cart_and_checkout(buyer, tg, keripik, batik)
    await buyer.click("pay cash", summary)
    new_a = await owner_a.wait_reply(containing="New order")
    new_b = await owner_b.wait_reply(containing="New order")

    # Shop B forges shop A's "accept" button: refused, nothing changes.
    forged = await owner_b.click_data(new_b, new_a.button("Accept")["callback_data"])
    assert "not allowed" in (await owner_b.wait_answer(forged))["text"]
    # Paying before accepting is refused too.
    order_a = int(new_a.text.split("#")[1].split()[0])
    early = await owner_a.click_data(new_a, f"o:{order_a}:pay")
    assert "not possible" in (await owner_a.wait_answer(early))["text"]

    await owner_a.click("Accept", new_a)
    accepted = await buyer.wait_reply(containing="was accepted")
    assert f"Order #{order_a}" in accepted.text
    shown = await owner_a.wait_reply(predicate=lambda m: m.message_id == new_a.message_id)
    assert "+6281234567890" in shown.text  # now the shop can reach the buyer
    await buyer.send("/kuota")
    before = await buyer.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp0" in before.text and "Remaining: Rp500,000" in before.text

    await owner_a.click("Payment received", shown)
    paid = await buyer.wait_reply(containing="confirmed your payment")
    assert "Counts toward your minimum" in paid.text
    await buyer.send("/kuota")
    after = await buyer.wait_reply(containing="Minimum spend")
    assert "Counted so far: Rp50,000" in after.text and "Remaining: Rp450,000" in after.text
    assert f"#{order_a} Keripik Sanan Bu Tin" in after.text
    assert "30 November 2026" in after.text and "3 days left" in after.text

    msg = tg.message(OWNER_A, new_a.message_id)
    await owner_a.click("Ready for pickup", msg)
    ready = await buyer.wait_reply(containing="ready for pickup")
    await buyer.click("I received it", ready)
    done = await owner_a.wait_reply(containing="confirmed receiving")
    assert "Completed" in done.text

    # Shop B rejects with a reason; the stock comes back and the buyer is told why.
    await owner_b.click("Reject", new_b)
    await owner_b.wait_reply(containing="Why do you reject")
    await owner_b.send("Stok kain <habis>")
    rejected = await buyer.wait_reply(containing="rejected your order")
    assert "Stok kain <habis>" in rejected.text
    assert (await fresh(session, Product, batik.id)).stock == 2
    # The rejected order can no longer be paid, even with a forged tap.
    order_b = int(new_b.text.split("#")[1].split()[0])
    late = await owner_b.click_data(tg.message(OWNER_B, new_b.message_id), f"o:{order_b}:pay")
    assert "not possible" in (await owner_b.wait_answer(late))["text"]

    await buyer.send("/pesanan")
    listing = await buyer.wait_reply(containing="Your orders")
    assert "Completed" in listing.text and "Rejected" in listing.text
    await buyer.click(f"#{order_b}", listing)
    detail = await buyer.wait_reply()
    assert "Reason: Stok kain <habis>" in detail.text


async def test_buyer_cancels_before_acceptance_and_stock_returns(app, tg, session, tmp_path):
    _a, _b, keripik, _s, batik = await _catalog(session, tmp_path)
    await _register_buyer(session)
    owner_a = tg.user(OWNER_A, first_name="Tin", language_code="en")
    for owner in (owner_a, tg.user(OWNER_B, first_name="Sri", language_code="en")):
        await open_bot(owner)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    summary = await _fill_cart_and_checkout(buyer, tg, keripik, batik)
    await buyer.click("pay cash", summary)
    placed = await buyer.wait_reply(containing="Order placed")
    await buyer.click("Rp50,000", placed)  # the order at shop A
    detail = await buyer.wait_reply(predicate=lambda m: any("Cancel" in b for b in m.buttons))
    await buyer.click("Cancel order", detail)
    notice = await owner_a.wait_reply(containing="cancelled")
    assert "Cancelled" in notice.text
    assert (await fresh(session, Product, keripik.id)).stock == 5


async def test_unregistered_buyer_is_asked_to_register_at_checkout(app, tg, session, tmp_path):
    *_, batik = await _catalog(session, tmp_path)
    guest = tg.user(3003, first_name="Guest", language_code="en")
    card = await open_bot(guest, f"p{batik.id}")
    assert "Batik" in card.text
    await guest.click("Add to cart", card)
    await guest.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    await guest.send("/keranjang")
    cart = await guest.wait_reply()
    await guest.click("Checkout", cart)
    prompt = await guest.wait_reply(containing="register first")
    assert any("Register as ASN (NIP)" in b for b in prompt.buttons)
