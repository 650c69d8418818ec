"""A shop owner manages products in the chat: the add-product conversation, bad input at each
step, editing price and stock, hiding, deleting, sold out."""

from sqlmodel import select

from models import CartItem, Order, OrderItem, Product
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import png, reload, search, shop_with_owner

OWNER = 2001
BUYER = 1001


async def _owner(tg, session, **shop):
    merchant = await shop_with_owner(session, OWNER, **shop)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    return merchant, owner


async def test_owner_adds_a_product_with_a_photo_and_buyers_find_it(app, tg, session):
    shop, owner = await _owner(tg, session)
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of Keripik Sanan Bu Tin")
    assert "No products yet" in listing.text
    await owner.click("Add product", listing)
    await owner.wait_reply(containing="New product for Keripik Sanan Bu Tin")
    await owner.send("Keripik Apel <Batu> & Co")
    categories = await owner.wait_reply(containing="Which category")
    assert "Keripik Apel <Batu> & Co" in categories.text  # shown literally, not as HTML
    await owner.click("Food & Drinks", categories)
    await owner.wait_reply(containing="What is the price")
    await owner.send("Rp 27.500")
    await owner.wait_reply(containing="Per which unit")
    await owner.send("bungkus")
    await owner.wait_reply(containing="How many are in stock")
    await owner.send("12")
    await owner.wait_reply(containing="Describe the product")
    await owner.send("Keripik apel asli Batu,\nrenyah tanpa pengawet.")
    await owner.wait_reply(containing="name in English")
    await owner.send("Batu Apple Chips")
    await owner.wait_reply(containing="description in English")
    await owner.press("Skip")
    await owner.wait_reply(containing="send a photo of the product")
    photo = png("red")
    await owner.send_photo(photo)
    preview = await owner.wait_reply(predicate=lambda m: m.photo is not None)
    assert preview.photo == photo
    for part in ("Preview", "Rp27,500 / bungkus", "Stock: 12", "Food & Drinks", "tanpa pengawet"):
        assert part in preview.text
    async with app.db.session() as s:  # nothing is written before "Save"
        assert (await s.exec(select(Product))).all() == []
    await owner.click("Save", preview)
    await owner.wait_reply(containing="is in your shop now")

    async with app.db.session() as s:
        product = (await s.exec(select(Product))).one()
    assert (product.name, product.price, product.stock, product.unit) == (
        "Keripik Apel <Batu> & Co",
        27_500,
        12,
        "bungkus",
    )
    assert product.merchant_id == shop.id and product.name_en == "Batu Apple Chips"
    assert product.description == "Keripik apel asli Batu,\nrenyah tanpa pengawet."
    assert product.photo and product.photo == product.photo_file_id  # Telegram's file_id

    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    results = await search(buyer, "keripik apel")
    assert "1 product for “keripik apel”" in results.text
    assert "1. Batu Apple Chips — Rp27,500" in results.text
    await buyer.click("1. Batu Apple Chips", results)
    card = await buyer.wait_reply(predicate=lambda m: m.photo is not None)
    assert card.photo == photo
    assert "Batu Apple Chips" in card.text and "Stock: 12 packs" in card.text  # in English


