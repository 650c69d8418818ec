"""How orders look in the chat, and the notifications about them (used by handlers and jobs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from models import Fulfilment, Order, OrderStatus, PaymentMethod
from models.enums import PAID_STATUSES
from models.tables import stored_id
from services import orders
from views import keyboards as kb
from views.callbacks import OrderCb, OrderLinesCb, OrdersPageCb, ProofCb, RefundCb
from views.format import esc, fit_html, fit_lines, moment, money, product_name, status_label
from views.i18n import babel_locale

ACTION_LABELS = {
    "accept": lambda: _("✅ Accept"),
    "reject": lambda: _("❌ Reject"),
    "pay": lambda: _("💰 Payment received"),
    "ready": lambda: _("📦 Ready for pickup"),
    "ship": lambda: _("🚚 Shipped"),
    "complete": lambda: _("🎉 Done"),
    "cancel": lambda: _("🚫 Cancel order"),
    "receive": lambda: _("🙌 I received it"),
}

PAYMENT_LABELS: dict[str, Callable[[], str]] = {
    PaymentMethod.CASH: lambda: _("cash"),
    PaymentMethod.TRANSFER: lambda: _("bank transfer"),
    PaymentMethod.QRIS: lambda: _("QRIS"),
}


# An order's lines are shown this many at a time; the head and the totals on every page.
ITEMS_PER_PAGE = 25


def item_pages(view: orders.OrderView) -> int:
    return max(1, -(-len(view.items) // ITEMS_PER_PAGE))


def order_text(
    view: orders.OrderView, locale: str, tz: tzinfo, *, for_merchant: bool, page: int = 0
) -> str:
    """The order: who, when, one page of its lines, and always its total and payment."""
    order = view.order
    lines = [
        _("📦 <b>Order #{id}</b> — {status}").format(
            id=order.id, status=status_label(order.status)
        ),
        _("🏪 {merchant}").format(merchant=esc(view.merchant.name)),
        _("🕒 {when}").format(when=moment(order.created_at, locale, tz)),
    ]
    if for_merchant:
        buyer_name = view.buyer.full_name or view.buyer.first_name
        lines.append(_("👤 Buyer: {name}").format(name=esc(buyer_name)))
        if (
            order.status not in (OrderStatus.PENDING, OrderStatus.REJECTED, OrderStatus.CANCELLED)
            and view.buyer.phone
        ):
            lines.append(_("📱 {phone}").format(phone=esc(view.buyer.phone)))
    lines.append("")
    pages = item_pages(view)
    page = min(max(0, page), pages - 1)
    shown = view.items[page * ITEMS_PER_PAGE : (page + 1) * ITEMS_PER_PAGE]
    body = [
        _("• {name} × {qty} = {subtotal}").format(
            name=esc(product_name(item.name, item.name_en, locale)),
            qty=item.quantity,
            subtotal=money(item.price * item.quantity, locale),
        )
        for item in shown
    ]
    if pages > 1:
        first = page * ITEMS_PER_PAGE + 1
        body.append(
            _("Lines {first}–{last} of {total}").format(
                first=first, last=first + len(shown) - 1, total=len(view.items)
            )
        )
    head, lines = lines, []
    lines.append("")
    lines.append(_("<b>Total: {total}</b>").format(total=money(order.total, locale)))
    shop = view.merchant
    pickup_at = (
        ""
        if for_merchant
        else ", ".join(p for p in (shop.address, shop.kelurahan, shop.kecamatan) if p)
    )
    lines += handover_lines(
        order.fulfilment, order.delivery_address, order.buyer_note, pickup_at=pickup_at
    )
    method = PAYMENT_LABELS.get(order.payment_method)
    lines.append(
        _("Payment: {method}").format(method=method() if method else order.payment_method)
    )
    if order.proof_file_id and order.status == OrderStatus.ACCEPTED and order.proof_at:
        lines.append(
            _("🧾 Payment proof sent {when}: waiting for the shop to confirm.").format(
                when=moment(order.proof_at, locale, tz)
            )
        )
    if order.status == OrderStatus.REJECTED and order.reject_reason:
        lines.append(_("Reason: {reason}").format(reason=esc(order.reject_reason)))
    if not for_merchant and order.counts_for_quota:
        lines += _quota_lines(order, locale, tz)
    return fit_lines(head, body, lines)


def _quota_lines(order: Order, locale: str, tz: tzinfo) -> list[str]:
    """For the ASN buying: how the order stands toward their minimum."""
    if order.status == OrderStatus.REFUNDED:
        return [_("↩️ Refunded: this order no longer counts toward your minimum.")]
    if order.paid_at:
        return [
            _("✔️ Counts toward your minimum for {month}.").format(
                month=_month(order.paid_at, locale, tz)
            )
        ]
    if order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        return []
    return [_("It will count toward your minimum once the shop confirms your payment.")]


def handover_lines(
    fulfilment: str | None, address: str | None, note: str | None, *, pickup_at: str = ""
) -> list[str]:
    """How the goods change hands, for the buyer and for the shop (orders, summaries);
    `pickup_at`: the shop's address, for the buyer of a pickup order."""
    lines = []
    if fulfilment == Fulfilment.PICKUP and pickup_at:
        lines.append(_("🏪 Pickup at the shop: {address}").format(address=esc(pickup_at)))
    elif fulfilment == Fulfilment.PICKUP:
        lines.append(_("🏪 Pickup at the shop's address"))
    elif fulfilment == Fulfilment.DELIVERY:
        lines.append(_("🛵 Delivery to: {address}").format(address=esc(address or "")))
    elif fulfilment == Fulfilment.AGREED:
        lines.append(_("💬 Handover as agreed in the chat"))
    if note:
        lines.append(_("📝 Note: {note}").format(note=esc(note)))
    return lines


