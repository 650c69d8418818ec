"""Administrators suspend a shop (hidden everywhere, its people told why) and reactivate it:
/bekukan KODE alasan, /aktifkan KODE."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from delivery.notify import notify
from delivery.sender import Sender
from handlers.routes import Routes
from services import shop
from services.policy import Policy
from services.roles import Roles
from views.format import esc

routes = Routes("shops")


@routes.message(Command("bekukan", "suspend"))
async def suspend_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    bot: Bot,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    code, _sep, reason = (command.args or "").strip().partition(" ")
    if not code:
        await message.answer(
            _(
                "Usage: <code>/bekukan SHOP_CODE reason</code>, e.g. <code>/bekukan M001 "
                "NIB tidak valid</code>. The shop is hidden everywhere and its people are "
                "told the reason."
            )
        )
        return
    result = await shop.suspend(session, actor=roles, code=code, reason=reason, now=clock())
    merchant = result.merchant
    told = 0
    for member in result.notify:
        await refresh_menu(bot, session, member, admin_ids=policy.admin_ids)
        told += await notify(
            sender,
            member,
            lambda _locale: (
                _(
                    "⛔ Your shop <b>{shop}</b> was suspended by the city's administrators.\n"
                    "Reason: {reason}\n\nIt is hidden from the catalog and search until it is "
                    "reactivated. Orders already placed can still be completed. For questions, "
                    "contact the city's UMKM desk (Diskopindag)."
                ).format(shop=esc(merchant.name), reason=esc(merchant.suspended_reason or "")),
                None,
            ),
        )
    await message.answer(
        _(
            "⛔ <b>{shop}</b> ({code}) is suspended and hidden everywhere. {n} of its people "
            "were told why."
        ).format(shop=esc(merchant.name), code=esc(merchant.code), n=told)
    )


@routes.message(Command("aktifkan", "reactivate"))
async def reactivate_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    roles: Roles,
    sender: Sender,
    bot: Bot,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    code = (command.args or "").strip().split(" ")[0]
    if not code:
        await message.answer(_("Usage: <code>/aktifkan SHOP_CODE</code>"))
        return
    result = await shop.reactivate(session, actor=roles, code=code, now=clock())
    merchant = result.merchant
    for member in result.notify:
        await refresh_menu(bot, session, member, admin_ids=policy.admin_ids)
        await notify(
            sender,
            member,
            lambda _locale: (
                _(
                    "✅ Your shop <b>{shop}</b> is active again: buyers see it in the catalog "
                    "and search (if it is open, see /toko)."
                ).format(shop=esc(merchant.name)),
                None,
            ),
        )
    await message.answer(
        _("✅ <b>{shop}</b> ({code}) is active again.").format(
            shop=esc(merchant.name), code=esc(merchant.code)
        )
    )
