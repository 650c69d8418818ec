"""Texts and captions as Telegram takes them: HTML parse mode, lengths, cleaning, entities.

Each rule's source is in sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaPhoto, MessageEntity

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER, MakeServer, bot_of, call, png


def spans(entities: list[MessageEntity] | None) -> list[tuple[str, int, int]]:
    return [(e.type, e.offset, e.length) for e in entities or []]


# ---------------------------------------------------------------------- lengths


async def test_length_counts_code_points_not_utf16_units(server: FakeTelegram, bot: Bot) -> None:
    """A 2,970-character description with many emoji (4,620 UTF-16 units) is accepted."""
    description = ("🛒" * 1650) + ("a" * 1320)
    assert len(description) == 2970 and len(description.encode("utf-16-le")) // 2 == 4620
    sent = await bot.send_message(USER, description)
    assert sent.text == description
    await bot.send_message(USER, "😀" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER, "😀" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(USER, "<b>" + "a" * 4097 + "</b>")  # counted after parsing
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>")


async def test_entity_offsets_are_utf16_units(server: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "😀😀 <b>x</b>")
    assert spans(sent.entities) == [("bold", 5, 1)]


async def test_caption_length_counts_code_points(server: FakeTelegram, bot: Bot) -> None:
    photo = BufferedInputFile(png(), "p.png")
    await bot.send_photo(USER, photo, caption="📦" * 1024)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(USER, photo, caption="📦" * 1025)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_media_group(
            USER, [InputMediaPhoto(media=photo, caption="x" * 1025), InputMediaPhoto(media=photo)]
        )


async def test_edits_over_the_limit_are_message_too_long(server: FakeTelegram, bot: Bot) -> None:
    text = await bot.send_message(USER, "pendek")
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.edit_message_text("x" * 4097, chat_id=USER, message_id=text.message_id)
    await bot.edit_message_text("é" * 4096, chat_id=USER, message_id=text.message_id)
    photo = await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="c")
    with pytest.raises(TelegramBadRequest, match="Bad Request: MEDIA_CAPTION_TOO_LONG"):
        await bot.edit_message_caption(
            chat_id=USER, message_id=photo.message_id, caption="c" * 1025
        )


async def test_raw_text_over_32_kib_is_text_is_too_long(server: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: text is too long"):
        await bot.send_message(USER, "&lt;" * 8193)  # 32,772 bytes, 8,193 characters parsed
    with pytest.raises(TelegramBadRequest, match="Bad Request: text is too long"):
        await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption="<i></i>" * 4700)
    await bot.send_message(USER, "&lt;" * 4096)  # 16 KiB raw, 4096 characters


async def test_empty_texts(server: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(USER, "")
    for blank in (" \n ", "<b> </b>", "\r\t"):
        with pytest.raises(TelegramBadRequest, match="Bad Request: text must be non-empty"):
            await bot.send_message(USER, blank)
    photo = await bot.send_photo(USER, BufferedInputFile(png(), "p.png"), caption=" \n")
    assert photo.caption is None  # a caption may be empty


async def test_text_is_cleaned_and_trimmed_as_telegram_does(
    server: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(USER, "\n  a\r\nb\tc\u2028d\u00a0 \n")
    assert sent.text == "a\nb cd\u00a0"  # only spaces and newlines are trimmed
    sent = await bot.send_message(USER, "<b> x </b> y")
    assert sent.text == " x  y"  # no trimming inside the first entity
    assert spans(sent.entities) == [("bold", 0, 3)]


# ---------------------------------------------------------------------- HTML accepted


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Tom & Jerry", "Tom & Jerry"),  # a bare & stays
        ("AT&T &nbsp; &copy;", "AT&T &nbsp; &copy;"),  # unknown named entities stay
        ("1 &lt 2 &amp 3", "1 < 2 & 3"),  # the ";" is optional
        ("&#x41;&#66;&#128512;", "AB😀"),
        ("a > b", "a > b"),
        ("<b href>x</b>", "x"),  # an attribute without a value is ignored
    ],
)
async def test_html_kept_as_text(server: FakeTelegram, bot: Bot, html: str, text: str) -> None:
    assert (await bot.send_message(USER, html)).text == text


async def test_html_tags_telegram_accepts(server: FakeTelegram, bot: Bot) -> None:
    cases: list[tuple[str, list[dict[str, object]]]] = [
        (
            '<tg-time unix="1767225600" format="wDT">1 Jan</tg-time>',
            [
                {
                    "type": "date_time",
                    "offset": 0,
                    "length": 5,
                    "unix_time": 1767225600,
                    "date_time_format": "wDT",
                },  # fmt: skip
            ],
        ),
        (
            "<blockquote expandable>panjang</blockquote>",
            [{"type": "expandable_blockquote", "offset": 0, "length": 7}],
        ),
        ("<tg-spoiler>rahasia</tg-spoiler>", [{"type": "spoiler", "offset": 0, "length": 7}]),
        (
            '<span class="tg-spoiler">rahasia</span>',
            [{"type": "spoiler", "offset": 0, "length": 7}],
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            [
                {
                    "type": "custom_emoji",
                    "offset": 0,
                    "length": 2,
                    "custom_emoji_id": "5368324170671202286",
                }
            ],  # fmt: skip
        ),
        (  # nested bold/italic/underline come back split, as TDLib's split_entities does
            "<b>tebal <i>miring <u>garis</u></i></b>",
            [
                {"type": "bold", "offset": 0, "length": 6},
                {"type": "bold", "offset": 6, "length": 7},
                {"type": "italic", "offset": 6, "length": 7},
                {"type": "bold", "offset": 13, "length": 5},
                {"type": "italic", "offset": 13, "length": 5},
                {"type": "underline", "offset": 13, "length": 5},
            ],
        ),
        (
            '<b><a href="https://x.id">tautan</a></b>',
            [
                {"type": "text_link", "offset": 0, "length": 6, "url": "https://x.id/"},
                {"type": "bold", "offset": 0, "length": 6},
            ],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
        ),
        ("<B>besar</B>", [{"type": "bold", "offset": 0, "length": 5}]),
    ]
    for html, entities in cases:
        answer = await call(server, "sendMessage", chat_id=USER, text=html, parse_mode="HTML")
        assert answer["ok"], (html, answer)
        assert answer["result"]["entities"] == entities, html


async def test_entities_are_normalised_as_tdlib_does(server: FakeTelegram, bot: Bot) -> None:
    # bold is split around code and dropped inside it; adjacent bold merges; a bad link goes
    sent = await bot.send_message(USER, "<b>a<code>b</code>c</b> <b>d</b><b>e</b>")
    assert spans(sent.entities) == [
        ("bold", 0, 1),
        ("code", 1, 1),
        ("bold", 2, 1),
        ("bold", 4, 2),
    ]
    sent = await bot.send_message(USER, '<a href="ftp://x.id">a</a> <a href="x.id">b</a>')
    assert [(e.type, e.url) for e in sent.entities or []] == [("text_link", "http://x.id/")]


# ---------------------------------------------------------------------- HTML refused


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("harga < 5", 'Unsupported start tag "" at byte offset 6'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b x/>y</b>", 'Empty attribute name in the tag "b" at byte offset 0'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
        ('<tg-time unix=1 format="x">y</tg-time>', "Invalid date format used"),
        ("&#55357;", "Text contains invalid Unicode characters after decoding HTML entities"),
    ],
)
async def test_html_telegram_refuses(
    server: FakeTelegram, bot: Bot, html: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(USER, html)
    assert f"Bad Request: can't parse entities: {error}" in info.value.message


async def test_strict_amp_refuses_a_bare_ampersand(make_server: MakeServer) -> None:
    server = await make_server(strict_amp=True)
    async with bot_of(server) as bot:
        for text in ("Tom & Jerry", "1 &lt 2", "&nbsp;"):
            with pytest.raises(TelegramBadRequest, match='Unescaped "&"'):
                await bot.send_message(USER, text)
        assert (await bot.send_message(USER, "Tom &amp; Jerry &lt;3")).text == "Tom & Jerry <3"
    assert len(server.errors) == 3


# ---------------------------------------------------------------------- parse_mode, entities


async def test_parse_mode_rules(server: FakeTelegram, bot: Bot) -> None:
    assert (await bot.send_message(USER, "<b>x</b>", parse_mode="html")).text == "x"
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(USER, "x", parse_mode=" HTML")
    assert info.value.message.endswith("Bad Request: unsupported parse_mode")
    with pytest.raises(TelegramBadRequest, match="fakegram implements only HTML"):
        await bot.send_message(USER, "*x*", parse_mode="MarkdownV2")
    plain = await bot.send_message(USER, "<b>x</b>", parse_mode=None)
    assert plain.text == "<b>x</b>" and plain.entities is None


async def test_parse_mode_wins_over_entities(server: FakeTelegram) -> None:
    answer = await call(
        server,
        "sendMessage",
        chat_id=USER,
        text="<i>ab</i>",
        parse_mode="HTML",
        entities=[{"type": "bold", "offset": 0, "length": 1}],
    )
    assert answer["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
    answer = await call(
        server,
        "sendMessage",
        chat_id=USER,
        text="😀 ab #tag",
        entities=[
            {"type": "bold", "offset": 3, "length": 2},
            {"type": "hashtag", "offset": 6, "length": 4},  # ignored, as Client.cpp does
        ],
    )
    assert answer["result"]["entities"] == [{"type": "bold", "offset": 3, "length": 2}]
