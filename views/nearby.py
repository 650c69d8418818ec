"""Shops near you: the kecamatan (the ASN's own first, marked), a kecamatan's open shops (and
its kelurahan to narrow them), the shops nearest to a shared location, a shop's products."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.numbers import format_decimal

from models import Merchant
from services.catalog import ProductPage
from services.nearby import NearbyShop, NearestPage
from views import keyboards as kb
from views.callbacks import NearCb, ProductCb
from views.catalog import listing_line, short_button
from views.format import esc, fit_html, product_name, shorten


def kecamatan_screen(names: Sequence[str], home: str | None) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(names):
        near = home is not None and index == 0
        builder.button(
            text=("📍 " if near else "") + name, callback_data=NearCb(action="k", id=index)
        )
    builder.adjust(2)
    text = _("📍 <b>Shops near you</b>\n\nChoose a kecamatan of Kota Malang:")
    if home:
        text += "\n" + _("📍 marks your own kecamatan (from the ASN roster).")
    return text, builder.as_markup()


def near_me_keyboard() -> ReplyKeyboardMarkup:
    """The "Near me" button (Telegram sends the user's location), and Cancel."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Near me"), request_location=True)],
            [KeyboardButton(text=str(kb.CANCEL))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def near_me_hint() -> str:
    return _(
        "Or tap <b>📍 Near me</b> below (or send a location from 📎) to see the open shops "
        "nearest to you first."
    )


def outside_city_text() -> str:
    return _("📍 That location is outside Kota Malang. Please send a location in the city.")


def location_received_text() -> str:
    return _("📍 Location received.")


def distance_text(km: float, locale: str) -> str:
    """A distance rounded to 0.1 km: "1,2 km" in Indonesian, "1.2 km" in English."""
    # Babel's en_ID writes "1,2" as Indonesian does; English readers expect "1.2" (as money).
    english = locale.split("_")[0].lower() == "en"
    number = format_decimal(round(km, 1), format="#,##0.0", locale="en" if english else "id_ID")
    return _("{distance} km").format(distance=number)


def _kelurahan_buttons(
    builder: InlineKeyboardBuilder,
    kecamatan_index: int,
    kelurahan: Sequence[str],
    with_shops: set[str],
) -> None:
    buttons = [
        InlineKeyboardButton(
            text=shorten(name, 30),
            callback_data=NearCb(action="l", id=kecamatan_index, page=index).pack(),
        )
        for index, name in enumerate(kelurahan)
        if name in with_shops
    ]
    for start in range(0, len(buttons), 3):
        builder.row(*buttons[start : start + 3])


def shops_screen(
    kecamatan: str,
    shops: Sequence[NearbyShop],
    *,
    kecamatan_index: int = 0,
    kelurahan: Sequence[str] = (),
    with_shops: set[str] | None = None,
    chosen: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A kecamatan's shops (or one kelurahan's: `chosen`); the kelurahan that have shops as
    buttons under the list."""
    builder = InlineKeyboardBuilder()
    if chosen:
        title = _("📍 <b>Shops in {kelurahan}, {kecamatan}</b>").format(
            kelurahan=esc(chosen), kecamatan=esc(kecamatan)
        )
    else:
        title = _("📍 <b>Shops in {kecamatan}</b>").format(kecamatan=esc(kecamatan))
    lines = [title]
    if not shops:
        lines.append(_("No open shop here has products yet."))
    for number, shop in enumerate(shops, 1):
        lines.append(
            ngettext(
                "{n}. {shop} — {kelurahan} ({count} product)",
                "{n}. {shop} — {kelurahan} ({count} products)",
                shop.products,
            ).format(
                n=number, shop=esc(shop.name), kelurahan=esc(shop.kelurahan), count=shop.products
            )
        )
        builder.row(
            InlineKeyboardButton(
                text=short_button(number, shop.name),
                callback_data=NearCb(action="s", id=shop.id).pack(),
            )
        )
    if with_shops and not chosen:
        lines += ["", _("Narrow down by kelurahan:")]
        _kelurahan_buttons(builder, kecamatan_index, kelurahan, with_shops)
    if chosen:
        builder.row(
            InlineKeyboardButton(
                text=_("◀️ All of {kecamatan}").format(kecamatan=shorten(kecamatan, 30)),
                callback_data=NearCb(action="k", id=kecamatan_index).pack(),
            )
        )
    builder.row(
        InlineKeyboardButton(text=_("◀️ Kecamatan"), callback_data=NearCb(action="home").pack())
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def nearest_screen(found: NearestPage, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    """The open shops nearest to a shared location, nearest first, with their distance; paged."""
    builder = InlineKeyboardBuilder()
    lines = [_("📍 <b>Open shops nearest to you</b>")]
    if not found.shops:
        lines.append(_("No open shop has products yet."))
    estimated = False
    for number, shop in enumerate(found.shops, found.first):
        if shop.distance_km is None:
            where = _("distance unknown")
        elif shop.estimated:
            estimated = True
            where = "≈ " + distance_text(shop.distance_km, locale)
        else:
            where = distance_text(shop.distance_km, locale)
        lines.append(
            _("{n}. {shop} — {distance} · {kelurahan}").format(
                n=number, shop=esc(shop.name), distance=where, kelurahan=esc(shop.kelurahan)
            )
        )
        builder.row(
            InlineKeyboardButton(
                text=short_button(number, shop.name),
                callback_data=NearCb(action="s", id=shop.id).pack(),
            )
        )
    if estimated:
        lines += [
            "",
            _(
                "≈ The shop has not set its location yet: the distance is to the middle of "
                "its kelurahan."
            ),
        ]
    kb.pager(builder, found.page, found.pages, lambda p: NearCb(action="n", page=p))
    builder.row(
        InlineKeyboardButton(text=_("◀️ Kecamatan"), callback_data=NearCb(action="home").pack())
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def share_again_text() -> str:
    return _("📍 Please share your location again to see the nearest shops.")


def shop_screen(
    merchant: Merchant, page: ProductPage, locale: str, page_size: int
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    lines = [
        _("🏪 <b>{shop}</b>\n{kelurahan}, {kecamatan}").format(
            shop=esc(merchant.name),
            kelurahan=esc(merchant.kelurahan),
            kecamatan=esc(merchant.kecamatan),
        ),
        "",
    ]
    first = page.page * page_size + 1
    for number, item in enumerate(page.items, start=first):
        label = product_name(item.name, item.name_en, locale)
        lines.append(listing_line(number, label, item.price, item.stock, locale))
        builder.row(
            InlineKeyboardButton(
                text=short_button(number, shorten(label, 60)),
                callback_data=ProductCb(id=item.id).pack(),
            )
        )
    kb.pager(
        builder, page.page, page.pages, lambda p: NearCb(action="s", id=merchant.id or 0, page=p)
    )
    builder.row(
        InlineKeyboardButton(text=_("◀️ Kecamatan"), callback_data=NearCb(action="home").pack())
    )
    return fit_html("\n".join(lines)), builder.as_markup()
