"""Setting the command menus in Telegram: everyone's default, and each role holder's own.

A person's own menu (chat scope) is set whenever a role or their language changes: linking a
shop, joining or leaving one as staff, a shop suspended or reactivated, an administrator or OPD
operator added or removed, /bahasa. A person with no role but buying gets no menu of their
own (a chat menu left behind is deleted), so everyone's menu in their app's language applies.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommandScopeChat, BotCommandScopeDefault
from sqlmodel.ext.asyncio.session import AsyncSession

from models import User
from services.roles import Roles, resolve_roles
from services.shop import has_active_shop
from views.commands import menu, menu_for
from views.i18n import pick_locale

log = logging.getLogger(__name__)


async def set_default_menus(bot: Bot) -> None:
    """Everyone's menu: Indonesian by default, English for English-speaking apps."""
    for locale, language_code in (("id", None), ("en", "en")):
        await bot.set_my_commands(
            menu(locale), scope=BotCommandScopeDefault(), language_code=language_code
        )


async def set_menu(
    bot: Bot, telegram_id: int, roles: Roles, locale: str, *, shop_active: bool
) -> None:
    """This person's own menu for their roles, or none (everyone's menu then applies)."""
    commands = menu_for(roles, locale, shop_active=shop_active)
    scope = BotCommandScopeChat(chat_id=telegram_id)
    try:
        if commands is None:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(commands, scope=scope)
    except TelegramAPIError as exc:  # never started the bot, blocked it: nothing to refresh
        log.info("menu of %s not set: %s", telegram_id, exc)


async def refresh_menu(
    bot: Bot, session: AsyncSession, user: User, *, admin_ids: frozenset[int]
) -> None:
    """Set `user`'s menu from their roles and language as they are now."""
    roles = await resolve_roles(session, user, admin_ids=admin_ids, telegram_id=user.telegram_id)
    locale = pick_locale(user.language, user.telegram_language)
    shop_active = await has_active_shop(session, roles.shops)
    await set_menu(bot, user.telegram_id, roles, locale, shop_active=shop_active)
