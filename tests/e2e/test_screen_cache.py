"""Category pages and product cards are rendered once per catalog version (services.screens)
and reused: a shop's change shows on the buyer's very next page and card, and a page asked
for again costs no catalog statement."""

from sqlalchemy import event

from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import shop_with_owner

OWNER = 2001
BUYER = 1001


async def _manage(owner, name: str):
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of")
    await owner.click(name, listing)
    return await owner.wait_reply(predicate=lambda m: "💰 Price" in m.buttons)


async def _page_and_card(buyer, product: str):
    """The buyer's category page of Food & Drinks and the card of `product` on it."""
    await buyer.send("/katalog")
    await buyer.wait_reply(containing="Choose a category")
    await buyer.click("Food & Drinks")
    page = await buyer.wait_reply(containing="Food & Drinks")
    if product not in page.text:
        return page, None
    await buyer.click(product, page)
    card = await buyer.wait_reply(predicate=lambda m: "🛒 Cart" in m.buttons)
    return page, card


async def test_owners_changes_show_on_the_buyers_next_page_and_card(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=4)
    await f.product(session, shop, name="Sambal Bawang", price=18_000, stock=2)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(owner)
    await open_bot(buyer)

    page, card = await _page_and_card(buyer, "Keripik Tempe Sanan")
    assert "Keripik Tempe Sanan — Rp25,000" in page.text
    assert "Rp25,000" in card.text and "Stock: 4" in card.text
    page, card = await _page_and_card(buyer, "Keripik Tempe Sanan")  # now from the cache
    assert "Keripik Tempe Sanan — Rp25,000" in page.text and "Stock: 4" in card.text

    screen = await _manage(owner, "Keripik Tempe Sanan")
    await owner.click("💰 Price", screen)
    await owner.wait_reply(containing="Type the new price")
    await owner.send("Rp 30.000")
    await owner.wait_reply(containing="Saved")
    page, card = await _page_and_card(buyer, "Keripik Tempe Sanan")
    assert "Keripik Tempe Sanan — Rp30,000" in page.text and "Rp25,000" not in page.text
    assert "Rp30,000" in card.text and "Rp25,000" not in card.text

    screen = await owner.wait_reply(predicate=lambda m: "📦 Stock" in m.buttons)
    await owner.click("📦 Stock", screen)
    await owner.wait_reply(containing="Type the new stock")
    await owner.send("0")
    await owner.wait_reply(containing="Saved")
    page, card = await _page_and_card(buyer, "Keripik Tempe Sanan")
    assert "Keripik Tempe Sanan — sold out" in page.text
    assert "Sold out" in card.text and "➕ Add to cart" not in card.buttons

    screen = await owner.wait_reply(predicate=lambda m: "🙈 Hide" in m.buttons)
    await owner.click("🙈 Hide", screen)
    await owner.wait_reply(predicate=lambda m: "👁 Show" in m.buttons)
    page, card = await _page_and_card(buyer, "Keripik Tempe Sanan")
    assert card is None and "1 product" in page.text and "Sambal Bawang" in page.text
    # Its card (by a shared link) says it is not available, without the cart's buttons.
    await buyer.start(f"p{keripik.id}")
    card = await buyer.wait_reply(containing="Keripik Tempe Sanan")
    assert "Not available at the moment" in card.text and "➕ Add to cart" not in card.buttons


async def test_a_page_asked_for_again_reads_no_product(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    for i in range(3):
        await f.product(session, shop, name=f"Kue Lapis {i}", price=5_000 + i, stock=3)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first, _ = await _page_and_card(buyer, "no such product")
        await app.wait_handled()
        read_first = [s for s in statements if "FROM products" in s]
        statements.clear()
        second, _ = await _page_and_card(buyer, "no such product")
        await app.wait_handled()
        read_second = [s for s in statements if "FROM products" in s or "FROM orders" in s]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert "3 products" in first.text and second.text == first.text
    assert read_first  # the first time the page was read from the products
    assert read_second == []  # the second time it came from the cache
    assert "catalog_versions" in " ".join(statements)  # its version was checked
