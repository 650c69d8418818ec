"""setMyCommands and the other *My* methods: commands, descriptions, scopes, language codes.

Each rule's source is in sandbox/fakegram/CONFORMANCE.md.
"""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
)

from sandbox.fakegram import FakeTelegram
from tests.fakegram.helpers import USER, call


async def test_commands_are_trimmed_and_checked(server: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands(
        [
            BotCommand(command=" /start ", description="  Mulai  "),
            BotCommand(command="pesanan_2", description="d" * 256),
            BotCommand(command="x" * 32, description="🛒" * 256),
        ]
    )
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Mulai"),
        ("pesanan_2", "d" * 256),
        ("x" * 32, "🛒" * 256),
    ]


@pytest.mark.parametrize(
    ("command", "description", "error"),
    [
        ("Start", "Mulai", "BOT_COMMAND_INVALID"),
        ("toko-saya", "Toko", "BOT_COMMAND_INVALID"),
        ("pesan an", "Pesan", "BOT_COMMAND_INVALID"),
        ("keranjang✓", "Keranjang", "BOT_COMMAND_INVALID"),
        ("x" * 33, "Terlalu panjang", "command length must not exceed 32"),
        (" / ", "Kosong", "command must be non-empty"),
        ("start", "   ", "command description must be non-empty"),
        ("start", "d" * 257, "command description length must not exceed 256"),
    ],
)
async def test_commands_telegram_refuses(
    server: FakeTelegram, bot: Bot, command: str, description: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.set_my_commands([BotCommand(command=command, description=description)])
    assert info.value.message.endswith(f"Bad Request: {error}")


async def test_at_most_100_commands(server: FakeTelegram, bot: Bot) -> None:
    many = [BotCommand(command=f"c{i}", description="x") for i in range(101)]
    with pytest.raises(TelegramBadRequest, match="Bad Request: BOT_COMMANDS_TOO_MUCH"):
        await bot.set_my_commands(many)
    assert await bot.set_my_commands(many[:100])
    assert len(await bot.get_my_commands()) == 100


@pytest.mark.parametrize("code", ["EN", "eng", "e1", "id-ID", " en"])
async def test_language_codes(server: FakeTelegram, bot: Bot, code: str) -> None:
    commands = [BotCommand(command="start", description="Start")]
    attempts = [
        bot.set_my_commands(commands, language_code=code),
        bot.get_my_commands(language_code=code),
        bot.delete_my_commands(language_code=code),
        bot.set_my_description("Toko", language_code=code),
        bot.get_my_name(language_code=code),
    ]
    for attempt in attempts:
        with pytest.raises(TelegramBadRequest) as info:
            await attempt
        assert info.value.message.endswith("Bad Request: invalid language code specified")
    assert await bot.set_my_commands(commands, language_code="en")
    assert await bot.set_my_commands(commands, language_code="")


async def test_scopes(server: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand(command="toko", description="Toko saya")]
    assert await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=USER))
    got = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=USER))
    assert [c.command for c in got] == ["toko"]
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == []
    for chat_id in (424242, 2001):  # unknown; known to the test but never met by the bot
        server.user(2001)
        with pytest.raises(TelegramBadRequest) as info:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        assert info.value.message.endswith("Bad Request: chat not found")
    with pytest.raises(TelegramBadRequest) as info:
        await bot.set_my_commands(commands, scope=BotCommandScopeChatAdministrators(chat_id=USER))
    assert info.value.message.endswith("Bad Request: can't use specified scope in private chats")
    answer = await call(
        server, "setMyCommands", commands=[], scope={"type": "everyone"}, language_code="id"
    )
    assert answer["description"] == (
        "Bad Request: can't parse BotCommandScope: Unsupported type specified"
    )
    # the chat is checked before the language code, as Client.cpp does
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(
            commands, scope=BotCommandScopeChat(chat_id=424242), language_code="XX"
        )
