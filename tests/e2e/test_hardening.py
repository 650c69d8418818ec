"""What a modified client, a clumsy one or Telegram's own redelivery sends: nothing gets
through, nothing breaks a screen, everything is answered politely in the user's language.

Each class of defect is also covered by a property-based test (hypothesis) through the real
handlers: forged order steps, malformed ids, re-delivered updates.
"""

from __future__ import annotations

import io
import logging
import string
import uuid

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from models import CartItem, Order, OrderEvent, OrderItem, Product, User
from services import cart, orders
from tests import factories as f
from tests.e2e.conftest import ADMIN_ID, open_bot
from tests.e2e.helpers import shop_with_owner
from tests.factories import fresh

BUYER = 1001
OWNER = 2001
STRANGER = 3001

# One example per test run of a property is an app restart at most: keep them few but varied.
E2E = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def _order(session, status: str = "pending") -> tuple[Order, Product]:
    """A buyer's order at a shop with an owner, placed through the services."""
    shop = await shop_with_owner(session, OWNER)
    product = await f.product(session, shop, name="Keripik Tempe", price=25_000, stock=5)
    buyer = await f.asn_user(session, BUYER)
    await cart.set_quantity(session, buyer, product.id, 1)
    placed = await orders.checkout(
        session, buyer, orders.checkout_key(await cart.get_cart(session, buyer))
    )
    order = placed.orders[0]
    if status != "pending":
        order.status = status
        session.add(order)
        await session.commit()
    return order, product


async def _events(session, order_id: int) -> int:
    query = select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order_id)
    return (await session.exec(query)).one()


# --- 1. steps reserved for the system ------------------------------------------------------


@pytest.mark.parametrize(("status", "action"), [("pending", "expire"), ("ready", "autocomplete")])
async def test_a_buyer_cannot_take_the_systems_steps(app, tg, session, status, action) -> None:
    order, _product = await _order(session, status)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    owner = tg.user(OWNER, first_name="Tin", language_code="en", started=True)
    home = await open_bot(buyer)
    before = await _events(session, order.id)
    owner_seen = len(owner.bot_messages)
    forged = await buyer.click_data(home, f"o:{order.id}:{action}")
    answer = await buyer.wait_answer(forged)
    assert answer.get("show_alert") and "no longer valid" in answer["text"]
    assert (await fresh(session, Order, order.id)).status == status
    assert await _events(session, order.id) == before
    await app.wait_handled()
    assert len(owner.bot_messages) == owner_seen  # the shop was told nothing


async def _world(session) -> dict[str, int]:
    """The shop (with its owner), a product and the buyer: made once per test, found again by
    later examples of a property."""
    product = (await session.exec(select(Product))).first()
    if product is None:
        shop = await shop_with_owner(session, OWNER)
        product = await f.product(session, shop, name="Keripik Tempe", price=25_000, stock=50)
        await f.asn_user(session, BUYER)
    buyer = (await session.exec(select(User).where(User.telegram_id == BUYER))).one()
    return {"shop": product.merchant_id, "product": product.id, "buyer": buyer.id}


async def _new_order(session, world: dict[str, int], status: str) -> int:
    order = Order(
        buyer_id=world["buyer"],
        merchant_id=world["shop"],
        status=status,
        total=25_000,
        counts_for_quota=True,
        checkout_key=uuid.uuid4().hex[:12],
    )
    session.add(order)
    await session.commit()
    session.add(
        OrderItem(
            order_id=order.id,
            product_id=world["product"],
            name="Keripik Tempe",
            unit="bungkus",
            price=25_000,
            quantity=1,
        )  # fmt: skip
    )
    await session.commit()
    return order.id


