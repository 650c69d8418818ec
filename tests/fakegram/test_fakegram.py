"""The fake Bot API, driven by a real aiogram Bot and a tiny Dispatcher."""

from __future__ import annotations

import asyncio
import html
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from PIL import Image

from sandbox.fakegram import FakeTelegram, ParseError, parse_html, utf16_len

TOKEN = "123456:TEST"
USER = 1001


def png(width: int = 40, height: int = 30, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def kb(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN, bot_username="TukuLokalBot", bot_id=123456)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    instance = Bot(
        TOKEN, session=server.session(), default=DefaultBotProperties(parse_mode="HTML")
    )
    yield instance
    await instance.session.close()


def echo_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📱 Bagikan kontak", request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.answer("Selamat datang!", reply_markup=keyboard)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        own = message.contact.user_id == message.from_user.id  # type: ignore[union-attr]
        await message.answer(
            f"Kontak {message.contact.phone_number} own={own}",
            reply_markup=ReplyKeyboardRemove(),
        )

    @router.message(F.text == "/where")
    async def where(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📍 Lokasi saya", request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await message.answer("Kirim lokasi", reply_markup=keyboard)

    @router.message(F.location)
    async def location(message: Message) -> None:
        assert message.location is not None
        point = f"{message.location.latitude},{message.location.longitude}"
        await message.answer(f"Lokasi {point} text={message.text}")

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        largest = message.photo[-1]  # type: ignore[index]
        data = await bot.download(largest.file_id)
        assert data is not None
        size = Image.open(data).size
        await message.answer(f"Foto {size[0]}x{size[1]} caption={message.caption}")

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        doc = message.document
        assert doc is not None
        data = await bot.download(doc.file_id)
        assert data is not None
        content = data.read().decode()
        await message.answer(
            f"Dokumen {html.escape(doc.file_name or '')} {doc.mime_type} "
            f"<code>{html.escape(content)}</code>"
        )

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"Echo: <b>{html.escape(message.text or '')}</b>",
            reply_markup=kb(
                InlineKeyboardButton(text="🛒 Tambah ke keranjang", callback_data="add:1"),
                InlineKeyboardButton(text="Toko", url="https://example.com/toko"),
            ),
        )

    @router.callback_query(F.data == "add:1")
    async def add(query: CallbackQuery) -> None:
        await query.answer("Ditambahkan")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Ditambahkan ✅")

    @router.callback_query()
    async def other(query: CallbackQuery) -> None:
        await query.answer(f"unknown {query.data}", show_alert=True)

    return router


@pytest.fixture
async def running(server: FakeTelegram, bot: Bot) -> AsyncIterator[FakeTelegram]:
    dp = Dispatcher()
    dp.include_router(echo_router())
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    yield server
    await dp.stop_polling()
    await asyncio.wait_for(task, 5)


# ---------------------------------------------------------------------- plumbing


async def test_get_me_token_and_routes(server: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "TukuLokalBot", True)

    wrong = Bot("999:WRONG", session=server.session())
    with pytest.raises(TelegramUnauthorizedError):
        await wrong.get_me()
    await wrong.session.close()

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/bot{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == "TukuLokalBot"
        async with http.post(f"{server.base_url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{server.base_url}/botBAD/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"


async def test_json_and_urlencoded_bodies(server: FakeTelegram) -> None:
    server.user(USER, started=True)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as http:
        url = f"{server.base_url}/bot{TOKEN}/sendMessage"
        body = {
            "chat_id": USER,
            "text": "<i>json</i>",
            "parse_mode": "HTML",
            "reply_markup": markup,
        }
        async with http.post(url, json=body) as resp:
            result = (await resp.json())["result"]
        assert result["text"] == "json"
        assert result["entities"] == [{"type": "italic", "offset": 0, "length": 4}]
        assert result["reply_markup"] == markup
        async with http.post(url, data={"chat_id": str(USER), "text": "123"}) as resp:
            assert (await resp.json())["result"]["text"] == "123"
    assert [m.text for m in server.user(USER).messages] == ["json", "123"]
    assert server.calls("sendmessage")[0].chat_id == USER


# ---------------------------------------------------------------------- text rules


def test_parse_html_entities_and_offsets() -> None:
    text, entities = parse_html("<b>Halo</b> <i>😀x</i> &lt;b&gt; &amp; &#128512; &quot;")
    assert text == 'Halo 😀x <b> & 😀 "'
    assert entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 3},  # the emoji is two UTF-16 units
    ]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    _, entities = parse_html('<blockquote expandable>a</blockquote><a href="https://x.id">b</a>')
    assert entities == [
        {"type": "expandable_blockquote", "offset": 0, "length": 1},
        {"type": "text_link", "offset": 1, "length": 1, "url": "https://x.id/"},  # normalised
    ]
    _, entities = parse_html('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')
    assert entities == [{"type": "spoiler", "offset": 0, "length": 2}]  # adjacent: merged
    assert utf16_len("😀a") == 3

    bad = {
        "<div>x</div>": 'Unsupported start tag "div" at byte offset 0',
        "<b>x": 'Can\'t find end tag corresponding to start tag "b"',
        "<b><i>x</b></i>": 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        "x</b>": "Unexpected end tag at byte offset 1",
        "a < b": 'Unsupported start tag "" at byte offset 2',
        "<span>x</span>": 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for source, message in bad.items():
        with pytest.raises(ParseError) as info:
            parse_html(source)
        assert message in str(info.value), source
    assert parse_html("Tom & Jerry")[0] == "Tom & Jerry"  # as on Telegram
    with pytest.raises(ParseError, match='Unescaped "&" at byte offset 4'):
        parse_html("Tom & Jerry", strict_amp=True)


async def test_text_and_caption_limits(server: FakeTelegram, bot: Bot) -> None:
    server.user(USER, started=True)
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>")  # counted after parsing
    await bot.send_message(USER, "😀" * 4096)  # code points are counted, not UTF-16 units
    for text in ("a" * 4097, "😀" * 4097):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(USER, text)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "")
    for text in ("  \n ", "<b> </b>"):
        with pytest.raises(TelegramBadRequest, match="text must be non-empty"):
            await bot.send_message(USER, text)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="c" * 1025)
    await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="c" * 1024)
    assert len(server.user(USER).bot_messages) == 4