async def test_bad_input_at_every_step_is_explained_and_cancel_saves_nothing(app, tg, session):
    _shop, owner = await _owner(tg, session)
    await f.product(session, _shop, name="Keripik Tempe Sanan")
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of")
    await owner.click("Add product", listing)
    await owner.wait_reply(containing="New product")

    await owner.send("A" * 2000)
    assert "2000 characters; at most 120" in (await owner.wait_reply()).text
    await owner.send_photo(png())
    assert "as text" in (await owner.wait_reply()).text
    await owner.send("keripik tempe sanan")  # another product of the shop has this name
    assert "already has a product called “Keripik Tempe Sanan”" in (await owner.wait_reply()).text
    await owner.send("Sambal Bawang")
    await owner.wait_reply(containing="Which category")

    await owner.send("Food")
    assert "with the buttons" in (await owner.wait_reply()).text
    categories = [m for m in owner.bot_messages if "Which category" in (m.text or "")][-1]
    await owner.click("Food & Drinks", categories)
    await owner.wait_reply(containing="What is the price")

    await owner.send("harga: abc")
    assert "This is not an amount (examples: 25000, 25.000" in (await owner.wait_reply()).text
    await owner.send("0")
    assert "more than Rp0" in (await owner.wait_reply()).text
    await owner.send("-5.000")
    assert "cannot be negative" in (await owner.wait_reply()).text
    await owner.send("25rb")
    await owner.wait_reply(containing="Per which unit")

    await owner.send("x" * 31)
    assert "at most 30 characters" in (await owner.wait_reply()).text
    await owner.send("botol")
    await owner.wait_reply(containing="How many")

    await owner.send("-3")
    assert "cannot be negative" in (await owner.wait_reply()).text
    await owner.send("lima")
    assert "whole number" in (await owner.wait_reply()).text
    await owner.send("5")
    await owner.wait_reply(containing="Describe")

    await owner.send("y" * 3001)
    assert "3001 characters; at most 3000" in (await owner.wait_reply()).text
    await owner.press("Skip")
    await owner.wait_reply(containing="name in English")
    await owner.press("Skip")
    await owner.wait_reply(containing="send a photo")

    await owner.send_document(png(), "sambal.png", "image/png")
    assert "as a <b>file</b>" in ((await owner.wait_reply()).html or "")
    await owner.send("hello")
    assert "send a photo of the product, or tap Skip" in (await owner.wait_reply()).text

    await owner.press("Cancel")
    assert "Nothing was changed" in (await owner.wait_reply()).text
    async with app.db.session() as s:
        names = [p.name for p in (await s.exec(select(Product))).all()]
    assert names == ["Keripik Tempe Sanan"]
    # The conversation is over: typing now is a search again.
    await owner.send("25rb")
    assert "🔎" in (await owner.wait_reply()).text


async def test_cancel_on_the_preview_saves_nothing(app, tg, session):
    shop, owner = await _owner(tg, session)
    await owner.send("/produk")
    await owner.click("Add product", await owner.wait_reply(containing="Products of"))
    await owner.wait_reply(containing="New product")
    for answer, prompt in (
        ("Kopi Dampit", "Which category"),
        (None, "What is the price"),
        ("45.000", "Per which unit"),
        ("pack", "How many"),
        ("7", "Describe"),
        ("⏭️ Skip", "name in English"),
        ("⏭️ Skip", "send a photo"),
        ("⏭️ Skip", "Preview"),
    ):
        if answer is None:
            await owner.click("Food & Drinks")
        else:
            await owner.send(answer)
        reply = await owner.wait_reply(containing=prompt)
    assert "Kopi Dampit" in reply.text and "Rp45,000 / pack" in reply.text
    await owner.click("Cancel", reply)
    assert "Nothing was saved" in (await owner.wait_reply(containing="Cancelled")).text
    async with app.db.session() as s:
        assert (await s.exec(select(Product))).all() == []
    # A stale "Save" tap after cancelling saves nothing either.
    tap = await owner.click_data(reply, "mn:save:0:0")
    assert "no longer valid" in (await owner.wait_answer(tap))["text"]
    async with app.db.session() as s:
        assert (await s.exec(select(Product))).all() == []
    assert shop.id


async def _manage(owner, name: str):
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of")
    await owner.click(name, listing)
    return await owner.wait_reply(predicate=lambda m: "💰 Price" in m.buttons)


