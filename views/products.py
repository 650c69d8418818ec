"""A shop owner's product screens: the list, one product to manage, the new-product steps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import Category, Product
from models.tables import stored_id
from services import products
from views import keyboards as kb
from views.callbacks import (
    ExportCb,
    ManageProductCb,
    NewProductCb,
    PriceHistoryCb,
    ProductCb,
    ShopCb,
    ShopProductsCb,
)
from views.format import button_text, esc, fit_html, money, shorten, visible_length

SKIP = __("⏭️ Skip")


def skip_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=str(SKIP)), KeyboardButton(text=str(kb.CANCEL))]],
        resize_keyboard=True,
    )


def photo_as_file_text() -> str:
    return _(
        "This picture came as a <b>file</b>. Please send it as a <b>photo</b> (in the 📎 "
        "menu choose Photo or Gallery, not File), so that it shows in the catalog."
    )


def _flags(product: Product, threshold: int) -> str:
    flags = []
    if not product.is_active:
        flags.append(_("🙈 hidden"))
    if product.stock <= 0:
        flags.append(_("❌ sold out"))
    elif product.stock <= threshold:
        flags.append(_("⚠️ low stock"))
    return (" · " + " · ".join(flags)) if flags else ""


def products_screen(
    result: products.ShopProductPage, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A shop's products, a page at a time, for its owner."""
    merchant_id = result.merchant.id or 0
    lines = [
        _("📦 <b>Products of {shop}</b> ({total})").format(
            shop=esc(result.merchant.name), total=result.total
        )
    ]
    builder = InlineKeyboardBuilder()
    if not result.items:
        lines.append(_("No products yet. Add the first one!"))
    for product in result.items:
        lines.append(
            _("• {name} — {price} / {unit} · stock {stock}").format(
                name=esc(product.name),
                price=money(product.price, locale),
                unit=esc(product.unit),
                stock=product.stock,
            )
            + _flags(product, result.low_stock_threshold)
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(product.name),
                callback_data=ManageProductCb(id=stored_id(product.id)).pack(),
            )
        )
    kb.pager(builder, result.page, result.pages, lambda p: ShopProductsCb(m=merchant_id, page=p))
    builder.row(
        InlineKeyboardButton(
            text=_("➕ Add product"),
            callback_data=NewProductCb(action="start", m=merchant_id).pack(),
        ),
        InlineKeyboardButton(text=_("⬅️ My shop"), callback_data=ShopCb(m=merchant_id).pack()),
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def manage_screen(item: products.ManagedProduct, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    product = item.product
    category = item.category.name_en if locale == "en" else item.category.name_id
    lines = [
        f"<b>{esc(product.name)}</b>",
        _("💰 {price} / {unit}").format(
            price=money(product.price, locale), unit=esc(product.unit)
        ),
        _("📦 Stock: {stock}").format(stock=product.stock)
        + _flags(product, item.merchant.low_stock_threshold),
        _("🏷️ {category}").format(category=esc(category)),
    ]
    if product.name_en:
        lines.append(_("🇬🇧 {name}").format(name=esc(product.name_en)))
    lines.append(_("🖼 Photo: yes") if product.photo else _("🖼 Photo: none"))
    lines.append(_("👁 Shown to buyers") if product.is_active else _("🙈 Hidden from buyers"))
    if product.description:
        lines.append("")
        lines.append(esc(shorten(product.description, 600)))
    if item.open_orders:
        lines.append("")
        lines.append(_("In {n} open order(s).").format(n=item.open_orders))
    pid = product.id or 0

    def button(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=ManageProductCb(id=pid, action=action).pack()
        )

    builder = InlineKeyboardBuilder()
    builder.row(button(_("💰 Price"), "price"), button(_("📦 Stock"), "stock"))
    builder.row(button(_("📝 Description"), "description"), button(_("🖼 Photo"), "photo"))
    builder.row(
        button(_("🙈 Hide"), "hide") if product.is_active else button(_("👁 Show"), "show"),
        button(_("🗑 Delete"), "delete"),
    )
    builder.row(
        InlineKeyboardButton(text=_("🌍 Export details"), callback_data=ExportCb(id=pid).pack()),
        InlineKeyboardButton(
            text=_("🧾 Price history"), callback_data=PriceHistoryCb(id=pid).pack()
        ),
    )
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Products"), callback_data=ShopProductsCb(m=product.merchant_id).pack()
        )
    )
    return fit_html("\n".join(lines)), builder.as_markup()


