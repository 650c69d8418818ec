"""reply_markup as Telegram reads it: limits, silent drops, the first action, URLs.

Each rule's source is in sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER, MakeServer, bot_of, call


def inline(rows: int, per_row: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=f"{r}.{c}", callback_data=f"{r}:{c}")
                for c in range(per_row)
            ]
            for r in range(rows)
        ]
    )


async def test_more_than_100_inline_buttons_is_too_long(server: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "100", reply_markup=inline(10, 10))
    with pytest.raises(TelegramBadRequest, match="^.*Bad Request: reply markup is too long$"):
        await bot.send_message(USER, "101", reply_markup=inline(101, 1))
    msg = await bot.send_message(USER, "x", reply_markup=inline(1, 1))
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=msg.message_id, reply_markup=inline(11, 10)
        )


async def test_buttons_beyond_12_in_a_row_are_dropped(server: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "lebar", reply_markup=inline(2, 14))
    assert sent.reply_markup is not None
    assert [len(row) for row in sent.reply_markup.inline_keyboard] == [12, 12]
    assert sent.reply_markup.inline_keyboard[0][-1].text == "0.11"
    # 9 rows of 12 are 108 buttons, 8 rows of 14 keep 96: only what is kept counts
    await bot.send_message(USER, "96", reply_markup=inline(8, 14))


async def test_reply_keyboards_keep_12_a_row_and_300_in_all(
    server: FakeTelegram, bot: Bot
) -> None:
    user = server.user(USER)
    rows = [[KeyboardButton(text=f"{r}-{c}") for c in range(13)] for r in range(30)]
    await bot.send_message(USER, "banyak", reply_markup=ReplyKeyboardMarkup(keyboard=rows))
    assert user.keyboard is not None
    kept = user.keyboard["keyboard"]
    assert [len(row) for row in kept] == [12] * 25  # 300 buttons, the rest dropped
    assert kept[-1][-1]["text"] == "24-11"


async def test_empty_texts_are_skipped_and_empty_keyboards_are_none(
    server: FakeTelegram, bot: Bot
) -> None:
    user = server.user(USER)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="", callback_data="a")],
            [InlineKeyboardButton(text="B", callback_data="b")],
        ]
    )
    sent = await bot.send_message(USER, "x", reply_markup=markup)
    assert sent.reply_markup is not None and len(sent.reply_markup.inline_keyboard) == 1
    for empty in ({"inline_keyboard": [[]]}, {"inline_keyboard": []}, {}, {"keyboard": []}):
        answer = await call(server, "sendMessage", chat_id=USER, text="x", reply_markup=empty)
        assert answer["ok"] and "reply_markup" not in answer["result"], empty
    assert user.last is not None and user.last.reply_markup is None


async def test_the_first_action_of_a_button_is_used(server: FakeTelegram) -> None:
    button = {"text": "A", "callback_data": "a", "url": "https://x.id", "pay": True}
    answer = await call(
        server, "sendMessage", chat_id=USER, text="x", reply_markup={"inline_keyboard": [[button]]}
    )
    assert answer["result"]["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "url": "https://x.id/"}]]
    }
    answer = await call(
        server,
        "sendMessage",
        chat_id=USER,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": ""}]]},
    )
    assert answer["description"] == (
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )


async def test_strict_buttons_refuses_what_telegram_drops(make_server: MakeServer) -> None:
    server = await make_server(strict_buttons=True)
    async with bot_of(server) as bot:
        with pytest.raises(TelegramBadRequest, match="strict_buttons: a row keeps only its"):
            await bot.send_message(USER, "x", reply_markup=inline(1, 13))
        with pytest.raises(TelegramBadRequest, match="strict_buttons: a button with an empty"):
            await bot.send_message(
                USER,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="", callback_data="a")]]
                ),
            )
        with pytest.raises(TelegramBadRequest, match="strict_buttons: button 'A' has several"):
            await bot.send_message(
                USER,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text="A", callback_data="a", url="https://x.id")]
                    ]
                ),
            )
        await bot.send_message(USER, "ok", reply_markup=inline(2, 12))


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.com/toko", "https://example.com/toko"),
        ("https://example.com", "https://example.com/"),
        ("example.com/a b", "http://example.com/a%20b"),  # no scheme: http
        ("HTTP://Example.COM:8080/x?y=1", "http://example.com:8080/x?y=1"),
        ("tg://resolve?domain=TukuLokalBot", "tg://resolve?domain=TukuLokalBot"),
        ("https://t.me/TukuLokalBot?start=p_12", "https://t.me/TukuLokalBot?start=p_12"),
    ],
)
async def test_url_buttons_are_normalised(server: FakeTelegram, url: str, kept: str) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "url": url}]]}
    answer = await call(server, "sendMessage", chat_id=USER, text="x", reply_markup=markup)
    assert answer["result"]["reply_markup"]["inline_keyboard"][0][0]["url"] == kept


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x.id", "Unsupported URL protocol"),
        ("https://localhost/x", "Wrong HTTP URL"),
        ("https://exa_mple.com:99999", "Wrong port number specified in the URL"),
        ("https://", "URL host is empty"),
        ("https://ex ample.com", "Disallowed character in URL host"),
        ("tg://user:1@x", "Wrong tg URL"),
    ],
)
async def test_url_buttons_telegram_refuses(
    server: FakeTelegram, bot: Bot, url: str, reason: str
) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", url=url)]])
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(USER, "x", reply_markup=markup)
    assert info.value.message.endswith(
        f"Bad Request: inline keyboard button URL '{url}' is invalid: {reason}"
    )


async def test_callback_data_is_1_to_64_bytes(server: FakeTelegram, bot: Bot) -> None:
    def one(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A", callback_data=data)]]
        )

    await bot.send_message(USER, "x", reply_markup=one("é" * 32))
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=one("a" * 65))


async def test_edits_take_only_inline_keyboards(server: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "x")
    answer = await call(
        server,
        "editMessageText",
        chat_id=USER,
        message_id=msg.message_id,
        text="y",
        reply_markup={"keyboard": [[{"text": "A"}]]},
    )
    assert answer["description"] == "Bad Request: inline keyboard expected"
