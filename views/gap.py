""" "Close my gap" (Lengkapi kuota saya): products that close what remains of the minimum."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from services.gap import GapProposal
from views.callbacks import CartCb, GapCb
from views.format import esc, fit_html, money, product_name, shorten, unit_label


def gap_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("🧩 Close my gap"), callback_data=GapCb(action="show").pack()
    )


def gap_screen(
    proposal: GapProposal, in_cart: dict[int, int], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The proposal with one button per line (a tap puts it in the cart)."""
    builder = InlineKeyboardBuilder()
    if proposal.remaining <= 0:
        text = _(
            "✅ Nothing remains of your minimum this month. Thank you for supporting local UMKM!"
        )
        builder.row(
            InlineKeyboardButton(
                text=_("🛒 Open the cart"), callback_data=CartCb(action="show").pack()
            )
        )
        return text, builder.as_markup()
    if not proposal.lines:
        text = _("🧩 No products in stock can be proposed right now. Please look in the catalog.")
        return text, builder.as_markup()
    lines = [
        _("🧩 <b>Close my gap</b>: {remaining} remains this month.").format(
            remaining=money(proposal.remaining, locale)
        ),
        _("Shops with fewer sales this month and shops near you come first."),
        "",
    ]
    for number, line in enumerate(proposal.lines, 1):
        mark = " ✅" if in_cart.get(line.product_id, 0) >= line.quantity else ""
        lines.append(
            _("{n}. {name} — {quantity} {unit} × {price} = <b>{amount}</b>{mark}").format(
                n=number,
                name=esc(product_name(line.name, line.name_en, locale)),
                quantity=line.quantity,
                unit=esc(unit_label(line.unit, locale, line.quantity)),
                price=money(line.price, locale),
                amount=money(line.amount, locale),
                mark=mark,
            )
        )
        lines.append(
            "   "
            + _("🏪 {shop}, {kecamatan}").format(
                shop=esc(line.merchant_name), kecamatan=esc(line.kecamatan)
            )
        )
        label = _("➕ {n}. {name}").format(
            n=number, name=shorten(product_name(line.name, line.name_en, locale), 40)
        )
        if mark:
            label = _("✅ {n}. in the cart").format(n=number)
        builder.row(
            InlineKeyboardButton(
                text=label,
                callback_data=GapCb(action="add", id=line.product_id, n=line.quantity).pack(),
            )
        )
    lines += _footer(proposal, in_cart, locale, builder)
    builder.row(
        InlineKeyboardButton(
            text=_("🛒 Open the cart"), callback_data=CartCb(action="show").pack()
        )
    )
    return fit_html("\n".join(lines)), builder.as_markup()


def _footer(
    proposal: GapProposal, in_cart: dict[int, int], locale: str, builder: InlineKeyboardBuilder
) -> list[str]:
    """What the lines come to, how to put them in the cart, and "put all in the cart"."""
    lines: list[str] = []
    lines.append("")
    if proposal.closes:
        lines.append(
            _("Together: <b>{total}</b>, enough for the rest of your minimum.").format(
                total=money(proposal.total, locale)
            )
        )
    else:
        lines.append(
            _("Together: <b>{total}</b>; the catalog has no more to propose right now.").format(
                total=money(proposal.total, locale)
            )
        )
    if len(proposal.lines) > 1:
        lines.append(
            _("Tap a product to put it in your cart, or put them all in with one tap.")
            + " "
            + _("Then check out from the cart.")
        )
    else:
        lines.append(_("Tap a product to put it in your cart, then check out from the cart."))
    if len(proposal.lines) > 1 and not all(
        in_cart.get(line.product_id, 0) >= line.quantity for line in proposal.lines
    ):
        builder.row(
            InlineKeyboardButton(
                text=_("🛒 Put all in the cart"),
                callback_data=GapCb(action="all", h=proposal.digest).pack(),
            )
        )
    return lines
