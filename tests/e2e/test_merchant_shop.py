"""Running a shop from the chat: /toko, the open/closed switch, staff, suspension by the city,
low-stock warnings."""

from datetime import timedelta

from sqlmodel import select

from models import Merchant, MerchantMember, Order, Product
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, BOT_USERNAME, open_bot
from tests.e2e.helpers import checkout, reload, search, shop_with_owner

OWNER = 2001
OTHER_OWNER = 2002
STAFF = 2101
BUYER = 1001


async def _order(buyer, product_id: int, method: str = "cash", quantity: int = 1):
    """The buyer puts the product in the cart and checks out; returns the order id."""
    summary = await checkout(buyer, product_id, quantity)
    await buyer.click(f"pay {method}" if method != "qris" else "pay by QRIS", summary)
    placed = await buyer.wait_reply(containing="Order placed")
    return int(placed.buttons[0].split("#")[1].split()[0])


async def test_dashboard_figures_and_closing_hides_the_shop(app, tg, session, clock):
    shop = await shop_with_owner(session, OWNER)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=20)
    buyer_user = await f.asn_user(session, BUYER)
    now = clock.now
    # Paid earlier this month, one new order this morning (WIB), one accepted yesterday.
    for status, total, created, paid in (
        ("completed", 75_000, now - timedelta(days=5), now - timedelta(days=5)),
        ("pending", 25_000, now - timedelta(hours=3), None),
        ("accepted", 50_000, now - timedelta(days=1), None),
    ):
        await f.order(
            session,
            buyer_user,
            keripik,
            quantity=total // keripik.price,
            checkout_key=f"k{total}",
            status=status,
            created_at=created,
            accepted_at=created if status != "pending" else None,
            paid_at=paid,
        )
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    assert "🟢 Open" in board.text
    assert "New orders today: 1" in board.text
    assert "Orders waiting for an action: 2" in board.text
    assert "Accepted, waiting for payment · Rp50,000 · for 24 hours" in board.text
    assert "Waiting for the shop · Rp25,000 · for 3 hours" in board.text
    assert board.text.index("Rp50,000 · for 24 hours") < board.text.index("for 3 hours")
    assert "Paid sales in November 2026: Rp75,000 (1 orders)" in board.text
    assert "QRIS: not registered" in board.text

    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    assert "Keripik Tempe Sanan" in str((await search(buyer, "keripik")).buttons)

    await owner.click("Close the shop", board)
    closed = await owner.wait_reply(predicate=lambda m: m.message_id == board.message_id)
    assert "🔴 Closed" in closed.text and "Open the shop" in str(closed.buttons)
    assert not (await reload(app, Merchant, shop.id)).is_open
    assert "Nothing found" in (await search(buyer, "keripik")).text
    await buyer.start(f"p{keripik.id}")
    card = await buyer.wait_reply(containing="Keripik Tempe Sanan")
    assert "Not available" in card.text and "➕ Add to cart" not in card.buttons
    await buyer.send("/katalog")
    await buyer.click("Food & Drinks", await buyer.wait_reply(containing="Choose a category"))
    assert "No products in this category" in (await buyer.wait_reply()).text
    # Its open orders stay, and the shop can still move them.
    pending = (await session.exec(select(Order).where(Order.status == "pending"))).one()
    await owner.click(f"#{pending.id}", closed)
    detail = await owner.wait_reply(containing=f"Order #{pending.id}")
    await owner.click("Accept", detail)
    await buyer.wait_reply(containing="was accepted")

    await owner.click("Open the shop", tg.message(OWNER, board.message_id))
    await owner.wait_reply(containing="🟢 Open")
    assert "Keripik Tempe Sanan" in str((await search(buyer, "keripik")).buttons)


