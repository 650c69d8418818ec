"""QRIS and payment-proof screens: the buyer's dynamic QRIS, the proof the shop checks, and
the low-stock warning a paid order may trigger."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from models import Order, User
from services import payments
from services.products import LowStock
from services.qris import QrisPayload
from views.callbacks import OrderCb, ProofCb
from views.format import CAPTION_LIMIT, esc, fit_html, money, shorten
from views.orders import PAYMENT_LABELS


def qris_summary(parsed: QrisPayload) -> str:
    return _("{name}, {city} · NMID {nmid}").format(
        name=esc(parsed.merchant_name),
        city=esc(parsed.merchant_city),
        nmid=esc(parsed.nmid or "-"),
    )


def proof_button(order_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📷 Send payment proof"), callback_data=ProofCb(id=order_id, action="send")
    )
    return builder.as_markup()


def qris_caption(item: payments.OrderQris, locale: str) -> str:
    order = item.order
    lines = [
        _("🔳 <b>Pay order #{id} by QRIS</b>").format(id=order.id),
        _("🏪 {merchant}").format(merchant=esc(shorten(item.merchant.name, 80))),
        _("💰 Amount: <b>{amount}</b>").format(amount=money(order.total, locale)),
        "",
        _(
            "Scan this code with any bank or e-wallet app: the amount is filled in already. "
            "Or copy the code:"
        ),
        f"<code>{esc(item.payload)}</code>",
        "",
        _("After paying, send a screenshot of the payment with the button below."),
    ]
    return "\n".join(lines)


def proof_caption(order: Order, buyer: User, locale: str) -> str:
    method = PAYMENT_LABELS.get(order.payment_method)
    text = "\n".join(
        [
            _("🧾 <b>Payment proof for order #{id}</b>").format(id=order.id),
            _("👤 {buyer} · 💰 {total} · {method}").format(
                buyer=esc(shorten(buyer.full_name or buyer.first_name, 80)),
                total=money(order.total, locale),
                method=method() if method else order.payment_method,
            ),
            "",
            _(
                "Check that the money arrived in your account, then confirm. Only your "
                "confirmation counts the order as paid."
            ),
        ]
    )
    return fit_html(text, CAPTION_LIMIT)


def proof_buttons(order_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("💰 Payment received"), callback_data=OrderCb(id=order_id, action="pay"))
    builder.button(text=_("❌ Not received"), callback_data=ProofCb(id=order_id, action="no"))
    builder.adjust(2)
    return builder.as_markup()


def low_stock_text(order_id: int, warnings: Sequence[LowStock]) -> str:
    lines = [_("⚠️ <b>Stock running low</b> after order #{id}:").format(id=order_id)]
    for item in warnings:
        if item.stock <= 0:
            lines.append(
                _("• {name}: sold out. Buyers can't add it to their carts any more.").format(
                    name=esc(item.name)
                )
            )
        else:
            lines.append(
                _("• {name}: only {stock} left.").format(name=esc(item.name), stock=item.stock)
            )
    lines.append(_("Update the stock in /produk."))
    return "\n".join(lines)


def qris_gone_text(order_id: int) -> str:
    return _(
        "The shop has no QRIS any more. Please pay order #{id} another way "
        "(cash or transfer); the shop confirms your payment here."
    ).format(id=order_id)
