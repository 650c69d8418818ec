"""Shops near you: the kecamatan (the ASN's own first, marked), a kecamatan's open shops, a
shop's products."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import Merchant
from services.catalog import ProductPage
from services.nearby import NearbyShop
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


def shops_screen(kecamatan: str, shops: Sequence[NearbyShop]) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    lines = [_("📍 <b>Shops in {kecamatan}</b>").format(kecamatan=esc(kecamatan))]
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
    builder.row(
        InlineKeyboardButton(text=_("◀️ Kecamatan"), callback_data=NearCb(action="home").pack())
    )
    return fit_html("\n".join(lines)), builder.as_markup()


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
