"""Shared steps for end-to-end tests."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel.ext.asyncio.session import AsyncSession

from models import MerchantMember, User
from tests import factories as f
from tests.e2e.conftest import open_bot


async def reload(app, model: type, ident: object):
    """A row as the bot's database has it now (the test's own session may hold a snapshot)."""
    async with app.db.session() as s:
        return await s.get(model, ident)


def png(color: str = "orange", size: tuple[int, int] = (400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


async def shop_with_owner(
    session: AsyncSession, owner_telegram_id: int, **merchant_kwargs: object
):
    shop = await f.merchant(session, **merchant_kwargs)
    owner = User(telegram_id=owner_telegram_id, first_name="Owner", language="en")
    session.add(owner)
    await session.commit()
    session.add(MerchantMember(merchant_id=shop.id, user_id=owner.id, role="owner"))
    await session.commit()
    return shop


async def search(user, words: str):
    """Type search words; returns the results message."""
    await user.send(words)
    return await user.wait_reply(containing="🔎")


async def checkout(buyer, product_id: int, quantity: int = 1):
    """From the product's deep link: add it to the cart (``quantity`` of it), open the cart
    and tap Checkout; returns the order summary."""
    card = await open_bot(buyer, f"p{product_id}")
    await buyer.click("Add to cart", card)
    await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    for _ in range(quantity - 1):
        await buyer.click("➕", buyer.server.message(buyer.id, card.message_id))
        await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    await buyer.send("/keranjang")
    await buyer.click("Checkout", await buyer.wait_reply(containing="Your cart"))
    return await buyer.wait_reply(containing="Order summary")


async def register_across_a_restart(app, tg, session: AsyncSession) -> None:
    """An ASN registers; the bot restarts between the NIP and the phone: the registration
    goes on where it was (the conversation state outlives the process)."""
    await f.roster(session, phone="+6281234567890")
    budi = tg.user(1009, first_name="Budi", language_code="en", phone="+6281234567890")
    await open_bot(budi)
    await budi.click("Register as ASN")
    await budi.wait_reply(containing="type your")
    await budi.send(f.PNS_NIP)
    await budi.wait_reply(containing="We will check NIP")
    await app.restart()
    await budi.press("Share my phone number")
    done = await budi.wait_reply()
    assert "Registered" in done.text, done.text


def text_of(message) -> str:
    return message.text or ""
