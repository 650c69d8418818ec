"""A shop's people: the owner invites staff by a one-time link (/start s_<token>), sees them
and removes them; everyone in the shop is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from delivery.menus import refresh_menu
from delivery.notify import notify
from delivery.sender import Sender
from handlers.routes import Routes
from handlers.ui import show
from models import Merchant, User
from services import shop
from services.errors import NotFound, Refusal, ServiceError
from services.merchants import member_users
from services.policy import Policy
from views import keyboards as kb
from views.callbacks import ShopCb, StaffRemoveCb
from views.format import esc
from views.refusals import describe
from views.shop import invite_screen, staff_screen

routes = Routes("staff")


async def _people(
    session: AsyncSession, user: User, merchant_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    people = await shop.members(session, user, merchant_id)
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(Refusal.MERCHANT_NOT_FOUND)
    return staff_screen(merchant, people)


@routes.callback_query(ShopCb.filter(F.action == "staff"))
async def staff_list(
    callback: CallbackQuery, callback_data: ShopCb, session: AsyncSession, user: User
) -> None:
    await show(callback, *await _people(session, user, callback_data.m))


@routes.callback_query(StaffRemoveCb.filter())
async def staff_remove(
    callback: CallbackQuery,
    callback_data: StaffRemoveCb,
    session: AsyncSession,
    user: User,
    sender: Sender,
    policy: Policy,
) -> None:
    removed = await shop.remove_staff(session, user, callback_data.m, callback_data.user)
    if callback.bot is not None:
        await refresh_menu(callback.bot, session, removed, admin_ids=policy.admin_ids)
    text, markup = await _people(session, user, callback_data.m)
    merchant = await session.get(Merchant, callback_data.m)
    name = merchant.name if merchant is not None else ""
    await notify(
        sender,
        removed,
        lambda _locale: (
            _("You no longer work for {shop} in TukuLokal.").format(shop=esc(name)),
            None,
        ),
    )
    await show(callback, text, markup)


@routes.callback_query(ShopCb.filter(F.action == "invite"))
async def staff_invite(
    callback: CallbackQuery,
    callback_data: ShopCb,
    session: AsyncSession,
    user: User,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    invite = await shop.create_invite(
        session,
        user,
        callback_data.m,
        now=clock(),
        valid_for=timedelta(hours=policy.staff_invite_hours),
    )
    merchant = await session.get(Merchant, callback_data.m)
    if merchant is None or callback.bot is None or not isinstance(callback.message, Message):
        return
    me = await callback.bot.me()
    link = f"https://t.me/{me.username}?start=s_{invite.token}"
    text, markup = invite_screen(merchant, link, policy.staff_invite_hours)
    await callback.message.answer(text, reply_markup=markup)


@routes.message(CommandStart(deep_link=True, magic=F.args.startswith("s_")))
async def join_by_invite(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    sender: Sender,
    policy: Policy,
    clock: Callable[[], datetime],
) -> None:
    """The invited person opened the owner's link."""
    await state.clear()
    token = (command.args or "")[2:]
    try:
        merchant = await shop.accept_invite(session, user, token, now=clock())
    except ServiceError as exc:
        await message.answer(describe(exc), reply_markup=kb.main_menu())
        return
    await message.answer(
        _(
            "👤 You now help run <b>{shop}</b>. Its new orders will arrive here with buttons "
            "to move them along. /toko shows the shop's day."
        ).format(shop=esc(merchant.name)),
        reply_markup=kb.main_menu(),
    )
    if message.bot is not None:
        await refresh_menu(message.bot, session, user, admin_ids=policy.admin_ids)
    name = user.full_name or user.first_name
    for member in await member_users(session, merchant.id or 0):
        if member.id == user.id:
            continue
        await notify(
            sender,
            member,
            lambda _locale: (
                _("👤 {name} joined {shop} as staff.").format(
                    name=esc(name), shop=esc(merchant.name)
                ),
                None,
            ),
        )