@E2E
@given(
    action=st.sampled_from([*sorted(orders.ACTIONS), "bogus", "view:x", ""]),
    status=st.sampled_from(["pending", "accepted", "paid", "ready", "shipped", "completed"]),
    who=st.sampled_from(["buyer", "owner", "stranger"]),
)
@example(action="reject", status="pending", who="owner")  # the shop is asked for a reason
@example(action="reject", status="pending", who="buyer")
async def test_forged_order_buttons_follow_the_table(app, tg, db, action, status, who) -> None:
    """Whoever taps whichever step on whatever order: it is taken exactly when the steps table
    allows it to that person, otherwise it is refused with an answer and nothing changes."""
    async with db.session() as session:
        order_id = await _new_order(session, await _world(session), status)
        before = await _events(session, order_id)
    # The buyer and the shop have opened the bot: whoever acts, the other side can be told.
    tg.user(BUYER, first_name="Buyer", language_code="en", started=True)
    tg.user(OWNER, first_name="Owner", language_code="en", started=True)
    person = {"buyer": BUYER, "owner": OWNER, "stranger": STRANGER}[who]
    user = tg.user(person, first_name=who.title(), language_code="en")
    home = await open_bot(user)
    forged = await user.click_data(home, f"o:{order_id}:{action}")
    answer = await user.wait_answer(forged)
    await app.wait_handled()
    async with db.session() as session:
        now = (await session.get(Order, order_id)).status
        events = await _events(session, order_id)
    party = {"buyer": orders.Party.BUYER, "owner": orders.Party.OWNER}.get(who)
    step = orders.TRANSITIONS.get((action, orders.OrderStatus(status)))
    by_button = action in orders.PERSON_ACTIONS and action != "reject"
    if by_button and step is not None and party in step[1]:
        assert now == step[0], (action, status, who)
    elif action == "reject" and step is not None and party in step[1]:
        # Allowed: the shop is asked for the reason first; nothing changes until it is typed.
        assert (now, events) == (status, before)
        assert user.bot_messages[-1].text.startswith(f"Why do you reject order #{order_id}?")
    elif action in ("", "view") and party is not None:  # an empty action is a view: allowed
        assert (now, events) == (status, before)
        assert user.bot_messages[-1].text.startswith(f"📦 Order #{order_id}")
    else:
        assert (now, events) == (status, before), (action, status, who, answer)
        assert answer.get("text"), "a refused tap is answered with a reason"
    assert not [c for c in tg.errors if "not modified" not in (c.error or "")]


# --- 2. the NIP step discloses nothing ----------------------------------------------------------


async def _nip_answer(tg, user_id: int, nip: str) -> str:
    user = tg.user(user_id, first_name="Penasaran", language_code="en", phone="+6281299990000")
    await open_bot(user)
    await user.click("Register as ASN")
    await user.wait_reply(containing="type your")
    await user.send(nip)
    return (await user.wait_reply()).text


async def test_the_nip_step_shows_nothing_about_the_roster(app, tg, session) -> None:
    await f.roster(session, f.PNS_NIP, name="Budi Santoso", opd="Diskominfo")
    known = await _nip_answer(tg, 4001, f.PNS_NIP)
    unknown = await _nip_answer(tg, 4002, f.PNS_NIP_2)  # well formed, not in the roster
    assert "Budi" not in known and "Diskominfo" not in known
    assert known.replace(f.PNS_NIP, "N") == unknown.replace(f.PNS_NIP_2, "N")
    assert "phone number" in known


async def test_a_strangers_phone_gets_one_answer_for_any_nip(app, tg, session) -> None:
    """After sharing a phone number that is not the roster's, a stranger is told the same for a
    known NIP, an unknown one and one already linked: nothing tells them apart."""
    await f.roster(session, f.PNS_NIP, name="Budi Santoso", phone="+6281234567890")
    await f.roster(session, f.PNS_NIP_2, name="Sri Rahayu", phone="+6281234567891")
    await f.asn_user(session, 5000, f.PNS_NIP_2)  # already linked to another account
    answers = []
    for user_id, nip in ((4001, f.PNS_NIP), (4002, f.PNS_NIP_2), (4003, f.PPPK_NIP)):
        await _nip_answer(tg, user_id, nip)
        stranger = tg.user(user_id)
        await stranger.press("Share my phone number")
        answers.append((await stranger.wait_reply()).text.replace(nip, "N"))
    assert answers[0] == answers[1] == answers[2]
    assert "could not confirm" in answers[0]
    assert not any(name in a for a in answers for name in ("Budi", "Sri", "Diskominfo"))


# --- 4. ids from callbacks, links and commands ---------------------------------------------------

NOT_IDS = ["99999999999999999999", "2147483648", "²", "١٢", "-1", "0x1f", "1e9", " ", "٣"]


@pytest.mark.parametrize("bad", NOT_IDS)
async def test_malformed_ids_get_a_polite_answer(app, tg, session, bad: str) -> None:
    """Every kind of malformed id, in buttons, in a product link and in a command: a polite
    answer each time ("no longer exists", or the plain start for a link), never a failure."""
    user = tg.user(STRANGER, first_name="Tamu", language_code="en")
    home = await open_bot(user)
    for data in (f"p:{bad}:l", f"o:{bad}:view", f"k:inc:{bad}:c", f"c:{bad}:0", f"rf:{bad}"):
        tap = await user.click_data(home, data)
        answer = await user.wait_answer(tap)
        assert answer.get("text"), data
    await user.send(f"/start p{bad.strip() or 'x'}")
    await app.wait_handled()
    said = [m.text for m in user.bot_messages[-2:]]
    assert "That product does not exist any more." in said or "What would you like to do?" in said
    await user.send(f"/refund {bad.strip() or 'x'} rusak")
    reply = await user.wait_reply()
    assert "Usage" in reply.text or "does not exist" in reply.text
    assert not [c for c in tg.errors if "not modified" not in (c.error or "")]