async def test_editing_price_and_stock_sold_out_and_hiding(app, tg, session):
    shop, owner = await _owner(tg, session)
    product = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=4)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)

    screen = await _manage(owner, "Keripik Tempe Sanan")
    await owner.click("💰 Price", screen)
    await owner.wait_reply(containing="Type the new price")
    await owner.send("harga: abc")
    assert "This is not an amount" in (await owner.wait_reply()).text
    await owner.send("Rp 30.000")
    await owner.wait_reply(containing="Saved")
    screen = await owner.wait_reply(predicate=lambda m: "💰 Price" in m.buttons)
    assert "Rp30,000 / bungkus" in screen.text
    assert (await reload(app, Product, product.id)).price == 30_000

    await owner.click("📦 Stock", screen)
    await owner.wait_reply(containing="Type the new stock")
    await owner.send("-1")
    assert "cannot be negative" in (await owner.wait_reply()).text
    await owner.send("0")
    await owner.wait_reply(containing="Saved")
    screen = await owner.wait_reply(predicate=lambda m: "💰 Price" in m.buttons)
    assert "Stock: 0 · ❌ sold out" in screen.text

    # Sold out: shown as such, and it cannot go into a cart.
    results = await search(buyer, "keripik tempe")
    assert "Keripik Tempe Sanan — sold out" in results.text
    await buyer.click("Keripik Tempe Sanan", results)
    card = await buyer.wait_reply(containing="Keripik Tempe Sanan")
    assert "Sold out" in card.text and "➕ Add to cart" not in card.buttons
    forged = await buyer.click_data(card, f"k:add:{product.id}:c")
    assert "sold out" in (await buyer.wait_answer(forged))["text"]

    await owner.click("🙈 Hide", screen)
    hidden = await owner.wait_reply(predicate=lambda m: "👁 Show" in m.buttons)
    assert "Hidden from buyers" in hidden.text
    assert "Nothing found" in (await search(buyer, "keripik tempe")).text
    await owner.click("👁 Show", hidden)
    await owner.wait_reply(predicate=lambda m: "🙈 Hide" in m.buttons)
    assert "Keripik Tempe Sanan" in str((await search(buyer, "keripik tempe")).buttons)


async def test_delete_is_refused_while_an_open_order_holds_the_product(app, tg, session):
    shop, owner = await _owner(tg, session)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", stock=5)
    buyer_user = await f.asn_user(session, BUYER)
    order = await f.order(session, buyer_user, keripik, checkout_key="k1")
    other = await f.product(session, shop, name="Sambal Bawang", stock=5)
    session.add(CartItem(user_id=buyer_user.id, product_id=keripik.id, quantity=1))
    await session.commit()

    screen = await _manage(owner, "Keripik Tempe Sanan")
    assert "In 1 open order(s)" in screen.text
    tap = await owner.click("🗑 Delete", screen)
    assert "1 open order(s)" in (await owner.wait_answer(tap))["text"]
    forged = await owner.click_data(screen, f"me:{keripik.id}:delete_ok")
    assert "1 open order(s)" in (await owner.wait_answer(forged))["text"]
    assert (await reload(app, Product, keripik.id)).deleted_at is None

    order = await reload(app, Order, order.id)
    order.status = "completed"
    session.add(order)
    await session.commit()
    screen = await _manage(owner, "Keripik Tempe Sanan")
    await owner.click("🗑 Delete", screen)
    confirm = await owner.wait_reply(containing="Delete Keripik Tempe Sanan?")
    await owner.click("Yes, delete it", confirm)
    await owner.wait_reply(containing="was deleted")

    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    results = await search(buyer, "keripik tempe")
    assert not any("Keripik Tempe Sanan" in b for b in results.buttons)
    await buyer.send("/keranjang")
    assert "cart is empty" in (await buyer.wait_reply()).text
    await buyer.start(f"p{keripik.id}")
    card = await buyer.wait_reply(containing="Keripik Tempe Sanan")
    assert "Not available" in card.text
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of")
    assert "Keripik Tempe" not in listing.text and "Sambal Bawang" in listing.text
    async with app.db.session() as s:  # the past order keeps its line
        line = (await s.exec(select(OrderItem))).one()
        assert (line.product_id, line.name) == (keripik.id, "Keripik Tempe Sanan")
    assert other.id


async def test_deleted_name_can_be_added_again(app, tg, session):
    shop, owner = await _owner(tg, session)
    await f.product(session, shop, name="Kopi Dampit", stock=1)
    screen = await _manage(owner, "Kopi Dampit")
    await owner.click("🗑 Delete", screen)
    await owner.click("Yes, delete it", await owner.wait_reply(containing="Delete Kopi"))
    await owner.wait_reply(containing="was deleted")
    await owner.send("/produk")
    await owner.click("Add product", await owner.wait_reply(containing="Products of"))
    await owner.wait_reply(containing="New product")
    await owner.send("Kopi Dampit")
    assert "Which category" in (await owner.wait_reply()).text
