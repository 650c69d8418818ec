"""The merchant menu: /toko (the shop's day, open/closed switch, QRIS, staff) and staff
invitations (deep link s_<token>)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date, format_timedelta
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import Settings
from views.refusals import describe
from handlers.ui import alert, notify, show
from models import MemberRole, Merchant, MerchantStatus, User
from services import shop
from services.errors import Refusal, ServiceError
from services.merchants import member_users
from services.products import require_member
from views import keyboards as kb
from views.callbacks import NewProductCb, OrderCb, ShopCb, ShopProductsCb, StaffRemoveCb
from views.format import button_text, esc, money, shorten, status_label
from views.i18n import babel_locale, translate

router = Router(name="shop")

# Commands a shop's people see in their menu, on top of everyone's.
SHOP_COMMANDS = (("toko", "My shop"), ("produk", "My products"))


def _command_descriptions() -> None:
    # Listed here so that the extractor puts them into the catalogs.
    _("My shop"), _("My products")


async def set_shop_commands(bot: Bot, chat_id: int, locale: str) -> None:
    """Give a shop's member the shop commands in their command menu."""
    from bot.factory import COMMANDS

    commands = [
        BotCommand(command=name, description=translate(text, locale))
        for name, text in (*COMMANDS, *SHOP_COMMANDS)
    ]
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))


def not_a_merchant_text() -> str:
    return _(
        "You don't run a shop here yet. If you run a UMKM in Kota Malang, tap /start → "
        "<b>🏪 I run a UMKM shop</b> to link it."
    )


def shop_chooser(shops: list[tuple[Merchant, str]], make) -> InlineKeyboardMarkup:  # noqa: ANN001
    builder = InlineKeyboardBuilder()
    for merchant, _role in shops:
        builder.button(text=button_text(merchant.name), callback_data=make(merchant.id))
    builder.adjust(1)
    return builder.as_markup()


# --- dashboard -----------------------------------------------------------------------------


def _age(delta: timedelta, locale: str) -> str:
    return format_timedelta(delta, locale=babel_locale(locale), threshold=1.5)


def dashboard_screen(
    board: shop.Dashboard, locale: str, now: datetime, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    merchant = board.merchant
    if merchant.status != MerchantStatus.ACTIVE:
        state = _("⛔ Suspended by the city's administrators: {reason}").format(
            reason=esc(merchant.suspended_reason or "-")
        )
    elif merchant.is_open:
        state = _("🟢 Open: buyers see your products")
    else:
        state = _("🔴 Closed: your products are hidden from the catalog and search")
    month = format_date(
        board.month.astimezone(settings.tz), format="MMMM y", locale=babel_locale(locale)
    )
    lines = [
        _("🏪 <b>{name}</b>").format(name=esc(merchant.name)),
        state,
        "",
        _("🆕 New orders today: <b>{n}</b>").format(n=board.new_today),
        _("⏳ Orders waiting for an action: <b>{n}</b>").format(n=board.waiting_total),
    ]
    for order in board.waiting:
        lines.append(
            "   "
            + _("#{id} · {status} · {total} · for {age}").format(
                id=order.id,
                status=status_label(order.status),
                total=money(order.total, locale),
                age=_age(order.age(now), locale),
            )
        )
    if board.waiting_total > len(board.waiting):
        more = board.waiting_total - len(board.waiting)
        lines.append("   " + _("… and {n} more").format(n=more))
    lines.append(
        _("💰 Paid sales in {month}: <b>{total}</b> ({n} orders)").format(
            month=month, total=money(board.month_sales, locale), n=board.month_orders
        )
    )
    lines.append(_("🔳 QRIS: registered") if board.has_qris else _("🔳 QRIS: not registered"))
    lines.append(_("⚠️ Low-stock warning at {n} or fewer").format(n=merchant.low_stock_threshold))
    builder = InlineKeyboardBuilder()
    for order in board.waiting:
        builder.button(
            text=f"#{order.id} · {_age(order.age(now), locale)}",
            callback_data=OrderCb(id=order.id),
        )
    builder.adjust(3)
    m = merchant.id
    rows: list[list[InlineKeyboardButton]] = []
    if merchant.status == MerchantStatus.ACTIVE:
        toggle = (
            InlineKeyboardButton(
                text=_("🔴 Close the shop"), callback_data=ShopCb(m=m, action="close").pack()
            )
            if merchant.is_open
            else InlineKeyboardButton(
                text=_("🟢 Open the shop"), callback_data=ShopCb(m=m, action="open").pack()
            )
        )
        rows.append([toggle])
    if board.role == MemberRole.OWNER:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📦 Products"), callback_data=ShopProductsCb(m=m).pack()
                ),
                InlineKeyboardButton(
                    text=_("➕ Add product"),
                    callback_data=NewProductCb(action="start", m=m).pack(),
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("🔳 QRIS"), callback_data=ShopCb(m=m, action="qris").pack()
                ),
                InlineKeyboardButton(
                    text=_("👥 Staff"), callback_data=ShopCb(m=m, action="staff").pack()
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("⚠️ Low-stock warning"),
                    callback_data=ShopCb(m=m, action="threshold").pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🔄 Refresh"), callback_data=ShopCb(m=m, action="show").pack()
            )
        ]
    )
    for row in rows:
        builder.row(*row)
    return shorten("\n".join(lines), 4096), builder.as_markup()