def _month(when: datetime, locale: str, tz: tzinfo) -> str:
    return format_date(when.astimezone(tz), format="MMMM y", locale=babel_locale(locale))


def order_buttons(
    view: orders.OrderView, *, for_merchant: bool, page: int = 0
) -> InlineKeyboardMarkup | None:
    """The steps this side may take now, the payment buttons, and the pages of a long order."""
    status = OrderStatus(view.order.status)
    order_id = stored_id(view.order.id)
    actions = orders.next_steps(status, orders.Party.OWNER if for_merchant else orders.Party.BUYER)
    builder = InlineKeyboardBuilder()
    for action in actions:
        builder.button(
            text=ACTION_LABELS[action](), callback_data=OrderCb(id=order_id, action=action)
        )
    extra = _payment_buttons(view, status, for_merchant=for_merchant)
    if for_merchant and status in PAID_STATUSES:
        # A paid order can be refunded (see handlers.refunds).
        data = RefundCb(id=order_id).pack()
        extra.append(InlineKeyboardButton(text=_("↩️ Refund"), callback_data=data))
    builder.adjust(2)
    for button in extra:
        builder.row(button)
    pages = item_pages(view)
    kb.pager(builder, min(page, pages - 1), pages, lambda p: OrderLinesCb(id=order_id, page=p))
    return builder.as_markup() if actions or extra or pages > 1 else None


def _payment_buttons(
    view: orders.OrderView, status: OrderStatus, *, for_merchant: bool
) -> list[InlineKeyboardButton]:
    """Proof and QRIS buttons of an accepted order (see handlers.payments)."""
    order = view.order
    order_id = stored_id(order.id)
    if status != OrderStatus.ACCEPTED:
        return []
    if for_merchant:
        if not order.proof_file_id:
            return []
        data = ProofCb(id=order_id, action="see").pack()
        return [InlineKeyboardButton(text=_("🧾 See the payment proof"), callback_data=data)]
    if order.payment_method == PaymentMethod.CASH:
        return []
    buttons = []
    if order.payment_method == PaymentMethod.QRIS:
        data = ProofCb(id=order_id, action="qris").pack()
        buttons.append(InlineKeyboardButton(text=_("🔳 Show the QRIS"), callback_data=data))
    data = ProofCb(id=order_id, action="send").pack()
    buttons.append(InlineKeyboardButton(text=_("📷 Send payment proof"), callback_data=data))
    return buttons


def orders_screen(
    result: orders.OrderPage, locale: str, tz: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The buyer's orders, newest first, a page at a time: when, where, how much, and where
    each one stands."""
    builder = InlineKeyboardBuilder()
    if not result.total:
        builder.row(kb.categories_button())
        return _("📦 You have no orders yet."), builder.as_markup()
    lines = [_("📦 <b>Your orders</b> ({total}), newest first").format(total=result.total)]
    for row in result.items:
        when = format_date(
            row.created_at.astimezone(tz), format="d MMM", locale=babel_locale(locale)
        )
        lines.append(
            f"\n<b>#{row.id}</b> · {when} · {esc(row.merchant_name)}\n"
            f"{money(row.total, locale)} · {status_label(row.status)}"
        )
        builder.row(
            InlineKeyboardButton(
                text=f"#{row.id} · {when} · {money(row.total, locale)}",
                callback_data=OrderCb(id=row.id).pack(),
            )
        )
    kb.pager(builder, result.page, result.pages, lambda p: OrdersPageCb(page=p))
    return fit_html("\n".join(lines)), builder.as_markup()


def reject_reason_prompt(order_id: int) -> str:
    return _(
        "Why do you reject order #{id}? Type a short reason for the buyer (e.g. "
        "<i>stok habis</i>)."
    ).format(id=order_id)


def new_order_heading() -> str:
    return _("🆕 <b>New order!</b>")


BUYER_UPDATES = {
    "accept": lambda: _(
        "✅ Your order was accepted. Please pay the shop; it will confirm your payment here."
    ),
    "reject": lambda: _("❌ Sorry, the shop rejected your order."),
    "pay": lambda: _("💰 The shop confirmed your payment. Thank you!"),
    "ready": lambda: _("📦 Your order is ready for pickup."),
    "ship": lambda: _("🚚 Your order is on its way."),
    "complete": lambda: _("🎉 The shop marked your order as done. Thank you for buying local!"),
}
MERCHANT_UPDATES = {
    "cancel": lambda: _("🚫 The buyer cancelled this order. The stock was released."),
    "receive": lambda: _("🙌 The buyer confirmed receiving this order."),
}


# Headings of the hygiene notices, translated when sent (each recipient's language).
def still_waiting_heading() -> str:
    return _(
        "⏰ <b>This order is still waiting for your answer.</b> Please accept "
        "or reject it; unanswered orders expire."
    )


def expired_buyer_heading() -> str:
    return _(
        "⌛ The shop did not answer your order in time, so it expired. "
        "Nothing is owed. Please order from another shop in /katalog."
    )


def expired_shop_heading() -> str:
    return _("⌛ This order expired because it was not answered in time. The stock was released.")


def unpaid_heading() -> str:
    return _(
        "💳 Reminder: this order was accepted but is not paid yet. Please "
        "pay the shop, or contact it if you changed your mind."
    )


def autocompleted_heading() -> str:
    return _("🎉 This order was completed automatically, since it was handed over some days ago.")