@E2E
@given(
    prefix=st.sampled_from(
        [
            "p",
            "pm",
            "o",
            "k",
            "kv",
            "c",
            "s",
            "co",
            "mt",
            "me",
            "mp",
            "rf",
            "rp",
            "qa",
            "adm",
            "bct",
            "bsu",
            "rg",
            "l",
            "st",
            "x",
            "zz",
        ]
    ),
    parts=st.lists(
        st.text(alphabet=string.digits + "²١٢-:+e " + string.ascii_letters, max_size=22),
        max_size=4,
    ),
)
async def test_any_callback_data_is_answered(app, tg, prefix: str, parts: list[str]) -> None:
    """Whatever callback data a modified client sends (within Telegram's 64 bytes), the tap is
    answered and the bot makes no failing call."""
    data = ":".join([prefix, *parts]).encode()[:64].decode("utf-8", "ignore") or "x"
    user = tg.user(STRANGER, first_name="Tamu", language_code="en")
    home = await open_bot(user)
    tap = await user.click_data(home, data)
    await user.wait_answer(tap)
    await app.wait_handled()
    assert not [c for c in tg.errors if "not modified" not in (c.error or "")], data


@E2E
@given(payload=st.text(alphabet=string.ascii_letters + string.digits + "_-²١", min_size=1,
                       max_size=64))  # fmt: skip
async def test_any_start_link_opens_something(app, tg, payload: str) -> None:
    user = tg.user(STRANGER, first_name="Tamu", language_code="en")
    await user.send(f"/start {payload}")
    reply = await user.wait_reply()
    assert reply.text or reply.caption
    await app.wait_handled()
    assert not [c for c in tg.errors if "not modified" not in (c.error or "")], payload


# --- 5. every update handled once ----------------------------------------------------------------


async def test_a_redelivered_tap_adds_nothing(app, tg, session) -> None:
    shop = await shop_with_owner(session, OWNER)
    product = await f.product(session, shop, name="Keripik Tempe", price=25_000, stock=9)
    buyer_row = await f.asn_user(session, BUYER)
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await open_bot(buyer)
    await buyer.send(f"/start p{product.id}")
    card = await buyer.wait_reply(containing="Keripik Tempe")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: "1 in cart" in m.buttons)
    tap = await buyer.click("➕", card)
    await buyer.wait_reply(predicate=lambda m: "2 in cart" in m.buttons)
    update = tg.updates_log[-1]
    assert update["callback_query"]["id"] == tap.id
    await app.stop()
    tg.deliver_again(update)  # the process died before confirming it: Telegram sends it again
    await app.start()
    await app.wait_handled()
    items = (await session.exec(select(CartItem).where(CartItem.user_id == buyer_row.id))).all()
    assert [i.quantity for i in items] == [2]
    assert not [c for c in tg.errors if "not modified" not in (c.error or "")]


async def test_a_redelivered_answer_is_not_taken_twice(app, tg, session) -> None:
    """In the add-product conversation, the price typed once is not taken again as the unit."""
    shop = await shop_with_owner(session, OWNER)
    owner = tg.user(OWNER, first_name="Tin", language_code="en")
    await open_bot(owner)
    await owner.send("/produk")
    await owner.wait_reply(containing="Products of")
    await owner.click("Add product")
    await owner.wait_reply(containing="What is it called")
    await owner.send("Kopi Dampit 250 g")
    category = await owner.wait_reply(containing="Which category")
    await owner.click("Food", category)
    await owner.wait_reply(containing="price")
    await owner.send("25000")
    await owner.wait_reply(containing="Per which unit")
    price_update = tg.updates_log[-1]
    await app.stop()
    tg.deliver_again(price_update)
    await app.start()
    await app.wait_handled()
    await owner.send("bungkus")
    await owner.wait_reply(containing="How many are in stock")
    await owner.send("12")
    await owner.wait_reply(containing="Describe the product")
    await owner.press("Skip")
    await owner.wait_reply(containing="name in English")
    await owner.press("Skip")
    await owner.wait_reply(containing="send a photo")
    await owner.press("Skip")
    preview = await owner.wait_reply(containing="Preview")
    await owner.click("Save", preview)
    await owner.wait_reply(containing="is in your shop now")
    product = (await session.exec(select(Product).where(Product.merchant_id == shop.id))).one()
    assert (product.price, product.unit, product.stock) == (25_000, "bungkus", 12)


