"""A shop's screens: the dashboard (/toko), its people, the staff invitation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date, format_timedelta

from models import MemberRole, Merchant, MerchantStatus
from models.tables import stored_id
from services import shop
from views import keyboards as kb
from views.callbacks import NewProductCb, OrderCb, ShopCb, ShopProductsCb, StaffRemoveCb
from views.format import button_text, esc, fit_html, fit_lines, money, status_label
from views.i18n import babel_locale


def linked_text(names: list[str]) -> str:
    return (
        _(
            "🏪 Your account now runs <b>{shops}</b>. New orders will arrive here as messages "
            "with buttons to accept, confirm payment and hand over."
        ).format(shops=esc(", ".join(names)))
        + "\n\n"
        + _(
            "/toko shows your shop's day, opens or closes it and registers your QRIS; "
            "/produk lists, adds and edits your products."
        )
    )


def not_a_merchant_text() -> str:
    return _(
        "You don't run a shop here yet. If you run a UMKM in Kota Malang, tap /start → "
        "<b>🏪 I run a UMKM shop</b> to link it."
    )


# Lists of buttons whose length people decide (their shops, their staff) are cut here, far below
# Telegram's 100 buttons; nobody runs more shops, or employs more people here, in practice.
MAX_LISTED = 40


def shop_chooser(
    shops: Sequence[tuple[Merchant, str]], make: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for merchant, _role in shops[:MAX_LISTED]:
        builder.button(text=button_text(merchant.name), callback_data=make(merchant.id or 0))
    builder.adjust(1)
    return builder.as_markup()


# --- dashboard -----------------------------------------------------------------------------


def _age(delta: timedelta, locale: str) -> str:
    return format_timedelta(delta, locale=babel_locale(locale), threshold=1.5)


def _dashboard_text(board: shop.Dashboard, locale: str, now: datetime, tz: tzinfo) -> str:
    merchant = board.merchant
    if merchant.status != MerchantStatus.ACTIVE:
        state = _("⛔ Suspended by the city's administrators: {reason}").format(
            reason=esc(merchant.suspended_reason or "-")
        )
    elif merchant.is_open:
        state = _("🟢 Open: buyers see your products")
    else:
        state = _("🔴 Closed: your products are hidden from the catalog and search")
    month = format_date(board.month.astimezone(tz), format="MMMM y", locale=babel_locale(locale))
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
    if board.capped:
        lines.append(
            _(
                "🧢 Monthly cap of {cap} reached: until the end of {month} buyers find other "
                "shops first; your orders go on."
            ).format(cap=money(board.monthly_cap, locale), month=month)
            if not board.cap_hides
            else _(
                "🧢 Monthly cap of {cap} reached: until the end of {month} your products "
                "are hidden from the catalog and search; your orders go on."
            ).format(cap=money(board.monthly_cap, locale), month=month)
        )
    elif board.monthly_cap:
        lines.append(
            _("🧢 Monthly cap: {left} more until {cap}").format(
                left=money(board.cap_left, locale), cap=money(board.monthly_cap, locale)
            )
        )
    lines.append(_("🔳 QRIS: registered") if board.has_qris else _("🔳 QRIS: not registered"))
    lines.append(_("⚠️ Low-stock warning at {n} or fewer").format(n=merchant.low_stock_threshold))
    lines.append(
        _("📍 Location: set (buyers nearby see the distance)")
        if merchant.lat is not None and merchant.lon is not None
        else _("📍 Location: not set yet")
    )
    return "\n".join(lines)


def _dashboard_rows(board: shop.Dashboard) -> list[list[InlineKeyboardButton]]:
    """The shop's own buttons: open/close, the owner's tools, refresh."""
    merchant = board.merchant
    m = merchant.id or 0
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
                ),
                InlineKeyboardButton(
                    text=_("📍 Location"), callback_data=ShopCb(m=m, action="location").pack()
                ),
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🔄 Refresh"), callback_data=ShopCb(m=m, action="show").pack()
            )
        ]
    )
    return rows


def dashboard_screen(
    board: shop.Dashboard, locale: str, now: datetime, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for order in board.waiting:
        builder.button(
            text=f"#{order.id} · {_age(order.age(now), locale)}",
            callback_data=OrderCb(id=order.id),
        )
    builder.adjust(3)
    for row in _dashboard_rows(board):
        builder.row(*row)
    return fit_html(_dashboard_text(board, locale, now, tz)), builder.as_markup()


# --- staff ---------------------------------------------------------------------------------


def staff_screen(
    merchant: Merchant, people: Sequence[shop.Member]
) -> tuple[str, InlineKeyboardMarkup]:
    merchant_id = merchant.id or 0
    head = [_("👥 <b>People of {shop}</b>").format(shop=esc(merchant.name)), ""]
    body = []
    builder = InlineKeyboardBuilder()
    removable = 0
    for member in people:
        name = esc(member.user.full_name or member.user.first_name or str(member.user.id))
        if member.role == MemberRole.OWNER:
            body.append(_("👑 {name} (owner)").format(name=name))
            continue
        body.append(_("👤 {name} (staff)").format(name=name))
        if removable < MAX_LISTED:
            removable += 1
            builder.button(
                text=button_text(_("➖ Remove {name}").format(name=member.user.first_name)),
                callback_data=StaffRemoveCb(m=merchant_id, user=stored_id(member.user.id)),
            )
    tail = [
        "",
        _(
            "Staff receive the shop's orders and can move them along (accept, payment "
            "received, ready, done). They cannot change products or prices, or invite others."
        ),
    ]
    builder.button(
        text=_("➕ Invite a staff member"), callback_data=ShopCb(m=merchant_id, action="invite")
    )
    builder.button(text=_("⬅️ My shop"), callback_data=ShopCb(m=merchant_id))
    builder.adjust(1)
    return fit_lines(head, body, tail), builder.as_markup()


def invite_screen(merchant: Merchant, link: str, hours: int) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📤 Share the link"), url=f"https://t.me/share/url?url={link}")
    builder.button(text=_("⬅️ My shop"), callback_data=ShopCb(m=merchant.id or 0))
    builder.adjust(1)
    text = _(
        "✉️ Send this one-time link to the person who will help you run <b>{shop}</b>. "
        "It works once, within {hours} hours:\n\n{link}"
    ).format(shop=esc(merchant.name), hours=hours, link=link)
    return text, builder.as_markup()


def location_prompt() -> str:
    return _(
        "📍 Stand in your shop and tap <b>📍 Send the shop's location</b> below (or send a "
        "location from 📎). Buyers who share their location then see how far your shop is."
    )


def location_saved() -> str:
    return _("✅ The shop's location is saved.")


def location_expected_text() -> str:
    return _("Please tap 📍 Send the shop's location (or send a location from 📎), or tap Cancel.")


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Send the shop's location"), request_location=True)],
            [KeyboardButton(text=str(kb.CANCEL))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def threshold_prompt(merchant: Merchant) -> str:
    return _(
        "⚠️ When a paid order leaves a product with this many or fewer in stock, you get "
        "a warning. Now: {n}. Type the new number (0 = only when sold out)."
    ).format(n=merchant.low_stock_threshold)
