"""Inline mode: answerInlineQuery's limits, a chosen result as posted, public channels.

Each rule's source is in sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
)

from sandbox.fakegram import FakeTelegram
from sandbox.fakegram.inline import InlineQueryRecord
from tests.fakegram.helpers import USER, png


def _article(result_id: str, text: str = "<b>Keripik</b> Rp25.000") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title="Keripik",
        input_message_content=InputTextMessageContent(message_text=text, parse_mode="HTML"),
    )


async def _query(server: FakeTelegram, text: str = "keripik") -> InlineQueryRecord:
    return await server.users[USER].inline_query(text)


async def test_answer_limits(server: FakeTelegram, bot: Bot) -> None:
    record = await _query(server)
    with pytest.raises(TelegramBadRequest, match="RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(record.id, [_article(f"r{i}") for i in range(51)])
    with pytest.raises(TelegramBadRequest, match="RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(record.id, [_article("same"), _article("same")])
    with pytest.raises(TelegramBadRequest, match="RESULT_ID_INVALID"):
        await bot.answer_inline_query(record.id, [_article("x" * 65)])
    with pytest.raises(TelegramBadRequest, match="NEXT_OFFSET_INVALID"):
        await bot.answer_inline_query(record.id, [_article("a")], next_offset="9" * 65)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_inline_query(record.id, [_article("a", "x" * 4097)])
    with pytest.raises(TelegramBadRequest, match="unallowed characters in switch_pm_parameter"):
        await bot.answer_inline_query(
            record.id, [], button=InlineQueryResultsButton(text="Buka", start_parameter="a b")
        )
    # 50 results, ids of 64 bytes, an offset of 64 bytes: accepted, once.
    results = [_article(f"{i:02d}" + "x" * 62) for i in range(50)]
    assert await bot.answer_inline_query(record.id, results, next_offset="9" * 64, cache_time=60)
    assert len(record.results) == 50 and record.next_offset == "9" * 64
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_inline_query(record.id, [_article("a")])


async def test_a_chosen_result_is_posted_with_its_keyboard(server: FakeTelegram, bot: Bot) -> None:
    photo = server.register_photo(png())[-1]
    record = await _query(server)
    link = "https://t.me/TukuLokalBot?start=p7"
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Buka", url=link)]])
    await bot.answer_inline_query(
        record.id,
        [
            InlineQueryResultCachedPhoto(
                id="p7",
                photo_file_id=photo.file_id,
                caption="<b>Keripik</b>",
                parse_mode="HTML",
                reply_markup=markup,
            ),  # fmt: skip
            _article("a"),
        ],
        is_personal=True,
    )
    posted = server.users[USER].choose_inline_result(record, "p7")
    assert posted.photo is not None and posted.caption == "Keripik"
    assert posted.inline_keyboard == [[{"text": "Buka", "url": link}]]
    article = server.users[USER].choose_inline_result(record, "a")
    assert article.text == "Keripik Rp25.000" and article.entities[0]["type"] == "bold"
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        record2 = await _query(server, "lagi")
        await bot.answer_inline_query(
            record2.id,
            [
                InlineQueryResultCachedPhoto(
                    id="p", photo_file_id=photo.file_id, caption="x" * 1025
                )
            ],
        )
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        record3 = await _query(server, "lagi 3")
        await bot.answer_inline_query(
            record3.id, [InlineQueryResultCachedPhoto(id="p", photo_file_id="nope")]
        )


async def test_a_public_channel_by_its_username(server: FakeTelegram, bot: Bot) -> None:
    channel = server.channel("malangmendunia", title="Malang Mendunia")
    chat = await bot.get_chat("@malangmendunia")
    assert chat.id == channel.id and chat.type == "channel" and chat.username == "malangmendunia"
    await bot.send_message("@malangmendunia", "Halo dunia")
    assert server.chat(channel.id)[-1].text == "Halo dunia"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@nobody_here", "halo")