async def test_html_errors_come_back_as_bad_request(server: FakeTelegram, bot: Bot) -> None:
    server.user(USER, started=True)
    with pytest.raises(
        TelegramBadRequest, match='can\'t parse entities: Unsupported start tag "x"'
    ):
        await bot.send_message(USER, "Produk <x> baru")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(USER, "<b>tebal")
    with pytest.raises(TelegramBadRequest, match="unsupported parse_mode"):
        await bot.send_message(USER, "*x*", parse_mode="MarkdownV2")
    msg = await bot.send_message(USER, "Harga &lt; <b>Rp 5.000</b>")
    assert msg.text == "Harga < Rp 5.000"
    assert msg.entities is not None and msg.entities[0].type == "bold"
    stored = server.user(USER).last
    assert stored is not None and stored.html == "Harga &lt; <b>Rp 5.000</b>"
    assert len(server.errors) == 3


async def test_keyboard_rules(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER, started=True)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER, "x", reply_markup=kb(InlineKeyboardButton(text="A", callback_data="a" * 65))
        )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):  # 66 bytes
        await bot.send_message(
            USER, "x", reply_markup=kb(InlineKeyboardButton(text="A", callback_data="é" * 33))
        )
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):  # no action
        await bot.send_message(
            USER, "x", reply_markup=kb(InlineKeyboardButton(text="A", callback_data=""))
        )
    with pytest.raises(
        TelegramBadRequest, match="inline keyboard button URL 'ftp://x.id' is invalid"
    ):
        await bot.send_message(
            USER, "x", reply_markup=kb(InlineKeyboardButton(text="A", url="ftp://x.id"))
        )
    both = kb(InlineKeyboardButton(text="A", callback_data="a", url="https://x.id"))
    await bot.send_message(USER, "x", reply_markup=both)  # Telegram takes the url
    assert user.last is not None and user.last.inline_keyboard == [
        [{"text": "A", "url": "https://x.id/"}]
    ]
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=kb(InlineKeyboardButton(text="A")))
    with pytest.raises(TelegramBadRequest, match="BUTTON_TEXT_INVALID"):
        await bot.send_message(
            USER, "x", reply_markup=kb(InlineKeyboardButton(text=" ", callback_data="a"))
        )
    dropped = kb(
        InlineKeyboardButton(text="", callback_data="a"),
        InlineKeyboardButton(text="B", callback_data="b"),
    )
    await bot.send_message(USER, "x", reply_markup=dropped)  # an empty text: skipped
    assert user.last is not None and user.last.buttons == ["B"]
    ok = kb(
        InlineKeyboardButton(text="A", callback_data="é" * 32),
        InlineKeyboardButton(text="B", url="tg://resolve?domain=x"),
    )
    await bot.send_message(USER, "x", reply_markup=ok)
    assert user.last is not None and user.last.buttons == ["A", "B"]
    assert user.last.button("B")["url"] == "tg://resolve?domain=x"

    reply = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="Kontak", request_contact=True), KeyboardButton(text="Menu")]
        ],
        resize_keyboard=True,
        is_persistent=True,
    )
    returned = await bot.send_message(USER, "pilih", reply_markup=reply)
    assert returned.reply_markup is None  # Telegram only echoes inline keyboards
    assert user.keyboard_buttons == ["Kontak", "Menu"]
    assert user.keyboard is not None and user.keyboard["is_persistent"] is True
    await bot.send_message(USER, "hapus", reply_markup=ReplyKeyboardRemove())
    assert user.keyboard is None