async def _dashboard(
    session: AsyncSession,
    user: User,
    merchant_id: int,
    locale: str,
    settings: Settings,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup]:
    board = await shop.dashboard(session, user, merchant_id, now=now, tz=settings.tz)
    return dashboard_screen(board, locale, now, settings)


@router.message(Command("toko", "shop"))
async def toko_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    await state.clear()
    shops = await shop.my_shops(session, user)
    if not shops:
        await message.answer(not_a_merchant_text(), reply_markup=kb.main_menu())
        return
    if len(shops) > 1:
        await message.answer(
            _("Which shop?"), reply_markup=shop_chooser(shops, lambda m: ShopCb(m=m))
        )
        return
    text, markup = await _dashboard(session, user, shops[0][0].id, locale, settings, clock())
    await message.answer(text, reply_markup=markup)


@router.callback_query(ShopCb.filter(F.action.in_({"show", "open", "close"})))
async def shop_callback(
    callback: CallbackQuery,
    callback_data: ShopCb,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    try:
        if callback_data.action in ("open", "close"):
            await shop.set_open(
                session, user, callback_data.m, callback_data.action == "open", now=clock()
            )
            callback_answer.text = (
                _("Your shop is open: buyers see your products again.")
                if callback_data.action == "open"
                else _("Your shop is closed: its products are hidden. Open orders go on.")
            )
        text, markup = await _dashboard(session, user, callback_data.m, locale, settings, clock())
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


# --- staff ---------------------------------------------------------------------------------


async def _staff_screen(
    session: AsyncSession, user: User, merchant_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    people = await shop.members(session, user, merchant_id)
    merchant = await session.get(Merchant, merchant_id)
    lines = [_("👥 <b>People of {shop}</b>").format(shop=esc(merchant.name)), ""]
    builder = InlineKeyboardBuilder()
    for member in people:
        name = esc(member.user.full_name or member.user.first_name or str(member.user.id))
        if member.role == MemberRole.OWNER:
            lines.append(_("👑 {name} (owner)").format(name=name))
        else:
            lines.append(_("👤 {name} (staff)").format(name=name))
            builder.button(
                text=button_text(_("➖ Remove {name}").format(name=member.user.first_name)),
                callback_data=StaffRemoveCb(m=merchant_id, user=member.user.id),
            )
    lines.append("")
    lines.append(
        _(
            "Staff receive the shop's orders and can move them along (accept, payment "
            "received, ready, done). They cannot change products or prices, or invite others."
        )
    )
    builder.button(
        text=_("➕ Invite a staff member"), callback_data=ShopCb(m=merchant_id, action="invite")
    )
    builder.button(text=_("⬅️ My shop"), callback_data=ShopCb(m=merchant_id))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


@router.callback_query(ShopCb.filter(F.action == "staff"))
async def staff_screen(
    callback: CallbackQuery,
    callback_data: ShopCb,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        text, markup = await _staff_screen(session, user, callback_data.m)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await show(callback, text, markup)


@router.callback_query(StaffRemoveCb.filter())
async def staff_remove(
    callback: CallbackQuery,
    callback_data: StaffRemoveCb,
    session: AsyncSession,
    user: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        removed = await shop.remove_staff(session, user, callback_data.m, callback_data.user)
        text, markup = await _staff_screen(session, user, callback_data.m)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    merchant = await session.get(Merchant, callback_data.m)
    await notify(
        bot,
        removed,
        lambda _locale: (
            _("You no longer work for {shop} in TukuLokal.").format(shop=esc(merchant.name)),
            None,
        ),
    )
    await show(callback, text, markup)


@router.callback_query(ShopCb.filter(F.action == "invite"))
async def staff_invite(
    callback: CallbackQuery,
    callback_data: ShopCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
    callback_answer: CallbackAnswer,
    clock: Callable[[], datetime],
) -> None:
    try:
        invite = await shop.create_invite(
            session,
            user,
            callback_data.m,
            now=clock(),
            valid_for=timedelta(hours=settings.staff_invite_hours),
        )
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    me = await callback.bot.me()
    link = f"https://t.me/{me.username}?start=s_{invite.token}"
    merchant = await session.get(Merchant, callback_data.m)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📤 Share the link"), url=f"https://t.me/share/url?url={link}")
    builder.button(text=_("⬅️ My shop"), callback_data=ShopCb(m=callback_data.m))
    builder.adjust(1)
    await callback.message.answer(
        _(
            "✉️ Send this one-time link to the person who will help you run <b>{shop}</b>. "
            "It works once, within {hours} hours:\n\n{link}"
        ).format(shop=esc(merchant.name), hours=settings.staff_invite_hours, link=link),
        reply_markup=builder.as_markup(),
    )


async def join_by_invite(
    message: Message,
    session: AsyncSession,
    user: User,
    token: str,
    *,
    now: datetime,
    locale: str,
) -> None:
    """The invited person opened the owner's link."""
    try:
        merchant = await shop.accept_invite(session, user, token, now=now)
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
    await set_shop_commands(message.bot, message.chat.id, locale)
    name = user.full_name or user.first_name
    for member in await member_users(session, merchant.id):
        if member.id == user.id:
            continue
        await notify(
            message.bot,
            member,
            lambda _locale: (
                _("👤 {name} joined {shop} as staff.").format(
                    name=esc(name), shop=esc(merchant.name)
                ),
                None,
            ),
        )


# --- low-stock threshold -------------------------------------------------------------------


class ThresholdForm(StatesGroup):
    value = State()


@router.callback_query(ShopCb.filter(F.action == "threshold"))
async def ask_threshold(
    callback: CallbackQuery,
    callback_data: ShopCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        merchant, _role = await require_member(session, user, callback_data.m, owner=True)
    except ServiceError as exc:
        alert(callback_answer, describe(exc))
        return
    await state.set_state(ThresholdForm.value)
    await state.update_data(threshold_shop=merchant.id)
    await callback.message.answer(
        _(
            "⚠️ When a paid order leaves a product with this many or fewer in stock, you get "
            "a warning. Now: {n}. Type the new number (0 = only when sold out)."
        ).format(n=merchant.low_stock_threshold),
        reply_markup=kb.cancel_keyboard(),
    )


@router.message(ThresholdForm.value, F.text, ~F.text.startswith("/"), F.text != kb.CANCEL)
async def got_threshold(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    merchant_id = (await state.get_data()).get("threshold_shop", 0)
    try:
        await shop.set_low_stock_threshold(session, user, merchant_id, message.text, now=clock())
    except ServiceError as exc:
        if exc.code in (Refusal.FORBIDDEN, Refusal.OWNER_ONLY):
            await state.clear()
            await message.answer(describe(exc), reply_markup=kb.main_menu())
            return
        await message.answer(describe(exc) + "\n" + _("Please try again, or tap Cancel."))
        return
    await state.clear()
    await message.answer(_("✅ Saved."), reply_markup=kb.main_menu())
    text, markup = await _dashboard(session, user, merchant_id, locale, settings, clock())
    await message.answer(text, reply_markup=markup)


@router.message(StateFilter(ThresholdForm.value), F.text != kb.CANCEL)
async def threshold_expected(message: Message) -> None:
    await message.answer(_("Please type a whole number, or tap Cancel."))