@E2E
@given(
    taps=st.lists(st.sampled_from(["➕", "➖"]), min_size=1, max_size=4),
    again=st.lists(st.booleans(), min_size=4, max_size=4),
)
async def test_redelivered_updates_change_nothing(app, tg, db, taps, again) -> None:
    """Any run of cart taps, any of them delivered again after a restart: the cart holds what
    the taps made once."""
    async with db.session() as session:
        world = await _world(session)
        await session.exec(CartItem.__table__.delete())  # type: ignore[attr-defined]
        await session.commit()
    buyer = tg.user(BUYER, first_name="Budi", language_code="en")
    await buyer.send(f"/start p{world['product']}")
    card = await buyer.wait_reply(containing="Keripik Tempe")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: "1 in cart" in m.buttons)
    expected, updates = 1, []
    for tap in taps:
        if tap == "➖" and expected == 0:
            continue
        button = tap if expected else "Add to cart"
        await buyer.click(button, card)
        expected = expected + 1 if button != "➖" else expected - 1
        await buyer.wait_reply()
        updates.append(tg.updates_log[-1])
    await app.stop()
    for update, repeat in zip(updates, again, strict=False):
        if repeat:
            tg.deliver_again(update)
    await app.start()
    await app.wait_handled()
    async with db.session() as session:
        items = (
            await session.exec(select(CartItem).where(CartItem.user_id == world["buyer"]))
        ).all()
    assert sum(i.quantity for i in items) == expected


# --- 6. an unexpected failure, in the user's language --------------------------------------------


async def test_an_unexpected_failure_is_told_in_english_and_logged_once(
    app, tg, session, monkeypatch, caplog
) -> None:
    from handlers.buyer import catalog as catalog_handlers

    await f.roster(session)
    user = tg.user(STRANGER, first_name="Tamu", language_code="en")
    await open_bot(user)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(catalog_handlers, "list_categories", broken)
    caplog.set_level(logging.ERROR)
    await user.send("/katalog")
    reply = await user.wait_reply()
    assert reply.text == "Sorry, something went wrong. Please try again."
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "failed" in failures[0].getMessage() and "update" in failures[0].getMessage()
    assert f.PNS_NIP not in caplog.text and "+628" not in caplog.text
    monkeypatch.undo()
    await user.send("/katalog")
    assert "Choose a category" in (await user.wait_reply()).text  # the next action works
    tg.errors.clear()  # (the failure itself made no failing API call)


async def test_an_unexpected_failure_is_told_in_indonesian(app, tg, monkeypatch) -> None:
    from handlers.buyer import catalog as catalog_handlers

    user = tg.user(STRANGER, first_name="Tamu", language_code="id")
    await open_bot(user)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog_handlers, "list_categories", broken)
    tap = await user.click_data(user.bot_messages[-1], "cs")
    answer = await user.wait_answer(tap)
    assert answer.get("show_alert") and "Maaf" in answer["text"]


# --- 3. no spreadsheet formulas from data -------------------------------------------------

HOSTILE_OPD = "=cmd|' /C calc'!A0"
HOSTILE_SHOP = '=HYPERLINK("http://x","y")'


async def test_the_report_workbook_holds_no_formulas(app, tg, session, clock) -> None:
    """A roster OPD and a shop named like formulas reach every sheet as text."""
    await f.roster(session, f.PNS_NIP, opd=HOSTILE_OPD)
    shop = await shop_with_owner(session, OWNER, name=HOSTILE_SHOP)
    product = await f.product(session, shop, name="+SUM(A1:A9)", price=600_000, stock=5)
    buyer = await f.asn_user(session, BUYER)
    await f.order(
        session, buyer, product, status="paid", paid_at=clock(), counts_for_quota=True,
        buyer_nip=buyer.nip,
    )  # fmt: skip
    admin = tg.user(ADMIN_ID, first_name="Admin", language_code="en")
    await open_bot(admin)
    await admin.send("/laporan")
    summary = await admin.wait_reply(containing="TukuLokal report")
    await admin.click("Spreadsheet (XLSX)", summary)
    document = await admin.wait_reply(timeout=20, predicate=lambda m: m.document is not None)
    book = openpyxl.load_workbook(io.BytesIO(document.document[0]))
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert {HOSTILE_OPD, HOSTILE_SHOP} <= texts
