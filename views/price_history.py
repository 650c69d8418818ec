"""A product's price history, page by page: for its shop's owner (from the product's
management screen) and for administrators and the inspectorate (from a red flag)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.price_history import PriceEntry, PriceHistory, RaisedProduct
from views import keyboards as kb
from views.callbacks import FlagCb, FlagPriceCb, ManageProductCb, PriceHistoryCb
from views.format import button_text, esc, fit_html, moment, money


def _change(entry: PriceEntry) -> str:
    """+20% / −10%, against the old price."""
    if entry.old_price <= 0:
        return ""
    percent = round(100 * (entry.new_price - entry.old_price) / entry.old_price)
    sign = "+" if percent >= 0 else "−"
    return f" ({sign}{abs(percent)}%)"


def _who(entry: PriceEntry) -> str:
    if entry.changed_by:
        return _("by {name}").format(name=esc(entry.changed_by))
    if entry.source == "import":
        return _("by a product import")
    return _("by the system")


def _screen(
    history: PriceHistory,
    locale: str,
    tz: tzinfo,
    *,
    heading: list[str],
    page_data: Callable[[int], CallbackData],
    back: InlineKeyboardButton,
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        *heading,
        _("💰 Price now: {price}").format(price=money(history.price, locale)),
        "",
    ]
    if not history.entries:
        lines.append(_("No price changes recorded yet."))
    else:
        lines.append(
            ngettext(
                "{n} price change, newest first:",
                "{n} price changes, newest first:",
                history.total,
            ).format(n=history.total)
        )
    for entry in history.entries:
        arrow = "📈" if entry.raised else "📉"
        lines.append(
            _("{arrow} {when}: {old} → <b>{new}</b>{change} · {who}").format(
                arrow=arrow,
                when=moment(entry.at, locale, tz),
                old=money(entry.old_price, locale),
                new=money(entry.new_price, locale),
                change=_change(entry),
                who=_who(entry),
            )
        )
    builder = InlineKeyboardBuilder()
    kb.pager(builder, history.page, history.pages, page_data)
    builder.row(back)
    return fit_html("\n".join(lines)), builder.as_markup()


def owner_history_screen(
    history: PriceHistory, locale: str, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup]:
    pid = history.product_id
    return _screen(
        history,
        locale,
        tz,
        heading=[_("🧾 <b>Price history — {name}</b>").format(name=esc(history.product_name))],
        page_data=lambda p: PriceHistoryCb(id=pid, page=p),
        back=InlineKeyboardButton(
            text=_("⬅️ Product"), callback_data=ManageProductCb(id=pid).pack()
        ),
    )


def _back_to_flags(month: int, page: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("⬅️ Red flags"), callback_data=FlagCb(month=month, action="page", i=page).pack()
    )


def flag_history_screen(
    history: PriceHistory, locale: str, tz: tzinfo, *, month: int, back: int
) -> tuple[str, InlineKeyboardMarkup]:
    pid = history.product_id
    return _screen(
        history,
        locale,
        tz,
        heading=[
            _("🧾 <b>Price history — {name}</b>").format(name=esc(history.product_name)),
            _("🏪 {shop} ({code})").format(
                shop=esc(history.merchant_name), code=esc(history.merchant_code)
            ),
        ],
        page_data=lambda p: FlagPriceCb(month=month, back=back, id=pid, page=p),
        back=_back_to_flags(month, back),
    )


def raised_chooser(
    products: Sequence[RaisedProduct], *, number: int, month: int, back: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The products of flag `number` whose price was raised: one button each."""
    builder = InlineKeyboardBuilder()
    for product in products:
        builder.row(
            InlineKeyboardButton(
                text=button_text(product.name),
                callback_data=FlagPriceCb(month=month, back=back, id=product.product_id).pack(),
            )
        )
    builder.row(_back_to_flags(month, back))
    if not products:
        text = _("No price raise is recorded for the products of flag {n} any more.").format(
            n=number
        )
    else:
        text = _("🧾 Flag {n}: which product's price history?").format(n=number)
    return text, builder.as_markup()
