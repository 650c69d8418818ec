"""The cart and checkout screens."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import BuyerKind, Order, User
from services import cart as carts
from views import keyboards as kb
from views.callbacks import CartCb, CartViewCb, CheckoutCb, OrderCb
from views.format import button_text, esc, money

MAX_LINES_SHOWN = 40


def cart_screen(cart: carts.Cart, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
    if cart.is_empty:
        builder = InlineKeyboardBuilder()
        builder.row(kb.categories_button())
        return _("🛒 Your cart is empty."), builder.as_markup()
    lines = [_("🛒 <b>Your cart</b>")]
    builder = InlineKeyboardBuilder()
    for group in cart.groups:
        lines.append(f"\n🏪 <b>{esc(group.merchant_name)}</b>")
        for line in group.lines[:MAX_LINES_SHOWN]:
            warn = "" if line.available else " " + _("(not available)")
            lines.append(
                _("• {name} × {qty} = {subtotal}").format(
                    name=esc(line.name), qty=line.quantity, subtotal=money(line.subtotal, locale)
                )
                + warn
            )
            builder.row(
                InlineKeyboardButton(
                    text="➖",
                    callback_data=CartCb(action="dec", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text=button_text(f"{line.name} ({line.quantity})"),
                    callback_data=CartCb(action="inc", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text="➕",
                    callback_data=CartCb(action="inc", id=line.product_id, src="k").pack(),
                ),
                InlineKeyboardButton(
                    text="🗑", callback_data=CartCb(action="rm", id=line.product_id, src="k").pack()
                ),
            )
    lines.append("\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale)))
    if len(cart.groups) > 1:
        lines.append(
            _("Checkout makes one order for each of the {n} shops.").format(n=len(cart.groups))
        )
    builder.row(
        InlineKeyboardButton(
            text=_("✅ Checkout"), callback_data=CartViewCb(action="checkout").pack()
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_("🗑 Empty the cart"), callback_data=CartViewCb(action="clear").pack()
        ),
        kb.categories_button(),
    )
    return "\n".join(lines), builder.as_markup()


def checkout_summary_screen(
    cart: carts.Cart, user: User, key: str, *, qris: bool, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """What checking out will create, and the ways to pay (QRIS when every shop takes it)."""
    lines = [_("🧾 <b>Order summary</b>")]
    for group in cart.groups:
        lines.append(
            _("\n🏪 <b>{merchant}</b> — {total}").format(
                merchant=esc(group.merchant_name), total=money(group.total, locale)
            )
        )
        for line in group.lines:
            lines.append(
                _("• {name} × {qty} = {subtotal}").format(
                    name=esc(line.name), qty=line.quantity, subtotal=money(line.subtotal, locale)
                )
            )
    lines.append("\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale)))
    lines.append(
        _(
            "This creates {n} order(s), one per shop. You pay each shop directly after "
            "it accepts your order; the shop confirms your payment."
        ).format(n=len(cart.groups))
    )
    if user.kind == BuyerKind.ASN:
        lines.append(_("Paid orders count toward your monthly minimum."))
    lines.append("\n" + _("How will you pay?"))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("💵 Order — pay cash"), callback_data=CheckoutCb(key=key, method="cash"))
    builder.button(
        text=_("🏦 Order — pay by transfer"), callback_data=CheckoutCb(key=key, method="transfer")
    )
    if qris:
        builder.button(
            text=_("🔳 Order — pay by QRIS"), callback_data=CheckoutCb(key=key, method="qris")
        )
    builder.button(text=_("⬅️ Change the cart"), callback_data=CartViewCb(action="show"))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def placed_screen(
    placed: list[Order], *, created: bool, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The orders a checkout made (or had made already, when tapped again)."""
    lines = [_("✅ <b>Order placed!</b>")] if created else [_("Your orders:")]
    builder = InlineKeyboardBuilder()
    for order in placed:
        builder.row(
            InlineKeyboardButton(
                text=_("📦 Order #{id} · {total}").format(
                    id=order.id, total=money(order.total, locale)
                ),
                callback_data=OrderCb(id=order.id or 0).pack(),
            )
        )
    lines.append(
        _(
            "Each shop has been notified and will confirm your order here. You can "
            "follow them in 📦 My orders."
        )
    )
    return "\n".join(lines), builder.as_markup()
