"""Setting the command menus in Telegram: everyone's default, and a chat's own."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault

from views.commands import menu


async def set_default_menus(bot: Bot) -> None:
    """Everyone's menu: Indonesian by default, English for English-speaking apps."""
    for locale, language_code in (("id", None), ("en", "en")):
        await bot.set_my_commands(
            menu(locale), scope=BotCommandScopeDefault(), language_code=language_code
        )


async def set_shop_menu(bot: Bot, chat_id: int, locale: str) -> None:
    """Give a shop's member the shop commands in their command menu."""
    await bot.set_my_commands(menu(locale, shop=True), scope=BotCommandScopeChat(chat_id=chat_id))
