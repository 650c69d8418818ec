"""Who may be written to, which messages may be edited or deleted, callback answers, albums.

Each rule's source is in sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER, MakeServer, bot_of, png

HOUR = 3600.0
MENU = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Lihat", callback_data="v")]]
)

# ---------------------------------------------------------------------- access


async def test_a_deleted_account_is_deactivated(server: FakeTelegram, bot: Bot) -> None:
    server.user(2003, started=True)
    server.delete_account(2003)
    with pytest.raises(TelegramForbiddenError) as info:
        await bot.send_message(2003, "halo")
    assert info.value.message.endswith("Forbidden: user is deactivated")
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_photo(2003, BufferedInputFile(png(), "p.png"))
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_chat_action(2003, "typing")
    assert [c.status for c in server.errors] == [403, 403, 403]


async def test_a_blocked_bot_and_a_stranger(server: FakeTelegram, bot: Bot) -> None:
    server.user(2002, started=True)
    server.block(2002)
    with pytest.raises(TelegramForbiddenError) as info:
        await bot.send_message(2002, "halo")
    assert info.value.message.endswith("Forbidden: bot was blocked by the user")
    server.user(2001)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(2001, "halo")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "halo")


# ---------------------------------------------------------------------- edits


@pytest.mark.parametrize(
    "markup",
    [
        ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Menu")]]),
        ReplyKeyboardRemove(),
        ForceReply(),
    ],
)
async def test_a_message_sent_with_a_reply_keyboard_cant_be_edited(
    server: FakeTelegram,
    bot: Bot,
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply,
) -> None:
    msg = await bot.send_message(USER, "pilih", reply_markup=markup)
    with pytest.raises(TelegramBadRequest) as info:
        await bot.edit_message_text("lain", chat_id=USER, message_id=msg.message_id)
    assert info.value.message.endswith("Bad Request: message can't be edited")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=msg.message_id, reply_markup=MENU
        )


async def test_what_can_be_edited(server: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "menu", reply_markup=MENU)
    await bot.edit_message_text("menu baru", chat_id=USER, message_id=msg.message_id)
    server.advance_clock(30 * 24 * HOUR)  # a bot edits its own messages without time limit
    await bot.edit_message_text("sebulan", chat_id=USER, message_id=msg.message_id)
    forwarded = await bot.forward_message(USER, USER, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=forwarded.message_id)
    mine = await server.user(USER).send("tulisan saya")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=mine.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=9999)


# ---------------------------------------------------------------------- deletes, the clock


async def test_delete_within_48_hours_by_the_servers_clock(server: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(USER, "satu")
    second = await bot.send_message(USER, "dua")
    users = await server.user(USER).send("punya pengguna")
    server.advance_clock(48 * HOUR - 60)
    assert await bot.delete_message(USER, first.message_id)
    assert await bot.delete_message(USER, users.message_id)  # the user's, in a private chat
    server.advance_clock(120)
    with pytest.raises(TelegramBadRequest) as info:
        await bot.delete_message(USER, second.message_id)
    assert info.value.message.endswith("Bad Request: message can't be deleted for everyone")
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, first.message_id)
    assert [m.text for m in server.user(USER).messages] == ["dua"]


async def test_delete_messages_is_all_or_nothing(server: FakeTelegram, bot: Bot) -> None:
    old = await bot.send_message(USER, "lama")
    server.advance_clock(49 * HOUR)
    new = await bot.send_message(USER, "baru")
    with pytest.raises(TelegramBadRequest, match="message can't be deleted for everyone"):
        await bot.delete_messages(USER, [new.message_id, old.message_id])
    assert len(server.user(USER).messages) == 2
    assert await bot.delete_messages(USER, [new.message_id, 9999])  # unknown ids are skipped
    assert [m.text for m in server.user(USER).messages] == ["lama"]


async def test_the_clock_can_be_given(make_server: MakeServer) -> None:
    now = [1_767_225_600.0]
    server = await make_server(clock=lambda: now[0])
    async with bot_of(server) as bot:
        msg = await bot.send_message(USER, "x")
        assert msg.date.timestamp() == 1_767_225_600
        now[0] += 2 * 86400 + 1
        with pytest.raises(TelegramBadRequest, match="can't be deleted for everyone"):
            await bot.delete_message(USER, msg.message_id)


# ---------------------------------------------------------------------- callback answers


async def test_callback_answer_rules(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER)
    await bot.send_message(USER, "menu", reply_markup=MENU)
    query = await user.click("Lihat")
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query.id, text="🔔" * 201)
    assert await bot.answer_callback_query(query.id, text="🔔" * 200, show_alert=True)
    assert (await server.wait_callback_answer(query.id))["show_alert"] is True
    with pytest.raises(TelegramBadRequest) as info:  # answered twice
        await bot.answer_callback_query(query.id)
    assert info.value.message.endswith(
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    server.callback_answer_timeout = 0.05
    late = await user.click("Lihat")
    await asyncio.sleep(0.1)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late.id)
    server.callback_answer_timeout = 15
    html = await user.click("Lihat")
    assert await bot.answer_callback_query(html.id, text="<b>shown as typed</b>")


@pytest.mark.parametrize(
    "text",
    ["<b>Ditambahkan</b>", "Kopi &amp; Teh", "&lt;3", "</i>", '<a href="x">y</a>', "&#128722;"],
)
async def test_strict_alerts_refuses_html_in_callback_answers(
    make_server: MakeServer, text: str
) -> None:
    server = await make_server(strict_alerts=True)
    user = server.user(USER)
    async with bot_of(server) as bot:
        await bot.send_message(USER, "menu", reply_markup=MENU)
        query = await user.click("Lihat")
        with pytest.raises(TelegramBadRequest, match="fakegram strict_alerts"):
            await bot.answer_callback_query(query.id, text=text, show_alert=True)
    assert server.errors[-1].method == "answerCallbackQuery"
    assert "literally" in (server.errors[-1].error or "")


async def test_strict_alerts_lets_plain_text_through(make_server: MakeServer) -> None:
    server = await make_server(strict_alerts=True)
    user = server.user(USER)
    async with bot_of(server) as bot:
        await bot.send_message(USER, "menu", reply_markup=MENU)
        for text in (
            "Tom & Jerry",
            "harga < 5.000 > 4.000",
            "R&D; AT&T",
            "1 <2",
            "Sambal <Pedas>",
        ):
            query = await user.click("Lihat")
            assert await bot.answer_callback_query(query.id, text=text)
    assert server.errors == []


# ---------------------------------------------------------------------- albums


async def test_media_group_sizes_and_kinds(server: FakeTelegram, bot: Bot) -> None:
    photo = BufferedInputFile(png(), "p.png")
    single = await bot.send_media_group(USER, [InputMediaPhoto(media=photo)])
    assert len(single) == 1 and single[0].media_group_id is None
    with pytest.raises(TelegramBadRequest, match="Bad Request: too many messages to send as an"):
        await bot.send_media_group(USER, [InputMediaPhoto(media=photo)] * 11)
    ten = await bot.send_media_group(USER, [InputMediaPhoto(media=photo)] * 10)
    assert len({m.media_group_id for m in ten}) == 1
    document = BufferedInputFile(b"a,b\n", "a.csv")
    with pytest.raises(TelegramBadRequest, match="document can't be mixed with other media types"):
        await bot.send_media_group(
            USER, [InputMediaPhoto(media=photo), InputMediaDocument(media=document)]
        )


# ---------------------------------------------------------------------- webhooks


HOOK = "https://toko.example.com/hook"
PORTS = "Webhook can be set up only on ports 80, 88, 443 or 8443"


@pytest.mark.parametrize(
    ("url", "secret", "error"),
    [
        (
            "http://toko.example.com/hook",
            "",
            "bad webhook: An HTTPS URL must be provided for webhook",
        ),
        ("https://toko.example.com:8080/hook", "", f"bad webhook: {PORTS}"),
        ("https://toko example.com/hook", "", "invalid webhook URL specified"),
        (HOOK, "a" * 257, "secret token is too long"),
        (HOOK, "rahasia!", "secret token contains unallowed characters"),
    ],
)
async def test_set_webhook_rules(
    server: FakeTelegram, bot: Bot, url: str, secret: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.set_webhook(url, secret_token=secret or None)
    assert info.value.message.endswith(f"Bad Request: {error}")


async def test_set_webhook_accepts_what_telegram_accepts(server: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_webhook("toko.example.com:8443/hook", secret_token="a-Z_0")  # https
    assert (await bot.get_webhook_info()).url == "toko.example.com:8443/hook"
    assert await bot.delete_webhook()