async def test_staff_invitation_and_what_staff_may_not_do(app, tg, session, clock):
    shop = await shop_with_owner(session, OWNER)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=25_000, stock=9)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    staff = tg.user(STAFF, first_name="Sari", language_code="en")
    await open_bot(owner)
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    await owner.click("Staff", board)
    people = await owner.wait_reply(containing="People of")
    assert "👑 Tin (owner)" in people.text
    await owner.click("Invite a staff member", people)
    invite = await owner.wait_reply(containing="one-time link")
    prefix = f"https://t.me/{BOT_USERNAME}?start=s_"
    token = invite.text.split(prefix)[1].split()[0]

    await staff.start(f"s_{token}")
    joined = await staff.wait_reply(containing="You now help run")
    assert "Keripik Sanan Bu Tin" in joined.text
    assert (
        "Sari joined Keripik Sanan Bu Tin as staff"
        in (await owner.wait_reply(containing="joined")).text
    )
    assert any(c["command"] == "toko" for c in tg.my_commands({"type": "chat", "chat_id": STAFF}))
    # One use only.
    intruder = tg.user(2102, first_name="Eve", language_code="en")
    await intruder.start(f"s_{token}")
    assert "not valid or was already used" in (await intruder.wait_reply()).text

    # Staff get the shop's orders and move them.
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    order_id = await _order(buyer, keripik.id)
    new = await staff.wait_reply(containing="New order")
    await owner.wait_reply(containing="New order")
    await staff.click("Accept", new)
    await buyer.wait_reply(containing="was accepted")
    assert (await reload(app, Order, order_id)).status == "accepted"

    # ...but never products, prices, QRIS or invitations, even with forged buttons.
    await staff.send("/produk")
    assert "Only the shop's owner" in (await staff.wait_reply()).text
    await staff.send("/toko")
    staff_board = await staff.wait_reply(containing="Keripik Sanan Bu Tin")
    assert "Products" not in str(staff_board.buttons) and "Staff" not in str(staff_board.buttons)
    for data in (
        f"me:{keripik.id}:price",
        f"me:{keripik.id}:delete_ok",
        f"me:{keripik.id}:hide",
        f"ph:{keripik.id}:0",
        f"mt:{shop.id}:invite",
        f"mt:{shop.id}:qris",
        f"mt:{shop.id}:threshold",
        f"mn:start:{shop.id}:0",
        f"mr:{shop.id}:1",
    ):
        tap = await staff.click_data(staff_board, data)
        assert "Only the shop's owner" in (await staff.wait_answer(tap))["text"], data
    product = await reload(app, Product, keripik.id)
    assert product.price == 25_000 and product.is_active and product.deleted_at is None

    # An expired invitation is refused.
    await owner.click("Invite a staff member", tg.message(OWNER, people.message_id))
    second = await owner.wait_reply(containing="one-time link")
    token2 = second.text.split(prefix)[1].split()[0]
    clock.advance(hours=49)
    await intruder.start(f"s_{token2}")
    assert "expired" in (await intruder.wait_reply()).text

    # The owner removes the staff member, who stops getting orders.
    await owner.send("/toko")
    await owner.click("Staff", await owner.wait_reply(containing="Keripik Sanan Bu Tin"))
    people = await owner.wait_reply(containing="Sari (staff)")
    await owner.click("Remove Sari", people)
    await staff.wait_reply(containing="no longer work for")
    async with app.db.session() as s:
        roles = (await s.exec(select(MerchantMember.role))).all()
    assert roles == ["owner"]


async def test_admin_suspends_and_reactivates_a_shop(app, tg, session):
    shop = await shop_with_owner(session, OWNER, code="M001")
    await f.product(session, shop, name="Keripik Tempe Sanan")
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    for user in (owner, admin, buyer):
        await open_bot(user)

    await buyer.send("/bekukan M001 iseng")
    assert "not allowed" in (await buyer.wait_reply()).text
    assert (await reload(app, Merchant, shop.id)).status == "active"

    await admin.send("/bekukan m001 NIB <tidak> valid")
    done = await admin.wait_reply(containing="is suspended")
    assert "1 of its people were told why" in done.text
    told = await owner.wait_reply(containing="was suspended")
    assert "Reason: NIB <tidak> valid" in told.text
    merchant = await reload(app, Merchant, shop.id)
    assert (merchant.status, merchant.suspended_reason) == ("suspended", "NIB <tidak> valid")
    assert "Nothing found" in (await search(buyer, "keripik")).text
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Keripik Sanan Bu Tin")
    assert "Suspended by the city's administrators: NIB <tidak> valid" in board.text
    assert "Open the shop" not in str(board.buttons) and "Close" not in str(board.buttons)

    await admin.send("/aktifkan M001")
    await admin.wait_reply(containing="is active again")
    await owner.wait_reply(containing="is active again")
    assert "Keripik Tempe Sanan" in str((await search(buyer, "keripik")).buttons)
    await admin.send("/aktifkan M999")
    assert "No shop has the code M999" in (await admin.wait_reply()).text


async def test_low_stock_warning_once_the_order_is_paid(app, tg, session):
    shop = await shop_with_owner(session, OWNER)
    keripik = await f.product(session, shop, name="Keripik Tempe Sanan", price=10_000, stock=5)
    await f.asn_user(session, BUYER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(owner)
    await open_bot(buyer)
    await owner.send("/toko")
    board = await owner.wait_reply(containing="Low-stock warning at 3 or fewer")
    await owner.click("Low-stock warning", board)
    await owner.wait_reply(containing="Now: 3")
    await owner.send("-2")
    assert "cannot be negative" in (await owner.wait_reply()).text
    await owner.send("2")
    await owner.wait_reply(containing="Low-stock warning at 2 or fewer")
    await _order(buyer, keripik.id, quantity=3)  # 5 -> 2: at the threshold
    new = await owner.wait_reply(containing="New order")
    await owner.click("Accept", new)
    accepted = await owner.wait_reply(predicate=lambda m: "Payment received" in str(m.buttons))
    await owner.click("Payment received", accepted)
    warning = await owner.wait_reply(containing="Stock running low")
    assert "Keripik Tempe Sanan: only 2 left" in warning.text
    await owner.send("/produk")
    listing = await owner.wait_reply(containing="Products of")
    assert "stock 2 · ⚠️ low stock" in listing.text
