"""The administrators' translation queue and its guided edit."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.translations import QueueItem, QueuePage
from views import keyboards as kb
from views.callbacks import TranslateCb
from views.format import button_text, esc, fit_html, shorten


def _need(item: QueueItem) -> str:
    product = item.product
    if item.need == "id":
        return _("Indonesian description missing")
    if not product.name_en or not product.description_en:
        return _("English missing")
    return _("English older than the Indonesian text")


def queue_screen(page: QueuePage) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("🈂️ <b>Translation queue</b> ({total})").format(total=page.total)]
    if not page.items:
        lines.append(_("Every product has its English text up to date."))
    else:
        lines.append(
            _(
                "Translations are written by people here, never by a machine. Tap a product to "
                "translate it."
            )
        )
    lines.append("")
    builder = InlineKeyboardBuilder()
    for number, item in enumerate(page.items, start=page.page * 8 + 1):
        lines.append(
            _("{number}. {name} · {shop} — {need}").format(
                number=number,
                name=esc(item.product.name),
                shop=esc(item.merchant.name),
                need=_need(item),
            )  # fmt: skip
        )
        builder.row(
            InlineKeyboardButton(
                text=button_text(f"{number}. {item.product.name}"),
                callback_data=TranslateCb(action="edit", id=item.product.id or 0).pack(),
            )
        )
    kb.pager(builder, page.page, page.pages, lambda p: TranslateCb(action="list", id=p))
    return fit_html("\n".join(lines)), builder.as_markup()


def edit_intro(item: QueueItem) -> str:
    product = item.product
    lines = [
        _("🈂️ <b>{name}</b> · {shop}").format(
            name=esc(product.name), shop=esc(item.merchant.name)
        ),
        "",
        _("🇮🇩 {text}").format(text=esc(shorten(product.description or "—", 1500))),
    ]
    if product.name_en or product.description_en:
        lines.append(
            _("🇬🇧 {name}: {text}").format(
                name=esc(product.name_en or "—"),
                text=esc(shorten(product.description_en or "—", 1500)),
            )
        )
    lines.append("")
    if item.need == "id":
        lines.append(_("Type the Indonesian description:"))
    else:
        lines.append(
            _("Type the English name (or tap Skip to keep “{name}”):").format(
                name=esc(product.name_en or product.name)
            )
        )
    return fit_html("\n".join(lines))


def description_prompt() -> str:
    return _(
        "Now type the English description (it must say exactly what the Indonesian one says):"
    )


def saved_text(item: QueueItem) -> str:
    return _("✅ Translation of <b>{name}</b> saved.").format(name=esc(item.product.name))
