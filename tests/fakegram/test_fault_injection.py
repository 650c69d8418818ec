"""The faults the fake Bot API shows on demand (sandbox/fakegram/faults.py), as the bot sees
them through aiogram's real session."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER


async def test_an_error_answer_carries_nothing_out(server: FakeTelegram, bot: Bot) -> None:
    server.inject_fault("error", ("sendMessage",), count=1)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER, "satu")
    assert server.users[USER].bot_messages == []
    await bot.send_message(USER, "dua")  # the next call is served
    assert [m.text for m in server.users[USER].bot_messages] == ["dua"]


@pytest.mark.parametrize("processed", [False, True])
async def test_a_dropped_connection(server: FakeTelegram, bot: Bot, processed: bool) -> None:
    server.inject_fault("drop", ("sendMessage",), processed=processed, count=1)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "satu")
    # With `processed` the message went out although the bot was never told.
    assert [m.text for m in server.users[USER].bot_messages] == (["satu"] if processed else [])


async def test_a_hung_server_answers_nothing_until_the_outage_ends(
    server: FakeTelegram, bot: Bot
) -> None:
    fault = server.inject_fault("timeout")  # every method
    call = asyncio.create_task(bot.get_me())
    while fault.hits == 0:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    assert not call.done()
    server.clear_faults()
    with pytest.raises(TelegramNetworkError):
        await call
    assert (await bot.get_me()).username == "TukuLokalBot"
