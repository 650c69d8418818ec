"""Old buttons, forged callbacks, odd messages: always a polite answer, never a change."""

from sqlmodel import select

from models import CartItem, Order
from tests import factories as f
from tests.e2e.conftest import open_bot
from tests.e2e.helpers import png, shop_with_owner


async def test_forged_and_stale_callbacks_are_answered_and_change_nothing(app, tg, session):
    shop = await shop_with_owner(session, 2001)
    product = await f.product(session, shop, stock=3)
    user = tg.user(1001, first_name="Budi", language_code="en")
    menu = await open_bot(user)
    for data in (
        "zzz",
        "o:abc:accept",
        "p:999999:l",
        "k:add:999999:c",
        "c:424242:0",
        "co:deadbeef0000:cash",
        "rg:1:1",
        "o:1:accept",
        "s:3:ffffffff",
        "x" * 64,
    ):
        tap = await user.click_data(menu, data)
        answer = await user.wait_answer(tap)  # answered: no spinner
        if not answer.get("text"):  # then the answer is a message in the chat
            assert (await user.wait_reply()).text, data
    # The product that does exist but was hidden meanwhile can't be added either.
    await user.start(f"p{product.id}")
    card = await user.wait_reply(predicate=lambda m: "Add to cart" in str(m.buttons))
    await app.wait_handled()  # the bot is done with the link (it remembers the open card)
    async with app.db.session() as s:
        row = await s.get(type(product), product.id)
        row.is_active = False
        s.add(row)
        await s.commit()
    tap = await user.click("Add to cart", card)
    assert "no longer available" in (await user.wait_answer(tap))["text"]
    async with app.db.session() as s:
        assert (await s.exec(select(CartItem))).all() == []
        assert (await s.exec(select(Order))).all() == []


async def test_unexpected_messages_get_a_polite_answer(app, tg):
    user = tg.user(1002, first_name="Ani", language_code="en")
    await open_bot(user)
    await user.send_photo(png())
    reply = await user.wait_reply()
    assert "can't use this here" in reply.text
    await user.send("/tidakada")
    reply = await user.wait_reply()
    assert "/bantuan" in reply.text


async def test_long_and_hostile_search_text(app, tg, session):
    shop = await shop_with_owner(session, 2001)
    await f.product(session, shop, name='Keripik <b>Tempe</b> & "Sanan"')
    user = tg.user(1003, first_name="Ani", language_code="en")
    await open_bot(user)
    for text in (
        "x" * 4000,
        "<script>alert(1)</script>",
        "' OR 1=1; --",
        'NEAR("a" b) *',
        "🙂🙂🙂",
        "keripik",
    ):
        await user.send(text)
        reply = await user.wait_reply()
        assert reply.text
    assert "Keripik <b>Tempe</b>" in str(reply.buttons)
