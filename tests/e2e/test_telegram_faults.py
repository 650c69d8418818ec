"""The Bot API failing for a while: 500s, a hung server, dropped connections.

The bot keeps running through it and answers again by itself once Telegram is back; what can
be repeated without effect (polling, edits, callback answers) is retried; a message whose
answer was lost is never sent again blindly (the user would get it twice).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlmodel import select

from delivery.sender import Outcome, Sender
from models import CartItem
from sandbox.fakegram import FakeTelegram
from tests import factories as f
from tests.e2e.conftest import TOKEN, open_bot
from tests.e2e.helpers import shop_with_owner

# What this module tests is the conversation with Telegram, not SQL: SQLite only.
pytestmark = pytest.mark.one_database

HELP = "/bantuan"


async def _failed_polls(tg: FakeTelegram, at_least: int, timeout: float = 20.0) -> None:
    """Wait until the bot's polling ran into the fault `at_least` times."""
    deadline = time.monotonic() + timeout
    while sum(1 for c in tg.errors if c.method == "getUpdates") < at_least:
        assert time.monotonic() < deadline, "the bot stopped polling"
        await asyncio.sleep(0.05)


async def test_an_outage_of_every_call_is_ridden_out(app, tg):
    user = tg.user(3001, first_name="Ani", language_code="en")
    await open_bot(user)
    before = len(user.bot_messages)
    tg.inject_fault("error")  # every call answers 500
    await user.send(HELP)
    await _failed_polls(tg, 2)
    tg.clear_faults()
    reply = await user.wait_reply(timeout=15)
    await app.wait_handled()
    assert "/katalog" in reply.text
    assert len(user.bot_messages) == before + 1  # one answer, no apology
    # And the next action is answered as usual.
    await user.send(HELP)
    await user.wait_reply(containing="/katalog")
    assert len(user.bot_messages) == before + 2


async def test_dropped_and_hung_polling_connections_recover(app, tg):
    user = tg.user(3002, first_name="Ani", language_code="en")
    await open_bot(user)
    before = len(user.bot_messages)
    tg.inject_fault("drop", ("getUpdates",))
    await user.send(HELP)
    await _failed_polls(tg, 2)
    tg.clear_faults()
    await user.wait_reply(containing="/katalog", timeout=15)
    # A server that takes the request and never answers, until the outage ends.
    tg.inject_fault("timeout", ("getUpdates",))
    await _failed_polls(tg, 3)  # the two drops and the held poll
    await user.send(HELP)
    await asyncio.sleep(0.3)  # the outage lasts a while (nothing is asserted about it)
    tg.clear_faults()
    await user.wait_reply(containing="/katalog", timeout=15)
    await app.wait_handled()
    assert len(user.bot_messages) == before + 2


async def test_a_lost_answer_is_not_sent_twice(app, tg):
    """Telegram delivers the message but the connection drops before its answer: the bot
    does not know it arrived and must not send it again (nor apologise for it)."""
    user = tg.user(3003, first_name="Ani", language_code="en")
    await open_bot(user)
    before, sends = len(user.bot_messages), len(tg.calls("sendMessage"))
    tg.inject_fault("drop", ("sendMessage",), processed=True, count=1)
    await user.send(HELP)
    await user.wait_reply(containing="/katalog")
    await app.wait_handled()
    assert len(tg.calls("sendMessage")) == sends + 1  # not sent again
    assert len(user.bot_messages) == before + 1  # the help, and no apology after it
    # A send refused by the server itself (nothing sent) is retried: one answer.
    tg.inject_fault("error", ("sendMessage",), count=1)
    await user.send(HELP)
    await user.wait_reply(containing="/katalog")
    await app.wait_handled()
    assert len(tg.calls("sendMessage")) == sends + 3  # the refused one and its retry
    assert len(user.bot_messages) == before + 2


async def test_edits_and_callback_answers_are_retried(app, tg, session):
    shop = await shop_with_owner(session, 2001)
    product = await f.product(session, shop, stock=5)
    buyer = tg.user(3004, first_name="Budi", language_code="en")
    card = await open_bot(buyer, f"p{product.id}")
    edits = ("editMessageText", "editMessageCaption", "editMessageReplyMarkup")
    tg.inject_fault("drop", edits, count=1)  # not carried out: safe to do again
    tg.inject_fault("drop", ("answerCallbackQuery",), processed=True, count=1)
    tap = await buyer.click("Add to cart", card)
    edited = await buyer.wait_reply(predicate=lambda m: m.message_id == card.message_id)
    assert "➕" in str(edited.buttons)  # the retried edit landed
    answer = await buyer.wait_answer(tap)  # the first answer got through; its retry is moot
    assert answer.get("text") == "Added to your cart."
    await app.wait_handled()
    async with app.db.session() as s:
        items = (await s.exec(select(CartItem))).all()
    assert [(i.product_id, i.quantity) for i in items] == [(product.id, 1)]
    assert sum(1 for c in tg.errors if (c.error or "").startswith("injected")) == 2
    # The retried answer is refused as answered already (which the bot takes calmly).
    again = [c for c in tg.errors if c.method == "answerCallbackQuery" and c.status == 400]
    assert len(again) == 1 and "query is too old" in (again[0].error or "")
    tg.requests.remove(again[0])  # expected: not a failure of the bot's


async def _sender(tg: FakeTelegram, url: str | None = None) -> tuple[Bot, Sender]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(url or tg.base_url))
    bot = Bot(TOKEN, session=session)
    return bot, Sender(bot, rate=100, max_attempts=3, backoff=0.05, share_rate=False)


async def test_bulk_sends_retry_only_what_certainly_did_not_go_out(tg):
    """Broadcasts and reminders: a 500 (nothing sent) is retried; a lost answer (the message
    may have gone out) is not: the recipient never gets it twice."""
    users = [tg.user(4000 + i, first_name=f"U{i}", started=True) for i in range(4)]
    bot, sender = await _sender(tg)

    def make(text: str):
        return lambda b, chat_id: b.send_message(chat_id, text)

    try:
        tg.inject_fault("error", ("sendMessage",), count=2)
        result = await sender.send(users[0].id, make("satu"))
        assert (result.outcome, result.attempts) == (Outcome.SENT, 3)
        assert [m.text for m in users[0].bot_messages] == ["satu"]

        tg.inject_fault("drop", ("sendMessage",), processed=True, count=1)
        result = await sender.send(users[1].id, make("dua"))
        assert (result.outcome, result.attempts) == (Outcome.FAILED, 1)
        assert [m.text for m in users[1].bot_messages] == ["dua"]  # arrived once

        hung = tg.inject_fault("timeout", ("sendMessage",), processed=True, count=1)
        pending = asyncio.create_task(sender.send(users[2].id, make("tiga")))
        while hung.hits == 0:
            await asyncio.sleep(0.01)
        tg.clear_faults()
        result = await pending
        assert (result.outcome, result.attempts) == (Outcome.FAILED, 1)
        assert [m.text for m in users[2].bot_messages] == ["tiga"]

        result = await sender.send(users[3].id, make("empat"))  # Telegram is fine again
        assert result.outcome is Outcome.SENT
    finally:
        await bot.session.close()

    # No server at all (connection refused): nothing went out, so every attempt is made.
    bot, sender = await _sender(tg, "http://127.0.0.1:9")
    try:
        result = await sender.send(users[3].id, make("lima"))
        assert (result.outcome, result.attempts) == (Outcome.FAILED, 3)
    finally:
        await bot.session.close()
    assert [m.text for m in users[3].bot_messages] == ["empat"]