async def test_access_rules(server: FakeTelegram, bot: Bot) -> None:
    server.user(2001)  # never wrote to the bot
    with pytest.raises(
        TelegramForbiddenError, match="bot can't initiate conversation with a user"
    ):
        await bot.send_message(2001, "halo")
    server.user(2002, started=True)
    server.block(2002)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(2002, "halo")
    assert server.updates_log[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    server.unblock(2002)
    await bot.send_message(2002, "halo lagi")
    server.user(2003, started=True)
    server.delete_account(2003)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: user is deactivated"):
        await bot.send_message(2003, "halo")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "halo")
    assert [(c.status, c.chat_id) for c in server.errors] == [
        (403, 2001),
        (403, 2002),
        (403, 2003),
        (400, 424242),
    ]


async def test_edit_rules(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER, started=True)
    markup = kb(InlineKeyboardButton(text="OK", callback_data="ok"))
    msg = await bot.send_message(USER, "<b>Pesanan</b> #1", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            "<b>Pesanan</b> #1", chat_id=USER, message_id=msg.message_id, reply_markup=markup
        )
    # same text without the keyboard is a change: the keyboard disappears
    await bot.edit_message_text("<b>Pesanan</b> #1", chat_id=USER, message_id=msg.message_id)
    assert user.last is not None and user.last.buttons == [] and user.last.edited == 1
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=msg.message_id)
    edited = await bot.edit_message_text("Dibayar", chat_id=USER, message_id=msg.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None
    assert [m.text for m in user.messages] == ["Dibayar"]
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    photo = await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="foto")
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=USER, message_id=photo.message_id)
    await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id, caption="foto baru")
    await bot.edit_message_media(
        InputMediaPhoto(media=BufferedInputFile(png(10, 10, "blue"), "b.png"), caption="biru"),
        chat_id=USER,
        message_id=photo.message_id,
    )
    assert user.last is not None and user.last.text == "biru" and user.last.edited == 2
    assert Image.open(io.BytesIO(user.last.photo or b"")).size == (10, 10)
    assert await bot.delete_message(USER, msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, msg.message_id)
    assert [m.text for m in user.messages] == ["biru"]


# ---------------------------------------------------------------------- rate limits, faults


async def test_rate_limit_429_and_pause(server: FakeTelegram, bot: Bot) -> None:
    server.user(USER, started=True)
    server.user(USER + 1, started=True)
    server.set_rate_limits(per_chat_per_second=1)
    await bot.send_message(USER, "1")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "2")
    assert info.value.retry_after == 1
    assert server.errors[-1].error == "Too Many Requests: retry after 1"
    await bot.send_message(USER + 1, "other chat is not limited")
    with pytest.raises(TelegramRetryAfter):  # refused during the pause, too
        await bot.send_message(USER, "3")
    await asyncio.sleep(info.value.retry_after)
    await bot.send_message(USER, "4")
    assert server.peak_rate(USER) == 1
    assert [r.chat_id for r in server.refused_during_pause] == [USER]
    sent = server.sent_messages(USER)
    assert sent[1].at - sent[0].at >= 0.98

    server.set_rate_limits(global_per_second=2)
    await asyncio.sleep(1)
    await bot.send_message(USER, "a")
    await bot.send_message(USER + 1, "b")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER + 1, "c")
    server.set_rate_limits(None, None)


async def test_forced_retry_after_and_injected_errors(server: FakeTelegram, bot: Bot) -> None:
    server.user(USER, started=True)
    server.user(USER + 1, started=True)
    server.force_retry_after(3, chat_id=USER)
    await bot.send_message(USER + 1, "not this chat")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(USER, "x")
    assert info.value.retry_after == 3
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "still paused")
    server.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER + 1, "x")
    await bot.send_message(USER + 1, "works again")