EDIT_PROMPTS: dict[str, Callable[[], str]] = {
    "price": lambda: _("Type the new price, e.g. 25000, 25.000, 25rb or Rp 25.000."),
    "stock": lambda: _("Type the new stock (a whole number; 0 means sold out)."),
    "description": lambda: _("Type the new description (at most 3000 characters)."),
}


def delete_confirm_screen(product: Product) -> tuple[str, InlineKeyboardMarkup]:
    pid = product.id or 0
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🗑 Yes, delete it"), callback_data=ManageProductCb(id=pid, action="delete_ok")
    )
    builder.button(text=_("⬅️ No, keep it"), callback_data=ManageProductCb(id=pid))
    builder.adjust(1)
    text = _(
        "Delete <b>{name}</b>? It disappears from the catalog, search and carts. "
        "Past orders keep their lines. To take it offline for a while, hide it instead."
    ).format(name=esc(product.name))
    return text, builder.as_markup()


def deleted_screen(product: Product) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Products"), callback_data=ShopProductsCb(m=product.merchant_id))
    text = _("🗑 {name} was deleted. Past orders keep it.").format(name=esc(product.name))
    return text, builder.as_markup()


def category_chooser(
    name: str, categories: Sequence[Category], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for category in categories:
        label = category.name_en if locale == "en" else category.name_id
        builder.button(
            text=f"{category.emoji} {label}".strip(),
            callback_data=NewProductCb(action="cat", id=category.id or 0),
        )
    builder.adjust(2)
    return _("Which category is <b>{name}</b> in?").format(name=esc(name)), builder.as_markup()


def preview_text(draft: dict[str, Any], category: Category | None, locale: str, limit: int) -> str:
    category_name = ""
    if category is not None:
        category_name = category.name_en if locale == "en" else category.name_id
    head = _(
        "👀 <b>Preview</b> — this is how buyers will see it:\n\n<b>{name}</b>\n"
        "💰 {price} / {unit}\n📦 Stock: {stock}\n🏷️ {category}"
    ).format(
        name=esc(draft["name"]),
        price=money(draft["price"], locale),
        unit=esc(draft["unit"]),
        stock=draft["stock"],
        category=esc(category_name),
    )
    if draft.get("name_en"):
        head += "\n🇬🇧 " + esc(draft["name_en"])
    tail = "\n\n" + _("Save it?")
    description = draft.get("description") or ""
    body = ""
    if description:
        budget = limit - visible_length(head + tail) - 4
        body = "\n\n" + esc(shorten(description, max(0, budget)))
    return head + body + tail


def preview_buttons() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Save"), callback_data=NewProductCb(action="save"))
    builder.button(text=_("✖️ Cancel"), callback_data=NewProductCb(action="cancel"))
    builder.adjust(2)
    return builder.as_markup()


def saved_screen(product: Product) -> tuple[str, InlineKeyboardMarkup]:
    pid = product.id or 0
    builder = InlineKeyboardBuilder()
    builder.button(text=_("👁 See it as buyers do"), callback_data=ProductCb(id=pid, src="d"))
    builder.button(text=_("⚙️ Manage it"), callback_data=ManageProductCb(id=pid))
    builder.button(
        text=_("➕ Add another"), callback_data=NewProductCb(action="start", m=product.merchant_id)
    )
    builder.adjust(1)
    text = _(
        "✅ <b>{name}</b> is in your shop now: buyers find it in the catalog and in search."
    ).format(name=esc(product.name))
    return text, builder.as_markup()
