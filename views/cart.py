"""The cart and checkout screens."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import BuyerKind, Fulfilment, Order, User
from services import cart as carts
from services.orders import Handover
from views import keyboards as kb
from views.callbacks import CartLineCb, CartViewCb, CheckoutCb, HandoverCb, OrderCb
from views.format import esc, fit_lines, money, product_name
from views.orders import handover_lines

# Line buttons per page of the cart screen: 4 buttons a line, so a page holds 32 of them, plus
# the pager and the checkout rows; every line is always listed in the text.
LINES_PER_PAGE = 8
# One order per shop: a cart from very many shops makes very many orders.
MAX_ORDER_BUTTONS = 20


def cart_line(number: int, line: carts.CartLine, locale: str) -> str:
    warn = "" if line.available else " " + _("(not available)")
    return (
        _("{number}. {name} — {qty} × {price} = {subtotal}").format(
            number=number,
            name=esc(product_name(line.name, line.name_en, locale)),
            qty=line.quantity,
            price=money(line.price, locale),
            subtotal=money(line.subtotal, locale),
        )
        + warn
    )


def cart_heading(cart: carts.Cart) -> str:
    """What the cart holds, counted as people count it: products and units."""
    lines, units = len(cart.lines), sum(line.quantity for line in cart.lines)
    return _("🛒 <b>Your cart</b>: {products}, {units}").format(
        products=ngettext("{n} product", "{n} products", lines).format(n=lines),
        units=ngettext("{n} unit", "{n} units", units).format(n=units),
    )


def cart_screen(
    cart: carts.Cart, locale: str, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Every line in the text (numbered, by shop); the buttons of one page of lines."""
    builder = InlineKeyboardBuilder()
    if cart.is_empty:
        builder.row(kb.categories_button())
        return _("🛒 Your cart is empty."), builder.as_markup()
    body: list[str] = []
    numbered = list(enumerate(cart.lines, start=1))
    for group in cart.groups:
        body.append(f"\n🏪 <b>{esc(group.merchant_name)}</b>")
        body += [cart_line(n, line, locale) for n, line in numbered if line in group.lines]
    tail = ["\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale))]
    if len(cart.groups) > 1:
        tail.append(
            _("Checkout makes one order for each of the {n} shops.").format(n=len(cart.groups))
        )
    pages = max(1, -(-len(numbered) // LINES_PER_PAGE))
    page = min(max(0, page), pages - 1)
    for number, line in numbered[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]:
        builder.row(*_line_buttons(number, line, page))
    kb.pager(builder, page, pages, lambda p: CartViewCb(action="page", page=p))
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
    return fit_lines([cart_heading(cart)], body, tail), builder.as_markup()


def _line_buttons(number: int, line: carts.CartLine, page: int) -> list[InlineKeyboardButton]:
    def data(action: str) -> str:
        return CartLineCb(action=action, id=line.product_id, page=page).pack()

    return [
        InlineKeyboardButton(text="➖", callback_data=data("dec")),
        InlineKeyboardButton(text=f"{number}. ×{line.quantity}", callback_data=data("line")),
        InlineKeyboardButton(text="➕", callback_data=data("inc")),
        InlineKeyboardButton(text="🗑", callback_data=data("rm")),
    ]


def line_notice(line: carts.CartLine, locale: str) -> str:
    """What the line's middle button says when tapped (its name may be too long to show)."""
    return _("{name}: {qty} × {price}").format(
        name=product_name(line.name, line.name_en, locale),
        qty=line.quantity,
        price=money(line.price, locale),
    )


# Short: three of them share a row on a phone (the text says it in full).
FULFILMENT_BUTTONS: dict[str, Callable[[], str]] = {
    Fulfilment.PICKUP: lambda: _("🏪 Pickup"),
    Fulfilment.DELIVERY: lambda: _("🛵 Delivery"),
    Fulfilment.AGREED: lambda: _("💬 Agree"),
}


def checkout_summary_screen(
    cart: carts.Cart,
    user: User,
    key: str,
    *,
    qris: bool,
    locale: str,
    handover: Handover | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """What checking out will create, how the goods change hands (chosen here: pickup by
    default, delivery with an address, or as agreed; a note to the shop) and the ways to pay
    (QRIS when every shop takes it)."""
    handover = handover or Handover()
    body: list[str] = []
    for group in cart.groups:
        body.append(
            _("\n🏪 <b>{merchant}</b> — {total}").format(
                merchant=esc(group.merchant_name), total=money(group.total, locale)
            )
        )
        for line in group.lines:
            body.append(
                _("• {name} × {qty} = {subtotal}").format(
                    name=esc(product_name(line.name, line.name_en, locale)),
                    qty=line.quantity,
                    subtotal=money(line.subtotal, locale),
                )
            )
    tail = ["\n" + _("<b>Total: {total}</b>").format(total=money(cart.total, locale))]
    shops = len(cart.groups)
    tail.append(
        ngettext(
            "This creates {n} order, for its shop. You pay the shop directly after it accepts "
            "your order; the shop confirms your payment.",
            "This creates {n} orders, one per shop. You pay each shop directly after it "
            "accepts your order; the shop confirms your payment.",
            shops,
        ).format(n=shops)
    )
    if user.kind == BuyerKind.ASN:
        tail.append(_("Paid orders count toward your monthly minimum."))
    tail.append("\n" + _("<b>How do you get the goods?</b>"))
    tail += handover_lines(handover.fulfilment, handover.address, handover.note)
    tail.append("\n" + _("How will you pay?"))
    builder = InlineKeyboardBuilder()
    builder.row(
        *[
            InlineKeyboardButton(
                text=("● " if handover.fulfilment == kind else "") + label(),
                callback_data=HandoverCb(action=kind).pack(),
            )
            for kind, label in FULFILMENT_BUTTONS.items()
        ]
    )
    note_label = _("📝 Change the note") if handover.note else _("📝 Add a note to the shop")
    builder.row(
        InlineKeyboardButton(text=note_label, callback_data=HandoverCb(action="note").pack())
    )
    builder.button(text=_("💵 Order — pay cash"), callback_data=CheckoutCb(key=key, method="cash"))
    builder.button(
        text=_("🏦 Order — pay by transfer"), callback_data=CheckoutCb(key=key, method="transfer")
    )
    if qris:
        builder.button(
            text=_("🔳 Order — pay by QRIS"), callback_data=CheckoutCb(key=key, method="qris")
        )
    builder.button(text=_("⬅️ Change the cart"), callback_data=CartViewCb(action="show"))
    builder.adjust(3, 1)
    return fit_lines([_("🧾 <b>Order summary</b>")], body, tail), builder.as_markup()


def placed_screen(
    placed: list[Order], *, created: bool, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The orders a checkout made (or had made already, when tapped again): a button for each
    of the first MAX_ORDER_BUTTONS, all of them in 📦 My orders."""
    lines = [_("✅ <b>Order placed!</b>")] if created else [_("Your orders:")]
    builder = InlineKeyboardBuilder()
    for order in placed[:MAX_ORDER_BUTTONS]:
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