async def test_get_updates_offsets_long_poll_and_conflict(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER)
    await user.send("satu")
    await user.send("dua")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["satu", "dua"]
    assert first[1].update_id == first[0].update_id + 1
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == []

    poll = asyncio.create_task(bot.get_updates(offset=first[-1].update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await bot.get_updates(timeout=0)
    started = time.monotonic()
    await user.send("tiga")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1  # returned as soon as the update arrived
    assert updates[0].message is not None and updates[0].message.text == "tiga"
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.language_code == "id"

    await user.send("/start kode_toko")
    (update,) = await bot.get_updates(
        offset=updates[-1].update_id + 1, allowed_updates=["message"]
    )
    assert update.message is not None
    assert [(e.type, e.offset, e.length) for e in update.message.entities or []] == [
        ("bot_command", 0, 6)
    ]
    server.block(USER)  # my_chat_member is not in allowed_updates: never queued
    assert all("my_chat_member" not in u for u in server.updates_log)

    # a consumer that goes away (client-side cancel) frees the slot for the next one
    gone = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    gone.cancel()
    await asyncio.sleep(0.1)
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []


async def test_updates_are_confirmed_by_a_later_offset(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER)
    await user.send("satu")
    with pytest.raises(TimeoutError, match="did not confirm updates"):
        await server.wait_updates_confirmed(timeout=0.05)  # nobody polls
    first = await bot.get_updates(timeout=0)
    assert server.pending_updates == [] and len(server.unconfirmed_updates) == 1
    await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
    await server.wait_updates_confirmed(timeout=0.05)
    assert server.unconfirmed_updates == []


# ---------------------------------------------------------------------- end to end


async def test_location_button_and_shared_location(running: FakeTelegram) -> None:
    server = running
    user = server.user(USER, first_name="Budi")
    await user.send("/where")
    assert (await user.wait_reply()).text == "Kirim lokasi"
    assert user.keyboard is not None
    assert user.keyboard["keyboard"][0][0]["request_location"] is True
    with pytest.raises(AssertionError, match="location="):
        await user.press("Lokasi saya")
    await user.press("Lokasi saya", location=(-7.9666, 112.6326))
    assert (await user.wait_reply()).text == "Lokasi -7.9666,112.6326 text=None"
    sent = await user.share_location(-7.98, 112.62)  # from the attachment menu
    assert (sent.kind, (await user.wait_reply()).text) == (
        "location",
        "Lokasi -7.98,112.62 text=None",
    )
    with pytest.raises(AssertionError):
        await user.share_location(112.62, -7.98 * 30)


async def test_conversation_with_echo_bot(running: FakeTelegram) -> None:
    server = running
    user = server.user(USER, first_name="Budi", phone="+6281234567890")
    await user.send("/start")
    welcome = await user.wait_reply()
    assert welcome.text == "Selamat datang!"
    assert user.keyboard_buttons == ["📱 Bagikan kontak"]

    await user.press("Bagikan kontak")
    reply = await user.wait_reply()
    assert reply.text == "Kontak +6281234567890 own=True"
    assert user.keyboard is None  # ReplyKeyboardRemove

    await user.send_contact("+6289999", own=False)
    assert (await user.wait_reply()).text == "Kontak +6289999 own=False"

    await user.send("<b>Bakso</b> & es")
    echo = await user.wait_reply()
    assert echo.text == "Echo: <b>Bakso</b> & es"
    assert echo.html == "Echo: <b>&lt;b&gt;Bakso&lt;/b&gt; &amp; es</b>"
    assert echo.buttons == ["🛒 Tambah ke keranjang", "Toko"]

    cq = await user.click("Tambah ke keranjang")
    answer = await server.wait_callback_answer(cq.id)
    assert answer["text"] == "Ditambahkan"
    edited = await user.wait_reply()
    assert (edited.message_id, edited.text, edited.edited) == (
        echo.message_id,
        "Ditambahkan ✅",
        1,
    )
    assert edited.buttons == []
    assert user.messages[-1].text == "Ditambahkan ✅"

    forged = await user.click_data(edited, "admin:delete_all")
    assert (await server.wait_callback_answer(forged.id))["show_alert"] is True

    with pytest.raises(AssertionError, match="no inline button"):
        await user.click("Tidak ada")
    await user.send("lagi")
    await user.wait_reply()
    with pytest.raises(AssertionError, match="is a url button"):
        await user.click("Toko")

    await server.settle()  # the echo bot is now waiting in its long poll
    second = Bot(TOKEN, session=server.session())
    with pytest.raises(TelegramConflictError):  # only one long-polling consumer per token
        await second.get_updates(timeout=0)
    await second.session.close()

    await server.settle()
    assert server.pending_updates == []
    assert [c.status for c in server.errors] == [409]
    assert [m.from_bot for m in user.messages][:2] == [False, True]


async def test_files_both_ways(running: FakeTelegram, bot: Bot) -> None:
    server = running
    user = server.user(USER)
    await user.send_photo(png(800, 600), caption="etalase")
    reply = await user.wait_reply()
    assert reply.text == "Foto 800x600 caption=etalase"
    received = user.messages[0]
    assert [(f.width, f.height) for f in received.photo_sizes] == [(320, 240), (800, 600)]

    await user.send_document(b"sku,harga\nA1,5000\n", filename="produk.csv")
    reply = await user.wait_reply()
    assert reply.text == "Dokumen produk.csv text/csv sku,harga\nA1,5000"
    assert reply.entities[-1]["type"] == "code"

    sent = await bot.send_document(USER, BufferedInputFile(b"id,total\n1,9000\n", "laporan.csv"))
    assert sent.document is not None and sent.document.file_name == "laporan.csv"
    assert user.last is not None and user.last.document == (b"id,total\n1,9000\n", "laporan.csv")
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    url = f"{server.base_url}/file/bot{TOKEN}/{file.file_path}"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert await resp.read() == b"id,total\n1,9000\n"

    photo = await bot.send_photo(USER, BufferedInputFile(png(50, 20), "x.png"))
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (50, 20)
    again = await bot.send_photo(USER, photo.photo[-1].file_id)  # resend by file_id
    assert (
        again.photo is not None
        and again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
    )
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(USER, "AgACAgUAAxkBAAI-unknown")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"not an image", "x.png"))

    album = await bot.send_media_group(
        USER,
        [
            InputMediaPhoto(media=BufferedInputFile(png(), "1.png"), caption="<i>satu</i>"),
            InputMediaPhoto(media=photo.photo[-1].file_id),
        ],
    )
    assert len({m.media_group_id for m in album}) == 1
    assert album[0].caption == "satu"
    await server.settle()


async def test_wait_reply_containing_matches_text_or_caption(
    server: FakeTelegram, bot: Bot
) -> None:
    user = server.user(USER, started=True)
    await bot.send_message(USER, "Menu")
    await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="Keripik <b>Tempe</b>")
    await bot.send_message(USER, "Keripik lagi")
    photo = await user.wait_reply(containing="Tempe")  # "Menu" is skipped
    assert photo.caption == "Keripik Tempe"
    again = await user.wait_reply(containing="Keripik", predicate=lambda m: m.photo is None)
    assert again.text == "Keripik lagi"
    with pytest.raises(AssertionError, match="no reply to user 1001 containing 'Menu'"):
        await user.wait_reply(timeout=0.05, containing="Menu")  # consumed on the way


async def test_callback_answer_rules(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER, started=True)
    await bot.send_message(
        USER, "menu", reply_markup=kb(InlineKeyboardButton(text="Lihat", callback_data="v"))
    )
    cq = await user.click("Lihat")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(cq.id, text="x" * 201)
    assert await bot.answer_callback_query(cq.id, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(cq.id)
    with pytest.raises(TelegramBadRequest, match="URL_INVALID"):
        await bot.answer_callback_query((await user.click("Lihat")).id, url="https://x.id")
    deep_link = await user.click("Lihat")
    assert await bot.answer_callback_query(deep_link.id, url="https://t.me/TukuLokalBot?start=1")
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")
    server.callback_answer_timeout = 0.05
    late = await user.click(click_data="v")
    await asyncio.sleep(0.1)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late.id)
    with pytest.raises(AssertionError, match="not answered"):
        await server.wait_callback_answer(late.id, timeout=0.05)


async def test_commands_menu_and_misc(server: FakeTelegram, bot: Bot) -> None:
    user = server.user(USER, started=True)
    id_commands = [BotCommand(command="start", description="Mulai")]
    en_commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="help", description="Help"),
    ]
    assert await bot.set_my_commands(id_commands)
    assert await bot.set_my_commands(
        en_commands, scope=BotCommandScopeAllPrivateChats(), language_code="en"
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [c.description for c in got] == ["Start", "Help"]
    assert server.my_commands({"type": "all_private_chats"}, "en")[1]["command"] == "help"
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])
    assert await bot.set_chat_menu_button()
    assert await bot.send_chat_action(USER, "typing")
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type) == (USER, "private")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    source = await bot.send_message(USER, "<b>asli</b>")
    copied = await bot.copy_message(USER, USER, source.message_id)
    assert user.messages[-1].message_id == copied.message_id
    assert user.messages[-1].entities == [{"type": "bold", "offset": 0, "length": 4}]
    forwarded = await bot.forward_message(USER, USER, source.message_id)
    assert forwarded.forward_origin is not None
    assert await bot.close() and await bot.log_out()
